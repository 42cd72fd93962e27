"""redacted_conversations: the policy, each PII type and secret kind, exemptions, the allow-list,
fast path == plain Presidio loop, over-redaction on real WildChat rows, the asset."""

from __future__ import annotations

import json
import random
from collections import Counter

import dagster as dg
import pytest

from wildchat_dagster.core.redaction.cues import name_start_positions
from wildchat_dagster.core.redaction.policy import (
    RedactionPolicy,
    accept_candidates,
    has_phone_cue,
    is_exempt_email,
    is_personal_ip,
)
from wildchat_dagster.core.redaction.prefilter import Prefilter
from wildchat_dagster.core.redaction.secrets import SECRET_KINDS
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.pii_redactor import PIIRedactor, installed_english_model
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import placeholder

from factories import conversation_record

MONTH = "2023-04"


def redact(redactor, texts, language="English", conversation_ids=None):
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts

    ids = conversation_ids or [f"c{i}" for i in range(len(texts))]
    return redact_texts([TextToRedact(c, t, language) for c, t in zip(ids, texts, strict=True)], redactor)


def one(redactor, text, language="English"):
    return redact(redactor, [text], language)[0][0]


def ph(entity_type: str) -> str:
    return placeholder(entity_type)


def test_default_model_is_installed_and_windowable(redactor):
    # The sm model (official or the repackage) is installed here; its NER sees 4 tokens each side.
    assert installed_english_model() is not None
    assert set(redactor.models_in_force()) == {"en"}
    assert redactor.receptive_fields["en"] == 4
    assert redactor.pipelines["en"].pipe_names == ["wildchat_line_starts", "ner"]


# --- each PII type, surrounding text intact ------------------------------------

PII_CASES = [
    ("Write to me at jane.roe84@gmail.com before Friday.", "Write to me at {} before Friday.", "EMAIL_ADDRESS"),
    ("Call me on +1 415-555-2671 tonight, thanks.", "Call me on {} tonight, thanks.", "PHONE_NUMBER"),
    ("我的手机是 +86 138 0013 8000，谢谢", "我的手机是 {}，谢谢", "PHONE_NUMBER"),
    (
        "Мой номер телефона +7 912 021-76-70, добавь его в резюме.",
        "Мой номер телефона {}, добавь его в резюме.",
        "PHONE_NUMBER",
    ),
    ("Meine Telefonnummer ist +49 1512 3456789, bitte.", "Meine Telefonnummer ist {}, bitte.", "PHONE_NUMBER"),
    ("写完以后请提醒我发到chloe.wheeler93@126.com这个邮箱。", "写完以后请提醒我发到{}这个邮箱。", "EMAIL_ADDRESS"),
    ("私のメールアドレスはd.caldwell676@yahoo.co.jpです。", "私のメールアドレスは{}です。", "EMAIL_ADDRESS"),
    ("My card is 4111 1111 1111 1111, expiring soon.", "My card is {}, expiring soon.", "CREDIT_CARD"),
    ("My home IP is 81.2.69.142 right now.", "My home IP is {} right now.", "IP_ADDRESS"),
    ("Server 2a03:2880:f12f:83:face:b00c:0:25de is slow.", "Server {} is slow.", "IP_ADDRESS"),
    (
        "Hello, my name is Emily Watson and I need a cover letter.",
        "Hello, my name is {} and I need a cover letter.",
        "PERSON",
    ),
    ("See you soon.\n\nBest regards,\nDaniel Okafor", "See you soon.\n\nBest regards,\n{}", "PERSON"),
    ("Dear Mr. John Smith,\n\nThank you for the offer.", "Dear Mr. {},\n\nThank you for the offer.", "PERSON"),
    ("Profile: https://www.linkedin.com/in/jane-roe-1234/ thanks", "Profile: {} thanks", "URL"),
]


@pytest.mark.parametrize(("text", "expected", "entity_type"), PII_CASES)
def test_each_pii_type_is_replaced_in_place(redactor, text, expected, entity_type):
    out = one(redactor, text, "English" if text.isascii() else "Chinese")
    assert out.text == expected.format(ph(entity_type))
    assert out.redacted and out.entities == [entity_type]


