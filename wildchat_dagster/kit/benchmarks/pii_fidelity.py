"""Redaction fidelity: what the stage changes in real WildChat text, and what it misses in planted text.

Real data: the 187 WildChat-1M conversations shipped with their `redacted`
flag (WildChat's own redaction marked 4 of them) and the 402 shipped
without metadata; every turn is redacted as the stage would, and every
replacement this redactor makes (WildChat's own placeholders aside) is
listed with its surroundings so a reviewer can judge it. Synthetic data:
the project's log generator plants PII, secrets and national IDs in 15
languages next to look-alikes; planted values left and look-alikes
redacted should both be 0.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections import Counter
from pathlib import Path

from wildchat_dagster.core.redaction.conversations import redact_conversations
from wildchat_dagster.core.redaction.engine import PresidioRedactor, RedactorConfig
from wildchat_dagster.core.redaction.entities import known_placeholders
from wildchat_dagster.core.redaction.identifiers import gb11643_check_character
from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts
from wildchat_dagster.kit.samples import REAL_WILDCHAT
from wildchat_dagster.resources.pii_redactor import installed_english_model
from wildchat_dagster.schema import placeholder_regex

REAL_FILES = ("convotopo_wildchat1m_187_with_metadata.jsonl", "convotopo_wildchat1m_402_messages_model_only.jsonl")
_ANY_PLACEHOLDER = placeholder_regex()


def real_rows(name: str, folder: Path = REAL_WILDCHAT) -> list[dict]:
    """language_tagged-shaped rows of one shipped file (language from its metadata, else English)."""
    rows = []
    for line in (folder / name).read_text().splitlines():
        row = json.loads(line)
        metadata = row.get("metadata") or {}
        language = metadata.get("language") or "English"
        turns = [{"role": m["role"], "content": m["content"], "language": language} for m in row["messages"]]
        rows.append(
            {"conversation_id": row["id"], "conversation": turns, "wildchat_redacted": metadata.get("redacted")}
        )
    return rows


def replacements(before: str, after: str, context: int = 40) -> list[tuple[str, str]]:
    """(entity type, the original text around the replaced value, value in [brackets]) for each new placeholder."""
    found = []
    pieces = _ANY_PLACEHOLDER.split(after)  # text, type, text, type, ...
    position = 0
    for i in range(0, len(pieces) - 2, 2):
        position = before.index(pieces[i], position) + len(pieces[i]) if pieces[i] else position
        following = pieces[i + 2]
        end = before.index(following, position) if following else len(before)
        value = before[position:end]
        if not known_placeholders().fullmatch(value):
            shown = before[max(0, position - context) : position] + "[" + value + "]" + before[end : end + context]
            found.append((pieces[i + 1], shown))
        position = end
    return found


def changed_conversations(rows: list[dict], redactor: PresidioRedactor) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(conversation id, [(role, type, shown)]) for every conversation this redactor changed."""
    redacted, _ = redact_conversations(rows, redactor)
    changed = []
    for before, after in zip(rows, redacted, strict=True):
        found = [
            (b["role"], entity_type, shown)
            for b, a in zip(before["conversation"], after["conversation"], strict=True)
            if a["content"] != b["content"]
            for entity_type, shown in replacements(b["content"], a["content"])
        ]
        if found:
            changed.append((before["conversation_id"], found))
    return changed


