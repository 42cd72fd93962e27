"""The offline moderator (alt-profanity-check) and the evaluation behind its threshold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wildchat_dagster.core.moderation.policy import PROFANITY_THRESHOLD, ModerationThresholds, utterance_toxic
from wildchat_dagster.resources.profanity import ProfanityResource

TOXIC_MESSAGES = Path(__file__).parent / "moderation_toxic_messages.txt"


def _scores(texts):
    moderator = ProfanityResource().load().moderator
    results = {}
    for indices, probabilities in moderator.moderate(texts):
        results.update(zip(indices, probabilities, strict=True))
    return [results[i] for i in range(len(texts))]


def _real_messages(real_wildchat: Path) -> list[str]:
    """Every non-empty turn of the real WildChat samples (WildChat marked none of them toxic)."""
    texts = []
    for name in ("convotopo_wildchat1m_187_with_metadata.jsonl", "convotopo_wildchat1m_402_messages_model_only.jsonl"):
        for line in (real_wildchat / name).read_text(encoding="utf-8").splitlines():
            texts += [m["content"] for m in json.loads(line)["messages"] if m["content"].strip()]
    for line in (real_wildchat / "wildchat1m_fullschema_5rows.jsonl").read_text(encoding="utf-8").splitlines():
        texts += [u["content"] for u in json.loads(line)["conversation"] if u["content"].strip()]
    return texts


def _toxic_messages() -> list[str]:
    lines = TOXIC_MESSAGES.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_obvious_profanity_is_flagged_and_clean_text_is_not():
    texts = [
        "you are a fucking idiot",
        "what the hell is this shit",
        "Can you help me write a cover letter?",
        "Thanks!",
    ]
    scores = _scores(texts)
    assert [s > PROFANITY_THRESHOLD for s in scores] == [True, True, False, False]


def test_version_names_package_and_model_files():
    moderator = ProfanityResource().load().moderator
    assert moderator.version.startswith("alt-profanity-check==1.9.1+")
    list(moderator.moderate(["a", "b", "c"]))
    assert moderator.usage()["model_runs"] == 1  # one batched call, never one per text


def test_threshold_evaluation_on_real_wildchat_and_toxic_messages(real_wildchat):
    clean = _real_messages(real_wildchat)
    toxic = _toxic_messages()
    clean_scores, toxic_scores = _scores(clean), _scores(toxic)
    table = {
        t: (sum(s > t for s in toxic_scores), sum(s > t for s in clean_scores)) for t in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
    }
    print(f"\n{len(toxic)} toxic / {len(clean)} real WildChat messages; threshold: (toxic flagged, clean flagged)")
    for threshold, (hits, false_alarms) in table.items():
        print(f"  {threshold}: {hits}/{len(toxic)} toxic, {false_alarms}/{len(clean)} clean")
    hits = sum(s > PROFANITY_THRESHOLD for s in toxic_scores)
    false_alarms = sum(s > PROFANITY_THRESHOLD for s in clean_scores)
    assert len(toxic) >= 40 and len(clean) >= 4000
    assert hits / len(toxic) >= 0.9
    assert false_alarms / len(clean) <= 0.001
    # Among a few dozen real messages, none is flagged.
    assert not any(s > PROFANITY_THRESHOLD for s in clean_scores[:40])


@pytest.mark.parametrize("enabled", [None, True, False])
def test_enabled_setting_is_recorded(enabled):
    assert ProfanityResource(enabled=enabled).configuration()["enabled"] == ("auto" if enabled is None else enabled)


def test_chosen_threshold_meets_the_calibration_targets_on_the_shipped_data():
    """The threshold and short-turn rule in force are the ones `bench calibration` chooses: at most 0.5% of
    the real English WildChat turns flagged, at least 90% of the toxic lines caught, no greeting ("mom",
    "hi mom") flagged, and an insult diluted in a long request (scoring just over 0.7) flagged."""
    from wildchat_dagster.kit.benchmarks import calibration

    clean = calibration.english_turns(calibration.real_turns())
    rows = calibration.evaluate(_scores, clean, _toxic_messages())
    chosen = calibration.choose(rows)
    assert len(clean) >= 2_500 and chosen is not None
    assert (chosen.threshold, chosen.short_turn_rule) == (PROFANITY_THRESHOLD, True)
    assert chosen.clean_rate <= 0.005 and chosen.recall >= 0.9 and chosen.greetings_flagged == ()

    def flagged(texts):
        return [utterance_toxic({"content": t, "profanity_score": s}, ModerationThresholds())
                for t, s in zip(texts, _scores(texts), strict=True)]

    diluted = calibration.DILUTED[0]
    assert 0.7 < _scores([diluted])[0] < 0.75
    assert flagged(["mom", "hi mom", "hey mom", "Hello!", "good morning", "eat shit", "shut up, loser", diluted]) == [
        False, False, False, False, False, True, True, True]
    # Without the rule the same threshold flags the family words; the rule's short-turn threshold alone
    # (0.8 everywhere) misses the diluted insult: the reasons for the rule.
    without_rule = next(r for r in rows if r.threshold == PROFANITY_THRESHOLD and not r.short_turn_rule)
    assert {"mom", "hey mom"} <= set(without_rule.greetings_flagged)
    assert next(r for r in rows if r.threshold == 0.8 and r.short_turn_rule).diluted_caught < len(calibration.DILUTED)


EDGE_TEXTS = [
    "Fuck_you 2x a b I'm OK!!", "THE and of TO", "naïve café shit", "über-idiot", "x\x0by\x0cz\x1cw\x1fq",
    "tab\tseparated\r\nlines", "snake_case_word __init__ 42 007", "👍 idiot 👍", "Идиот stupid", "a", "  ",
]


def test_fast_words_give_the_package_probabilities_bit_for_bit(real_wildchat):
    """The byte-table split of ASCII turns must reproduce scikit-learn's tokens, hence the same scores."""
    from profanity_check import predict_prob
    from profanity_check.profanity_check import model, vectorizer

    from wildchat_dagster.core.moderation.profanity_model import fast_predict_prob

    fast = fast_predict_prob(vectorizer, model)
    texts = _real_messages(real_wildchat) + _toxic_messages() + EDGE_TEXTS
    assert fast is not None and sum(t.isascii() for t in texts) > len(texts) // 2 > 0  # both paths are exercised
    assert fast(texts).tobytes() == predict_prob(texts).tobytes()
    for start in range(0, 600, 50):  # batches as the moderator sends them
        assert fast(texts[start : start + 50]).tobytes() == predict_prob(texts[start : start + 50]).tobytes()
    assert ProfanityResource().load().moderator._predict_prob is not predict_prob  # the loader uses it


@pytest.mark.parametrize("change", ["bigrams", "stop_word_in_vocabulary", "no_lowercase"])
def test_fast_words_decline_a_vectorizer_they_do_not_reproduce(change):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from wildchat_dagster.core.moderation.profanity_model import fast_predict_prob

    vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2) if change == "bigrams" else (1, 1),
                                 lowercase=change != "no_lowercase")
    vectorizer.fit(["the cat sat on the mat", "a dog ate the bone"])
    if change == "stop_word_in_vocabulary":
        vectorizer.vocabulary_ = {**vectorizer.vocabulary_, "the": len(vectorizer.vocabulary_)}
    assert fast_predict_prob(vectorizer, model=None) is None