SECRET_SAMPLES = {
    "openai_api_key": "sk-proj-Qw7Lp2Rt9Zk4Vb8Nm3Hs6Jd1Fg5Tc0XyAeBu",
    "aws_access_key_id": "AKIA2E0A8F3B244C9986",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEaMpLkEyQ",
    "github_token": "ghp_Qw7Lp2Rt9Zk4Vb8Nm3Hs6Jd1Fg5Tc0XyAeBu",
    "github_fine_grained_token": "github_pat_11AQ7ZKMY0Xq3Lr8Tn2Wv5Pb_Hd9Ks4Fm6Jc1Rg8Yt3Uw7Ne2",
    "slack_token": "xoxb-2718281828-3141592653-Gh7Kp2Lm9Qr4Tv8Wz3Yb6Nd",
    "slack_webhook": "hooks.slack.com/services/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",
    "google_api_key": "AIzaSyD8Qw7Lp2Rt9Zk4Vb8Nm3Hs6Jd1Fg5Tc0X",
    "stripe_key": "sk_live_51Hq7Lp2Rt9Zk4Vb8Nm3Hs6Jd",
    "huggingface_token": "hf_QwLpRtZkVbNmHsJdFgTcXyAeBuCiDoEr",
    "json_web_token": (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyNDIiLCJpYXQiOjE3MDAwMDAwMDB9.Qw7Lp2Rt9Zk4Vb8Nm3Hs6Jd1Fg5Tc0Xy_Ae-Bu"
    ),
    "private_key_block": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    "Qw7Lp2Rt9Zk4Vb8Nm3Hs6Jd1Fg5Tc0Xy\n-----END OPENSSH PRIVATE KEY-----",
}


def test_every_secret_kind_has_a_sample():
    assert set(SECRET_SAMPLES) == {kind.name for kind in SECRET_KINDS}


@pytest.mark.parametrize("kind", sorted(SECRET_SAMPLES))
def test_each_secret_kind_is_replaced_in_place(redactor, kind):
    secret = SECRET_SAMPLES[kind]
    prefix = 'aws_secret_access_key = "' if kind == "aws_secret_access_key" else "here it is: "
    suffix = '" # keep out of git' if kind == "aws_secret_access_key" else " -- please keep it safe"
    text, report = redact(redactor, [prefix + secret + suffix])
    assert text[0].text == prefix + ph("SECRET") + suffix
    assert report.secret_kinds == Counter({kind: 1})


def test_a_truncated_private_key_is_redacted_to_its_last_line(redactor):
    text = (
        "my key:\n-----BEGIN RSA PRIVATE "
        "KEY-----\nMIIEpAIBAAKCAQEAq7Lp2Rt9Zk4Vb8Nm3Hs6Jd1Fg5\nQw7Lp2Rt9Zk4Vb8\n\nwhat is wrong?"
    )
    assert one(redactor, text).text == f"my key:\n{ph('SECRET')}\n\nwhat is wrong?"


# --- exemptions and things that are not personal data ------------------------

KEPT = [
    "Write to info@acme-corp.com or noreply@shop.io for help.",
    "Examples: test@gmail.com, someone@example.com, admin@localhost.test",
    "Order 415-555-2671 shipped on 2023-04-09.",  # digits without a phone cue
    "Card 4111 1111 1111 1112 was declined.",  # fails Luhn
    "Router at 192.168.1.1, mask 255.255.255.0, localhost 127.0.0.1 and ::1.",
    "openai.api_key = 'sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'  # your key here",
    "aws configure with AKIAIOSFODNN7EXAMPLE from the docs",
    "Barack Obama said that Python 3.11 is faster than Python 3.10.",
    "The release on 2023-04-09 fixed version 1.2.3 of Microsoft Word.",
    "def area(r):\n    x = 3.14159 * r ** 2\n    return x  # 2 * pi * r",
    "I am a student and I'm happy. The best Python library is NumPy.",
    "Taylor Swift and Elon Musk were mentioned by Joe Biden in 2022.",
    "Solve 3x + 7 = 22 and 1234 * 5678 = 7006652.",
]


@pytest.mark.parametrize("text", KEPT)
def test_not_personal_is_kept(redactor, text):
    out = one(redactor, text)
    assert out.text == text and not out.redacted and out.entities == []


def test_phone_needs_a_cue_near_the_number():
    policy = RedactionPolicy()
    text = "Call me. " + "x" * 200 + " 415-555-2671"
    start = text.index("415")
    assert not has_phone_cue(text, start, start + 12, policy)
    near = "WhatsApp: 415-555-2671"
    assert has_phone_cue(near, 10, 22, policy)
    # A cue word inside a longer word is no cue.
    assert not has_phone_cue("telescope 415-555-2671", 10, 22, policy)