def synthetic_misses(redactor: PresidioRedactor, conversations: int) -> dict:
    """Planted values left and look-alikes redacted on the generator's ground truth."""
    from wildchat_dagster.kit.synthetic.generator import generate_landing

    with tempfile.TemporaryDirectory() as tmp:
        generate_landing(Path(tmp), ["2023-04"], conversations, seed=1)
        lines = (Path(tmp) / "ground_truth" / "conversations.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    items = [TextToRedact(r["conversation_id"], m["content"], r["language"]) for r in rows for m in r["messages"]]
    outputs, report = redact_texts(items, redactor)
    texts: dict[str, str] = {}
    for item, out in zip(items, outputs, strict=True):
        texts[item.conversation_id] = texts.get(item.conversation_id, "") + "\n" + (out.text or "")
    planted = [(p["type"], p["value"], r["conversation_id"]) for r in rows for p in r["planted"]]
    left = [(t, v) for t, v, c in planted if v in texts[c]]
    lookalikes = [(v, r["conversation_id"]) for r in rows for v in r["lookalikes"]]
    lost = [v for v, c in lookalikes if v not in texts[c]]
    return {
        "conversations": len(rows),
        "planted": len(planted),
        "planted_types": dict(Counter(t for t, _, _ in planted)),
        "planted_left": left,
        "lookalikes": len(lookalikes),
        "lookalikes_redacted": lost,
        "entities": dict(report.entities),
    }


def _luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    digits = [int(d) for d in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    total = sum(d if i % 2 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _cn_id(rng: random.Random, valid: bool) -> str:
    first17 = f"{rng.choice(['110105', '310104', '440305', '620102'])}{rng.randrange(1950, 2005)}"
    first17 += f"{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
    check = gb11643_check_character(first17)
    return first17 + (check if valid else "0123456789X"[("0123456789X".index(check) + 1) % 11])


def _nhs(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check < 10:
            s = "".join(map(str, digits)) + str(check % 11)
            return f"{s[:3]} {s[3:6]} {s[6:]}"


def identifier_cases(n: int, seed: int = 5) -> list[tuple[str, str, str | None]]:
    """(text, value, planted type or None for a look-alike) with checksum-valid IDs and cards next to
    their cues, and look-alikes: wrong checksums, valid checksums without a cue, coupon numbers."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        cn, bad_cn, nhs = _cn_id(rng, True), _cn_id(rng, False), _nhs(rng)
        card, coupon = _luhn_complete(rng, "4", 16), _luhn_complete(rng, "310", 16)
        cases += [
            (f"身份证号：{cn}，请帮我填表", cn, "CN_RESIDENT_ID"),
            (f"ID Number: {cn}\nGrade: A", cn, "CN_RESIDENT_ID"),
            (f"My NHS number is {nhs}, can you write the letter?", nhs, "UK_NHS"),
            (f"I paid with {card} yesterday.", card, "CREDIT_CARD"),
            (f"ID Number: {bad_cn}", bad_cn, None),
            (f"Ticket {nhs} is still open.", nhs, None),
            (f'{{"coupon_id": "{coupon}", "discount": 5}}', coupon, None),
        ]
    return cases


def identifier_misses(redactor: PresidioRedactor, n: int) -> dict:
    cases = identifier_cases(n)
    items = [TextToRedact(f"id-{i}", text, "English") for i, (text, _, _) in enumerate(cases)]
    outputs, _ = redact_texts(items, redactor)
    left = [(t, v) for (_, v, t), out in zip(cases, outputs, strict=True) if t and v in out.text]
    lost = [v for (_, v, t), out in zip(cases, outputs, strict=True) if t is None and v not in out.text]
    planted = sum(1 for _, _, t in cases if t)
    return {"planted": planted, "planted_left": left, "lookalikes": len(cases) - planted, "lookalikes_redacted": lost}


def run(size: int) -> dict:
    """Real-data changes (listed) and synthetic misses on `size` generated conversations."""
    model = installed_english_model()
    redactor = PresidioRedactor(RedactorConfig(spacy_models=(("en", model),) if model else ()))
    result: dict = {"ner_model": redactor.models_in_force()}
    for name in REAL_FILES:
        rows = real_rows(name)
        changed = changed_conversations(rows, redactor)
        marked = sum(1 for r in rows if r["wildchat_redacted"])
        flag = f", WildChat marked {marked}" if any(r["wildchat_redacted"] is not None for r in rows) else ""
        print(f"{name}: {len(changed)}/{len(rows)} conversations changed{flag}")
        for conversation_id, found in changed:
            for role, entity_type, shown in found:
                print(f"  {conversation_id[:26]} {role:9} {entity_type:14} {shown!r}")
        result[name] = {"conversations": len(rows), "changed": len(changed), "wildchat_marked": marked}
    synthetic = synthetic_misses(redactor, size)
    print(
        f"synthetic ground truth: {synthetic['conversations']} conversations, {synthetic['planted']} planted values "
        f"({synthetic['planted_types']}), left {len(synthetic['planted_left'])}; "
        f"{synthetic['lookalikes']} look-alikes, redacted {len(synthetic['lookalikes_redacted'])}"
    )
    for entity_type, value in synthetic["planted_left"][:10]:
        print(f"  left: {entity_type} {value!r}")
    for value in synthetic["lookalikes_redacted"][:10]:
        print(f"  look-alike redacted: {value!r}")
    ids = identifier_misses(redactor, max(1, size // 20))
    print(
        f"national IDs and cards: {ids['planted']} planted, left {len(ids['planted_left'])}; "
        f"{ids['lookalikes']} look-alikes (bad checksums, no cue, coupons), redacted {len(ids['lookalikes_redacted'])}"
    )
    for entity_type, value in ids["planted_left"][:10]:
        print(f"  left: {entity_type} {value!r}")
    for value in ids["lookalikes_redacted"][:10]:
        print(f"  look-alike redacted: {value!r}")
    result["identifiers"] = {k: len(v) if isinstance(v, list) else v for k, v in ids.items()}
    result["synthetic"] = {
        k: len(v) if isinstance(v, list) else v for k, v in synthetic.items()
    }
    return result