def test_email_and_ip_rules():
    policy = RedactionPolicy()
    assert is_exempt_email("NoReply@Company.org", policy)
    assert is_exempt_email("bob@mail.example.com", policy)
    assert not is_exempt_email("bob.jones@gmail.com", policy)
    assert is_personal_ip("8.8.8.8") and is_personal_ip("203.0.113.7") and is_personal_ip("::ffff:81.2.69.142")
    assert not is_personal_ip("10.1.2.3") and not is_personal_ip("fe80::1") and not is_personal_ip("::ffff:10.0.0.1")


def test_person_cues_need_a_capitalised_word_in_cased_languages():
    assert name_start_positions("I am a student", "en") == set()
    assert name_start_positions("I am Alice", "en") == {5}
    assert name_start_positions("Dear Dr. Smith,", "en") == {5, 9}
    assert name_start_positions("the best Python", "en") == set()  # sign-offs only start a line
    assert name_start_positions("Kind regards,\n\nBob", "en") == {15}
    assert name_start_positions("Kind regards, Bob", "en") == {14}
    assert name_start_positions("Thanks, Julia! I guess", "en") == set()  # informal: name on its own line
    assert name_start_positions("Thanks,\nJulia", "en") == {8}
    assert name_start_positions("My dear Watson", "en") == set()  # salutations open a line
    assert name_start_positions("我叫李雷", "zh") == {2}


def test_policy_keeps_person_only_at_a_cue():
    text = "Alice met Bob. My name is Carol."
    proposals = [("PERSON", 0, 5), ("PERSON", 10, 13), ("PERSON", 26, 31)]
    assert accept_candidates(text, "en", proposals, RedactionPolicy()) == [("PERSON", 26, 31)]


def test_policy_configuration_is_validated():
    with pytest.raises(ValueError, match="unknown entity"):
        RedactionPolicy(entities=("EMAIL_ADDRESS", "SSN"))
    with pytest.raises(ValueError, match="threshold"):
        RedactionPolicy(default_public_threshold=0)


def test_person_needs_an_ner_model_for_the_language(redactor):
    # A French turn: no French model configured, so names stay; patterns still apply.
    out = one(redactor, "Bonjour, je m'appelle Camille Martin, mon e-mail est camille.martin@orange.fr", "French")
    assert out.entities == ["EMAIL_ADDRESS"] and "Camille Martin" in out.text


# --- the allow-list -------------------------------------------------------------


def test_strings_in_many_conversations_are_public(redactor):
    shared = "Send the report to jane.roe84@gmail.com today."
    texts = [shared] * 10 + ["Send it to bob.stone77@gmail.com now."] * 9
    outputs, report = redact(redactor, texts, conversation_ids=[f"c{i}" for i in range(19)])
    assert all(o.text == shared for o in outputs[:10])  # 10 conversations: public
    assert all(ph("EMAIL_ADDRESS") in o.text for o in outputs[10:])  # 9: still personal
    assert report.allow_listed_strings == Counter({"EMAIL_ADDRESS": 1})
    assert report.cache_hits == 17  # two distinct texts analysed


def test_allow_list_counts_conversations_not_occurrences(redactor):
    texts = ["Mail jane.roe84@gmail.com"] * 12
    outputs, _ = redact(redactor, texts, conversation_ids=["same"] * 6 + ["other"] * 6)
    assert all(ph("EMAIL_ADDRESS") in o.text for o in outputs)


def test_names_need_fifty_conversations_and_ips_are_never_public(redactor):
    name_texts = ["Hi! My name is Emily Watson."] * 49 + ["Hello, my name is Greta Lindqvist."] * 50
    ip_texts = ["My IP is 81.2.69.142, am I blocked?"] * 60
    outputs, report = redact(redactor, name_texts + ip_texts, conversation_ids=[f"c{i}" for i in range(159)])
    assert all(ph("PERSON") in o.text for o in outputs[:49])
    assert all("Greta Lindqvist" in o.text for o in outputs[49:99])
    assert all(ph("IP_ADDRESS") in o.text for o in outputs[99:])
    assert report.allow_listed_strings == Counter({"PERSON": 1})


# --- fast path == plain loop -----------------------------------------------------


def _mixed_texts(real_wildchat, n_real: int = 160) -> list[str]:
    """Short real texts, planted PII, and name cues placed where windows are hardest."""
    from wildchat_dagster.kit.benchmarks.pii import planted_sentence

    rng = random.Random(3)
    real = []
    for line in (real_wildchat / "convotopo_wildchat1m_187_with_metadata.jsonl").read_text().splitlines():
        real += [m["content"][:500] for m in json.loads(line)["messages"] if m["content"]]
    texts = rng.sample(real, n_real)
    names = ["Emily Watson", "Daniel Okafor", "Greta Lindqvist", "Mr. John Smith", "Ana María Silva"]
    cues = ["My name is {}", "Dear {},", "I'm {} and", "Best regards,\n{}", "Thanks,\n\n{}"]
    for _ in range(80):
        base = rng.choice(real)
        cue = rng.choice(cues).format(rng.choice(names))
        where = rng.choice(["start", "end", "middle", "line"])
        if where == "start":
            texts.append(cue + " " + base)
        elif where == "end":
            texts.append(base + " " + cue)
        elif where == "middle":
            cut = len(base) // 2
            texts.append(base[:cut] + " " + cue + " " + base[cut:])
        else:
            texts.append(base + "\n" + cue + "\n" + base[:100])
    texts += [planted_sentence(rng, "team.lead@outlook.com") for _ in range(60)]
    texts += ["", "   ", "\n\n", "Dear", "Regards,\n"]
    return texts


def test_fast_path_equals_plain_presidio_loop(redactor, real_wildchat):
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts, redact_texts_plain

    texts = _mixed_texts(real_wildchat)
    items = [TextToRedact(f"c{i % 97}", t, "English") for i, t in enumerate(texts)]
    fast, report = redact_texts(items, redactor)
    plain, _ = redact_texts_plain(items, redactor)
    mismatches = [(f.entities, p.entities) for f, p in zip(fast, plain, strict=True) if f != p]
    assert mismatches == []
    # The comparison is not vacuous: names, windows and several types were exercised.
    assert report.entities["PERSON"] >= 40 and len(report.entities) >= 5
    assert report.proposals.ner_windows >= 60
    assert report.proposals.texts_analysed < len(texts)


def test_prefilter_admits_every_type_the_plain_loop_redacts(redactor, real_wildchat):
    prefilter = Prefilter(redactor.policy)
    checked = 0
    for text in _mixed_texts(real_wildchat, n_real=60):
        proposals = redactor.propose_plain(text, "en")
        for candidate in accept_candidates(text, "en", proposals, redactor.policy):
            assert candidate.entity_type in prefilter.possible_types(text, "en", True)
            checked += 1
    assert checked >= 50


def test_windowed_ner_needs_whole_text_when_a_name_runs_past_the_window(redactor):
    from wildchat_dagster.core.redaction.engine import ProposalStats

    # A long name right after the cue, then more text: the window (cue + 8 + 4 tokens)
    # must grow to the whole text only if the kept name is too close to its end.
    text = "Hello. My name is " + " ".join(["Maria"] * 14) + " and I like tea. " * 20
    stats = ProposalStats()
    fast = redactor._propose_persons("en", [text], stats)[0]
    plain = [p for p in redactor.propose_plain(text, "en") if p[0] == "PERSON"]
    assert accept_candidates(text, "en", fast, redactor.policy) == accept_candidates(text, "en", plain, redactor.policy)


# --- over-redaction on real WildChat rows ----------------------------------------


def test_over_redaction_on_187_real_conversations(redactor, real_wildchat):
    from wildchat_dagster.core.redaction.conversations import redact_conversations
    from wildchat_dagster.core.redaction.entities import known_placeholders

    earlier_placeholders = known_placeholders()

    rows = []
    for line in (real_wildchat / "convotopo_wildchat1m_187_with_metadata.jsonl").read_text().splitlines():
        row = json.loads(line)
        language = row["metadata"].get("language") or "English"
        conversation = [{"role": m["role"], "content": m["content"], "language": language} for m in row["messages"]]
        rows.append(
            {
                "conversation_id": row["id"],
                "conversation": conversation,
                "wildchat_redacted": row["metadata"]["redacted"],
            }
        )
    redacted, report = redact_conversations(rows, redactor)
    originals = {r["conversation_id"]: r for r in rows}

    def ours(row: dict) -> list[list[str]]:
        """Entities this redactor replaced (WildChat's own placeholders come first in the list)."""
        before = originals[row["conversation_id"]]["conversation"]
        return [
            u["redacted_entities"][len(earlier_placeholders.findall(b["content"])) :]
            for b, u in zip(before, row["conversation"], strict=True)
        ]

    changed = [r for r in redacted if any(ours(r))]
    by_type = Counter(t for r in changed for types in ours(r) for t in types)
    conversations_by_type = Counter(t for r in changed for t in {t for types in ours(r) for t in types})
    # Turns holding WildChat's own placeholders count as redacted, as WildChat marked them.
    with_placeholders = {
        r["conversation_id"] for r in rows if any(earlier_placeholders.search(u["content"]) for u in r["conversation"])
    }
    assert with_placeholders and all(r["redacted"] for r in redacted if r["conversation_id"] in with_placeholders)
    wildchat_marked = {r["conversation_id"] for r in rows if r["wildchat_redacted"]}
    print(
        f"\nover-redaction: {len(changed)}/{len(rows)} conversations changed (WildChat marked {len(wildchat_marked)}), "
        f"{report.texts_redacted}/{report.texts} turns; replacements by type {dict(by_type)}; "
        f"conversations by type {dict(conversations_by_type)}; "
        f"changed that WildChat also marked: {len(wildchat_marked & {r['conversation_id'] for r in changed})}"
    )
    for r in changed:
        for _before, after in zip(originals[r["conversation_id"]]["conversation"], r["conversation"], strict=True):
            if after["redacted"]:
                i = after["content"].find("<PRESIDIO_ANONYMIZED_")
                print(

                        f"  {r['conversation_id'][:22]} {after['redacted_entities']}: "
                        f"…{after['content'][max(0, i - 60) : i + 40]!r}"

                )
                break
    # Measured: 3 (WildChat marked 4, three of which hold only its own placeholders now): a GPA
    # certificate with a Chinese resident ID and "Name: <student>", a student's own name and the
    # e-mails of her assignment's data, a thank-you letter "Dear <name>". Character sheets, a
    # screenplay, code, quoted speech and a team's sign-off are no longer touched.
    assert len(changed) <= 4
    assert conversations_by_type["PERSON"] >= 1 and conversations_by_type["EMAIL_ADDRESS"] >= 1
    assert conversations_by_type["CN_RESIDENT_ID"] == 1
    assert not conversations_by_type.keys() - {
        "PERSON",
        "EMAIL_ADDRESS",
        "CN_RESIDENT_ID",
    }  # no stray phones, IPs, cards


# --- the asset -------------------------------------------------------------------


def test_materialize_redacted_conversations(data_dir, pii_redactor):
    from wildchat_dagster.assets.redaction.redaction import redacted_conversations

    planted_ip = "81.2.69.142"
    rows = [
        conversation_record(
            "language_tagged_conversations",
            [
                ("user", f"Hi, my name is Emily Watson, mail emily.watson84@gmail.com, my IP is {planted_ip}."),
                ("assistant", "Hello Emily! How can I help?"),
                ("user", "Here is my key sk-proj-Qw7Lp2Rt9Zk4Vb8Nm3Hs6Jd1Fg5Tc0XyAeBu, is it valid?"),
                ("assistant", ""),
            ],
            ip=planted_ip,
        ),
        conversation_record(
            "language_tagged_conversations",
            [("user", "写一首关于春天的诗"), ("assistant", "春风拂面，花开满园。")],
            utterance_overrides=[{"language": "Chinese"}, {"language": "Chinese"}],
        ),
    ]
    store = Warehouse(data_dir)
    store.write_records("language_tagged_conversations", MONTH, rows)
    store.write_records("raw_logs", MONTH, [{"log_id": "l1", "ip": planted_ip}])

    result = dg.materialize(
        [redacted_conversations],
        partition_key=MONTH,
        resources={"warehouse": WarehouseResource(data_dir=str(data_dir)), "pii_redactor": pii_redactor},
    )
    assert result.success
    out = store.read_records("redacted_conversations", MONTH)
    first, second = out
    assert first["redacted"] and not second["redacted"]
    turns = first["conversation"]
    assert turns[0]["content"] == (
        f"Hi, my name is {ph('PERSON')}, mail {ph('EMAIL_ADDRESS')}, my IP is {ph('IP_ADDRESS')}."
    )
    assert turns[0]["redacted_entities"] == ["PERSON", "EMAIL_ADDRESS", "IP_ADDRESS"]
    # Where each placeholder is and which rule put it there (for `explain`), never the value.
    spans = turns[0]["redactions"]
    assert [(s["entity_type"], s["rule"]) for s in spans] == [
        ("PERSON", "name_after_cue"), ("EMAIL_ADDRESS", "email_address_not_role_or_placeholder"),
        ("IP_ADDRESS", "personal_ip_address"),
    ]
    assert all(turns[0]["content"][s["start"] : s["end"]] == ph(s["entity_type"]) for s in spans)
    assert [(s["entity_type"], s["rule"]) for s in turns[2]["redactions"]] == [("SECRET", "secret_openai_api_key")]
    assert turns[1]["redactions"] == []
    assert turns[2]["content"] == f"Here is my key {ph('SECRET')}, is it valid?"
    assert not turns[1]["redacted"] and turns[1]["redacted_entities"] == []  # "Hello Emily!" has no cue
    assert turns[0]["country"] == "United States" and turns[0]["language"] == "English"  # upstream fields kept
    assert second["conversation"][1]["content"] == "春风拂面，花开满园。"

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["no_raw_client_ips"].passed and checks["placeholders_well_formed"].passed
    metadata = result.asset_materializations_for_node("redacted_conversations")[0].metadata
    assert metadata["utterances_processed"].value == 6
    assert metadata["conversations_redacted"].value == 1
    assert metadata["entities_redacted_by_type"].value == {
        "PERSON": 1,
        "EMAIL_ADDRESS": 1,
        "IP_ADDRESS": 1,
        "SECRET": 1,
    }
    assert metadata["secrets_by_kind"].value == {"openai_api_key": 1}
    assert "en" in metadata["ner_models"].value
    assert "sk-proj" not in json.dumps({k: str(v.value) for k, v in metadata.items()})


def test_placeholders_check_fails_on_inconsistent_rows():
    from wildchat_dagster.assets.redaction.redaction import PLACEHOLDERS_CHECK, placeholders_well_formed

    row = conversation_record("redacted_conversations", [("user", "no placeholder here")])
    row["conversation"][0].update(redacted=True, redacted_entities=["EMAIL_ADDRESS"])
    row["redacted"] = True
    totals = placeholders_well_formed([row])
    assert not PLACEHOLDERS_CHECK.passed(totals) and totals.missing_placeholders == 1


# --- the resource ----------------------------------------------------------------


def test_unknown_model_is_a_clear_error_without_download(tmp_path):
    from wildchat_dagster.core.redaction.nlp import ModelNotInstalledError

    resource = PIIRedactor(spacy_models={"German": "de_core_news_sm_not_installed"}, tldextract_cache_dir=str(tmp_path))
    with pytest.raises(ModelNotInstalledError, match="never downloaded"):
        resource.get_redactor()


def test_language_keys_accept_names_and_codes():
    from wildchat_dagster.core.redaction.nlp import language_code

    assert language_code("English") == "en" and language_code("Chinese") == "zh" and language_code("de") == "de"
    with pytest.raises(ValueError, match="unknown language"):
        language_code("Klingon")


def test_worker_pool_gives_the_same_output(redactor):
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts

    texts = [
        f"Case {i}: my name is Emily Watson, mail emily{i}@gmail.com, call me at 415-555-{2600 + i}." for i in range(40)
    ]
    texts += ["Nothing personal here, just Python 3.11."] * 10
    items = [TextToRedact(f"c{i}", t, "English") for i, t in enumerate(texts)]
    single, _ = redact_texts(items, redactor, workers=1)
    pooled, report = redact_texts(items, redactor, workers=2, parallel_min_texts=1)
    assert report.workers_used == 2
    assert pooled == single
    assert sum(o.redacted for o in pooled) == 40


def test_a_model_per_language_enables_names_in_that_language(tmp_path):
    # The installed English model stands in for a French one (fr_core_news_* is not installed
    # here); what is tested is the routing: French turns get NER and French cues.
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts

    model = installed_english_model()
    resource = PIIRedactor(spacy_models={"English": model, "fr": model}, tldextract_cache_dir=str(tmp_path))
    redactor = resource.get_redactor()
    assert set(redactor.models_in_force()) == {"en", "fr"}
    texts = ["Bonjour, je m'appelle Camille Martin et je cherche un emploi.", "Cordialement,\nCamille Martin"]
    outputs, _ = redact_texts([TextToRedact(f"c{i}", t, "French") for i, t in enumerate(texts)], redactor)
    assert outputs[0].text == f"Bonjour, je m'appelle {ph('PERSON')} et je cherche un emploi."
    assert outputs[1].text == f"Cordialement,\n{ph('PERSON')}"


def test_without_an_ner_model_patterns_still_run(tmp_path, monkeypatch):
    from wildchat_dagster.resources import pii_redactor as module

    monkeypatch.setattr(module, "installed_english_model", lambda: None)
    with pytest.warns(UserWarning, match="pattern recognizers only"):
        resource = PIIRedactor.from_defaults(tmp_path)
    assert resource.spacy_models == {} and "pattern recognizers only" in resource.ner_model_note
    redactor = resource.get_redactor()
    out = one(redactor, "My name is Emily Watson, mail emily.watson84@gmail.com")
    assert out.text == f"My name is Emily Watson, mail {ph('EMAIL_ADDRESS')}"
    assert resource.describe()["ner_models"] == {"none": module.NO_MODEL_NOTE}


def test_no_planted_value_survives_in_synthetic_logs(redactor, tmp_path):
    # The project's log generator plants PII and secrets in 15 languages and look-alikes
    # (public figures, versions, dates, example.com) that must stay.
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts
    from wildchat_dagster.kit.synthetic.generator import generate_landing

    generate_landing(tmp_path, [MONTH], 400, seed=1)
    rows = [json.loads(line) for line in (tmp_path / "ground_truth" / "conversations.jsonl").read_text().splitlines()]
    items = [TextToRedact(r["conversation_id"], m["content"], r["language"]) for r in rows for m in r["messages"]]
    outputs, _ = redact_texts(items, redactor)
    texts: dict[str, list[str]] = {}
    for item, out in zip(items, outputs, strict=True):
        texts.setdefault(item.conversation_id, []).append(out.text or "")
    planted = [(p["type"], p["value"], r["conversation_id"]) for r in rows for p in r["planted"]]
    assert len({t for t, _, _ in planted}) == 7  # every type was planted
    assert [p for p in planted if p[1] in "\n".join(texts[p[2]])] == []
    lookalikes = [(v, r["conversation_id"]) for r in rows for v in r["lookalikes"]]
    assert lookalikes and [v for v, c in lookalikes if v not in "\n".join(texts[c])] == []
    untouched = [r for r in rows if not r["planted"]]
    assert not [r for r in untouched if any("<PRESIDIO_ANONYMIZED_" in t for t in texts[r["conversation_id"]])]



def test_merged_placeholders_keep_every_rule_and_earlier_ones_are_named():
    from wildchat_dagster.core.redaction.policy import Candidate
    from wildchat_dagster.core.redaction.spans import EARLIER, align_rules, placeholder_spans

    text = "sk-a sk-b and bob@example.org"
    chosen = [Candidate("SECRET", 0, 4), Candidate("SECRET", 5, 9), Candidate("EMAIL_ADDRESS", 14, 29)]
    rules = ["secret_openai_api_key", "secret_github_token", "email_address_not_role_or_placeholder"]
    # Presidio merged the two blank-separated secrets into one placeholder.
    assert align_rules(text, chosen, rules, ["SECRET", "EMAIL_ADDRESS"]) == [
        "secret_openai_api_key+secret_github_token", "email_address_not_role_or_placeholder"]
    assert align_rules(text, chosen, rules, ["SECRET", "SECRET", "EMAIL_ADDRESS"]) == rules
    redacted = f"{ph('IP_ADDRESS')} then {ph('PERSON')}"
    start = len(ph("IP_ADDRESS")) + 6
    spans = placeholder_spans(redacted, [("PERSON", start, start + len(ph("PERSON")), "name_after_cue")])
    assert [(s["entity_type"], s["rule"]) for s in spans] == [("IP_ADDRESS", EARLIER), ("PERSON", "name_after_cue")]
    with pytest.raises(ValueError):
        placeholder_spans(redacted, [("PERSON", 0, 5, "name_after_cue")])


def test_two_pass_streaming_equals_one_batch(data_dir, pii_redactor, redactor):
    """Batches of 4 conversations give the table the one-batch month gave: a string in 12 of 30
    conversations (no batch holds 10) is public month-wide and kept, a rarer one is redacted."""
    import wildchat_dagster.assets.redaction.redaction as redaction_asset
    from wildchat_dagster.core.redaction.conversations import redact_conversations

    public, private = "orders@acme-widgets.com", "jane.roe77@gmail.com"
    rows = [
        conversation_record(
            "language_tagged_conversations",
            [
                ("user", f"Order {i}: please write to {public if i % 5 < 2 else 'nobody'} today."),
                ("assistant", f"My name is Dana Reyes and you can mail {private}." if i in (3, 17) else "Sure."),
            ],
        )
        for i in range(30)
    ]
    store = Warehouse(data_dir)
    store.write_records("language_tagged_conversations", MONTH, rows)
    store.write_records("raw_logs", MONTH, [{"log_id": "l1", "ip": "81.2.69.142"}])
    expected, _ = redact_conversations(rows, redactor)
    store.write_records("redacted_conversations", "2023-05", expected)

    result = dg.materialize(
        [redaction_asset.redacted_conversations],
        partition_key=MONTH,
        resources={"warehouse": WarehouseResource(data_dir=str(data_dir), batch_rows=4), "pii_redactor": pii_redactor},
    )
    assert result.success
    streamed = store.read_table("redacted_conversations", MONTH)
    assert streamed.equals(store.read_table("redacted_conversations", "2023-05"))
    texts = [u["content"] for row in streamed.to_pylist() for u in row["conversation"]]
    assert sum(public in t for t in texts) == 12 and not any(private in t for t in texts)
    metadata = result.asset_materializations_for_node("redacted_conversations")[0].metadata
    assert metadata["allow_listed_strings_by_type"].value == {"EMAIL_ADDRESS": 1}
    assert metadata["allow_listed_occurrences_kept"].value == 12
    assert not store.layout.shard_dir("redacted_conversations", MONTH).exists()  # pass 1's file removed

    # In shards of 8 conversations (4 steps of each pass): no shard sees the public string 10 times,
    # the allow-list is the month's all the same.
    sharded = dg.materialize(
        [redaction_asset.redacted_conversations],
        partition_key=MONTH,
        resources={"warehouse": WarehouseResource(data_dir=str(data_dir), batch_rows=4, shard_rows=8),
                   "pii_redactor": pii_redactor},
    )
    assert sharded.success
    assert store.read_table("redacted_conversations", MONTH).equals(streamed)
    surveys = {e.step_key for e in sharded.get_step_success_events() if ".survey_" in e.step_key}
    assert len(surveys) == 4
    metadata = sharded.asset_materializations_for_node("redacted_conversations")[0].metadata
    assert metadata["allow_listed_occurrences_kept"].value == 12 and metadata["shards"].value == 4


def test_two_shards_redaction_results_merge_into_the_one_pass_result(redactor):
    """The shard steps' parts (survey per shard, the month's allow-list, pass 2 per shard) merge
    into what one pass over the month reports."""
    from dataclasses import replace

    from wildchat_dagster.core.redaction.month import (
        RedactionReport,
        TextToRedact,
        allow_list,
        analyse_texts,
        conversation_counts,
        redact_candidates,
        redact_texts,
    )
    from wildchat_dagster.core.stats import merge_all

    texts = [f"Send report {i} to jane.roe84@gmail.com today." for i in range(10)]  # public: 10 conversations
    texts += [f"I'm Emily Watson, call me on 415-555-{2600 + i} or mail emily{i}@gmail.com" for i in range(6)]
    texts += ["My key is sk-proj-" + "a1B2c3D4" * 6, "Nothing personal here.", ""]
    items = [TextToRedact(f"c{i}", text, "English") for i, text in enumerate(texts)]
    _, whole = redact_texts(items, redactor)
    halves = [items[::2], items[1::2]]  # no text in both: distinct texts are counted per batch
    surveys, candidates = [RedactionReport(), RedactionReport()], []
    for half, report in zip(halves, surveys, strict=True):
        candidates.append(analyse_texts(half, redactor, report))
    month = RedactionReport()
    counts = sum(
        (conversation_counts(h, c, redactor.policy) for h, c in zip(halves, candidates, strict=True)), Counter()
    )
    public = allow_list(counts, redactor.policy, month)
    passes = [RedactionReport(), RedactionReport()]
    for half, found, report in zip(halves, candidates, passes, strict=True):
        redact_candidates(half, found, public, redactor, report)
    merged = merge_all([r.result() for r in [*surveys, month, *passes]])
    assert replace(merged, seconds=0.0) == replace(whole.result(), seconds=0.0)
    assert merged.allow_listed_strings == {"EMAIL_ADDRESS": 1} and merged.allow_listed_occurrences == 10
    assert merged.entities["PERSON"] == 6 and merged.secret_kinds and merged.texts == len(texts)
