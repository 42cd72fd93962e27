"""The moderation rules: result mapping, splitting, windows, the toxic decision, exclusion."""

from __future__ import annotations

import json

import pytest

from wildchat_dagster.core.moderation.cache import ModerationCache
from wildchat_dagster.core.moderation.coverage import coverage_summary, missing_results, unscreened_languages
from wildchat_dagster.core.moderation.moderators import DETOXIFY, OPENAI, PROFANITY
from wildchat_dagster.core.moderation.policy import (
    ModerationThresholds,
    count_sexual_minors,
    exclusion_reason,
    profanity_decision,
    toxic_reasons,
    utterance_toxic,
)
from wildchat_dagster.core.moderation.results import (
    combine_openai_results,
    detoxify_struct,
    estimate_tokens,
    openai_struct,
    split_in_halves,
)
from wildchat_dagster.core.moderation.run import moderate_conversations
from wildchat_dagster.core.moderation.windows import (
    length_sorted_batches,
    split_at_token_windows,
    windowed_batch_scores,
)
from wildchat_dagster.kit.fakes.openai_server import stub_result
from wildchat_dagster.schema import DETOXIFY_SCORES, OPENAI_CATEGORIES

from factories import conversation_record

API_RESULT = {
    "flagged": True,
    "categories": {
        "harassment": False,
        "harassment/threatening": False,
        "hate": False,
        "hate/threatening": False,
        "illicit": True,
        "illicit/violent": False,
        "self-harm": True,
        "self-harm/intent": False,
        "self-harm/instructions": True,
        "sexual": False,
        "sexual/minors": False,
        "violence": True,
        "violence/graphic": False,
    },
    "category_scores": {
        "harassment": 0.01,
        "harassment/threatening": 0.02,
        "hate": 0.03,
        "hate/threatening": 0.04,
        "illicit": 0.9,
        "illicit/violent": 0.2,
        "self-harm": 0.8,
        "self-harm/intent": 0.05,
        "self-harm/instructions": 0.7,
        "sexual": 0.06,
        "sexual/minors": 0.07,
        "violence": 0.95,
        "violence/graphic": 0.08,
    },
    "category_applied_input_types": {"violence": ["text"], "illicit": ["text"]},
}


def test_openai_result_maps_to_the_18_wildchat_keys_with_both_spellings():
    struct = openai_struct(API_RESULT)
    assert list(struct["categories"]) == OPENAI_CATEGORIES
    assert list(struct["category_scores"]) == OPENAI_CATEGORIES
    assert struct["flagged"] is True
    assert struct["categories"]["self-harm"] is struct["categories"]["self_harm"] is True
    assert struct["categories"]["self-harm/instructions"] is struct["categories"]["self_harm_instructions"] is True
    assert struct["category_scores"]["self_harm_intent"] == struct["category_scores"]["self-harm/intent"] == 0.05
    assert struct["category_scores"]["violence_graphic"] == 0.08
    assert struct["category_scores"]["hate_threatening"] == 0.04
    # Extra categories stay out of the release struct.
    assert "illicit" not in struct["categories"] and "illicit" not in struct["category_scores"]


def test_missing_category_stays_null_rather_than_invented():
    partial = {"flagged": False, "categories": {"hate": False}, "category_scores": {"hate": 0.1}}
    struct = openai_struct(partial)
    assert struct["categories"]["hate"] is False
    assert struct["categories"]["violence"] is None and struct["category_scores"]["violence"] is None


def test_parts_of_a_split_text_combine_by_or_and_max():
    a = stub_result("nothing to see here")
    b = stub_result("I will kill the gore monster")
    combined = combine_openai_results([a, b])
    assert combined["flagged"] is True
    assert combined["categories"]["violence"] is True and combined["categories"]["violence/graphic"] is True
    assert combined["categories"]["sexual"] is False
    for category, score in combined["category_scores"].items():
        assert score == max(a["category_scores"][category], b["category_scores"][category])
    assert combined["category_applied_input_types"]["violence"] == ["text"]
    assert combined["combined_from_parts"] == 2
    assert combine_openai_results([combined, a])["combined_from_parts"] == 3


def test_split_in_halves_cuts_at_whitespace_and_keeps_every_character():
    text = "alpha beta gamma delta epsilon zeta"
    first, second = split_in_halves(text)
    assert first + second == text
    assert first.endswith(" ") and abs(len(first) - len(second)) < 10
    assert "".join(split_in_halves("x" * 11)) == "x" * 11
    assert split_in_halves("x") == ["x"]


def test_token_estimate_is_conservative_for_non_latin_text():
    assert estimate_tokens("a" * 400) == 101
    assert estimate_tokens("日本語" * 100) == 301


def test_token_windows_cover_the_text_within_the_window():
    text = " ".join(f"w{i}" for i in range(50))
    starts = [i for i, ch in enumerate(text) if ch == "w"]  # one token per word
    pieces = split_at_token_windows(text, starts, 12)
    assert "".join(p for p, _ in pieces) == text
    assert all(n <= 12 for _, n in pieces) and sum(n for _, n in pieces) == 50
    assert all(p.startswith("w") for p, _ in pieces)
    assert split_at_token_windows("short", [0], 12) == [("short", 1)]


def test_length_sorted_batches_group_similar_lengths():
    lengths = [5, 100, 7, 90, 6, 95]
    batches = length_sorted_batches(lengths, 2)
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert [sorted(lengths[i] for i in b) for b in batches] == [[95, 100], [7, 90], [5, 6]]


def test_windowed_scores_take_the_max_over_windows_and_batch_by_length():
    texts = ["calm " * 3, "calm " * 10 + "BAD " + "calm " * 10, "calm"]
    batches: list[list[str]] = []

    def token_starts(chunk):
        return [[i for i in range(len(t)) if i == 0 or (t[i - 1] == " " and t[i] != " ")] for t in chunk]

    def predict(chunk):
        batches.append(chunk)
        return [{"toxicity": 0.9 if "BAD" in t else 0.01, "insult": len(t) / 1000} for t in chunk]

    results = {}
    for indices, scores in windowed_batch_scores(texts, token_starts, predict, max_tokens=8, batch_size=2):
        results.update(zip(indices, scores, strict=True))
    assert sorted(results) == [0, 1, 2]
    assert results[1]["toxicity"] == 0.9  # the one toxic window decides
    assert results[0]["toxicity"] == results[2]["toxicity"] == 0.01
    assert all(len(b) <= 2 for b in batches)
    assert sum(len(b) for b in batches) == 1 + 3 + 1  # 21 tokens -> 3 windows of <= 8


def test_toxic_decision():
    settings = ModerationThresholds.of(detoxify=0.1, profanity=0.7)
    calm = detoxify_struct({s: 0.01 for s in DETOXIFY_SCORES})

    def fields(openai, detoxify, profanity_score):
        return {"openai_moderation": openai, "detoxify_moderation": detoxify, "profanity_score": profanity_score}

    assert utterance_toxic(fields({"flagged": True}, None, None), settings)
    assert not utterance_toxic(fields({"flagged": False}, calm, None), settings)
    assert utterance_toxic(fields({"flagged": False}, {**calm, "toxicity": 0.11}, None), settings)
    assert not utterance_toxic(fields(None, {**calm, "toxicity": 0.1}, None), settings)  # strictly above
    assert utterance_toxic(fields(None, None, 0.71), settings)
    assert not utterance_toxic(fields(None, None, 0.69), settings)
    assert not utterance_toxic(fields(None, None, None), settings)
    # The rules that fired are named with their thresholds (stored per turn for `explain`).
    assert toxic_reasons(fields({"flagged": True}, {**calm, "toxicity": 0.5}, 0.9), settings) == [
        "openai_flagged", "detoxify_toxicity>0.1", "profanity>0.7"]
    assert toxic_reasons(fields(None, calm, 0.69), settings) == []
    # Turns of at most 3 words need more than 0.8 (a lone "mom" scores 0.728); longer ones the threshold set.
    short, long = "hey mom", "please stop being a dumbass and answer"
    assert not utterance_toxic({"content": short, **fields(None, None, 0.79)}, settings)
    assert utterance_toxic({"content": "eat shit", **fields(None, None, 0.99)}, settings)
    assert utterance_toxic({"content": long, **fields(None, None, 0.71)}, settings)
    assert not utterance_toxic({"content": short, **fields(None, None, 0.79)}, ModerationThresholds.of(profanity=0.9))
    assert not utterance_toxic(
        {"content": "one two three", **fields(None, None, 0.85)}, ModerationThresholds.of(profanity=0.9)
    )
    assert utterance_toxic({"content": "one two\tthree four", **fields(None, None, 0.71)}, settings)


def test_sexual_minors_flag_excludes_in_either_spelling():
    flagged = openai_struct(stub_result("minor-sexual-marker"))
    assert exclusion_reason([None, openai_struct(stub_result("fine")), flagged]) == "sexual/minors"
    assert exclusion_reason([{"categories": {"sexual_minors": True}}]) == "sexual/minors"
    assert exclusion_reason([None, openai_struct(stub_result("kill"))]) is None


def test_offline_moderator_is_on_by_default_only_without_the_others():
    assert profanity_decision(None, False, False)[0] is True
    assert profanity_decision(None, True, False)[0] is False
    assert profanity_decision(None, False, True)[0] is False
    assert profanity_decision(True, True, True)[0] is True
    assert profanity_decision(False, False, False)[0] is False


class ListModerator:
    """A test double: scores by rule and records what it was asked."""

    def __init__(self, name, score, version="v1", batch_size=2, languages=None):
        self.name, self.version, self.score, self.batch_size = name, version, score, batch_size
        self.languages = languages
        self.asked: list[str] = []

    def usage(self):
        return {"model_runs": len(self.asked)}

    def moderate(self, texts):
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            self.asked.extend(batch)
            yield list(range(start, start + len(batch))), [self.score(t) for t in batch]


def _rows():
    return [
        conversation_record(
            "redacted_conversations", [("user", "hello there"), ("assistant", "Hi! How can I help?")]
        ),
        conversation_record("redacted_conversations", [("user", "you stupid idiot"), ("assistant", "")]),
        conversation_record(
            "redacted_conversations", [("user", "minor-sexual-marker story"), ("assistant", "I can't.")]
        ),
        conversation_record("redacted_conversations", [("user", "hello there"), ("assistant", "   ")]),
    ]


def test_moderate_conversations_fills_every_field_and_counts(tmp_path):
    openai = ListModerator(OPENAI, stub_result)
    detoxify = ListModerator(DETOXIFY, lambda t: {s: (0.5 if "stupid" in t else 0.01) for s in DETOXIFY_SCORES})
    with ModerationCache(tmp_path / "m.sqlite") as cache:
        rows, counts = moderate_conversations(_rows(), [openai, detoxify], cache)
    assert counts.conversations == 4 and counts.utterances == 8 and counts.empty_utterances == 2
    assert counts.distinct_texts == 5  # "hello there" twice
    assert len(openai.asked) == 5 and counts.moderator_counts["openai"].cache_misses == 5
    assert [r["toxic"] for r in rows] == [False, True, True, False]
    assert [r["excluded_reason"] for r in rows] == [None, None, "sexual/minors", None]
    assert counts.toxic_conversations == 2 and counts.excluded_sexual_minors == 1
    by_moderator = counts.moderator_counts
    assert by_moderator["openai"].flagged_utterances == 2 and by_moderator["detoxify"].flagged_utterances == 1
    empty = rows[1]["conversation"][1]
    assert empty["openai_moderation"] is None and empty["detoxify_moderation"] is None
    assert empty["openai_moderation_raw"] is None and empty["profanity_score"] is None and empty["toxic"] is False
    first = rows[0]["conversation"][0]
    assert json.loads(first["openai_moderation_raw"])["categories"]["illicit"] is False  # extras kept in raw
    assert first["profanity_score"] is None  # not enabled: no invented score
    assert missing_results(rows, {OPENAI: None, DETOXIFY: None}) == {OPENAI: 0, DETOXIFY: 0}
    assert missing_results(rows, {PROFANITY: None}) == {PROFANITY: 6}
    assert counts.coverage["utterances"] == 6 and counts.coverage["unscreened"] == 0
    assert count_sexual_minors(rows) == 1


def test_a_rerun_reads_the_cache_and_moderates_nothing(tmp_path):
    with ModerationCache(tmp_path / "m.sqlite") as cache:
        first_rows, _ = moderate_conversations(_rows(), [ListModerator(PROFANITY, lambda t: 0.2)], cache)
        again = ListModerator(PROFANITY, lambda t: 0.99)  # would change results if asked
        rows, counts = moderate_conversations(_rows()[:2], [again], cache)
        profanity = counts.moderator_counts["profanity"]
        assert again.asked == [] and profanity.cache_hits == 3 and profanity.cache_misses == 0
        assert rows[0]["conversation"][0]["profanity_score"] == 0.2
        newer = ListModerator(PROFANITY, lambda t: 0.99, version="v2")  # another version: no stale hits
        moderate_conversations(_rows()[:1], [newer], cache)
        assert len(newer.asked) == 2


def test_without_any_moderator_the_stage_refuses_instead_of_marking_all_clean(tmp_path):
    with pytest.raises(ValueError, match="no moderator enabled"):
        moderate_conversations(_rows(), [], None)


def test_a_moderator_that_drops_results_is_an_error():
    class Lossy(ListModerator):
        def moderate(self, texts):
            yield [0], [0.1]

    with pytest.raises(RuntimeError, match="no result"):
        moderate_conversations(_rows(), [Lossy(PROFANITY, None)], None)


def test_batches_hold_at_most_max_batch_tokens_padded_tokens():
    lengths = [500, 480, 300, 60, 50, 40, 30, 20, 10, 5]
    batches = length_sorted_batches(lengths, batch_size=4, max_batch_tokens=1000)
    assert sorted(i for b in batches for i in b) == list(range(10))
    for batch in batches:
        assert len(batch) <= 4
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 1000
    assert [len(b) for b in batches] == [2, 3, 4, 1]


def _multilingual_rows():
    rows = [
        conversation_record(
            "redacted_conversations", [("user", "Kannst du die Klasse erweitern?"), ("assistant", "Ja, die Klasse")]
        ),
        conversation_record(
            "redacted_conversations", [("user", "mom son переведи на китайский"), ("assistant", "妈妈 儿子")]
        ),
        conversation_record("redacted_conversations", [("user", "you stupid idiot"), ("assistant", "I can't.")]),
    ]
    languages = [["German", "German"], ["Russian", "Chinese"], ["English", "English"]]
    for row, langs in zip(rows, languages, strict=True):
        for utterance, language in zip(row["conversation"], langs, strict=True):
            utterance["language"] = language
    return rows


def test_a_turn_is_scored_only_by_moderators_that_support_its_language(tmp_path):
    """An English word model that calls everything toxic never sees German, Russian or Chinese turns."""
    english_only = ListModerator(PROFANITY, lambda t: 0.99, languages=frozenset({"English"}))
    seven = ListModerator(
        DETOXIFY, lambda t: {s: 0.01 for s in DETOXIFY_SCORES}, languages=frozenset({"English", "Russian"})
    )
    rows, counts = moderate_conversations(_multilingual_rows(), [seven, english_only], None)
    assert sorted(english_only.asked) == sorted(["you stupid idiot", "I can't."])
    assert "mom son переведи на китайский" in seven.asked and "Kannst du die Klasse erweitern?" not in seven.asked
    assert [r["toxic"] for r in rows] == [False, False, True]
    german = rows[0]["conversation"][0]
    assert german["profanity_score"] is None and german["detoxify_moderation"] is None and german["toxic"] is False
    coverage = counts.coverage
    assert (coverage["utterances"], coverage["unscreened"]) == (6, 3)
    assert coverage["screened_by"] == {DETOXIFY: 3, PROFANITY: 2}
    assert unscreened_languages(coverage) == {"German": 2, "Chinese": 1}
    summary = coverage_summary(coverage)
    assert (
        summary.startswith("50% of 6 non-empty utterances (3) were not screened") and "German 2, Chinese 1" in summary
    )
    # The completeness check asks only for turns a moderator supports.
    enabled = {DETOXIFY: seven.languages, PROFANITY: english_only.languages}
    assert missing_results(rows, enabled) == {DETOXIFY: 0, PROFANITY: 0}
    assert missing_results(rows, {OPENAI: None}) == {OPENAI: 6}


def test_detoxify_can_skip_turns_openai_already_flagged_and_says_so(tmp_path):
    openai = ListModerator(OPENAI, stub_result)
    detoxify = ListModerator(DETOXIFY, lambda t: {s: 0.01 for s in DETOXIFY_SCORES})
    settings = ModerationThresholds(detoxify_only_undecided=True)
    rows, counts = moderate_conversations(_rows(), [detoxify, openai], None, settings)  # any order: OpenAI first
    # "you stupid idiot" and the sexual/minors marker:
    assert counts.moderator_counts["detoxify"].skipped_decided_texts == 2
    assert "you stupid idiot" not in detoxify.asked and len(detoxify.asked) == 3
    flagged = rows[1]["conversation"][0]
    assert flagged["toxic"] and flagged["detoxify_moderation"] is None and flagged["openai_moderation"]["flagged"]
    assert rows[0]["conversation"][0]["detoxify_moderation"] is not None
    assert missing_results(rows, {OPENAI: None, DETOXIFY: None}, detoxify_only_undecided=True) == {
        OPENAI: 0,
        DETOXIFY: 0,
    }
    assert missing_results(rows, {DETOXIFY: None}) == {DETOXIFY: 2}  # without the policy they would be missing


def test_two_shards_moderation_results_merge_into_the_one_pass_result():
    """Coverage tables, per-moderator figures and the optional skip count merge as one pass counts them."""
    rows = _rows()[:3] + _multilingual_rows()[:2]  # no text in both halves: distinct texts are per batch

    def moderators():
        detoxify_scores = {s: 0.6 for s in DETOXIFY_SCORES}
        return [ListModerator(OPENAI, stub_result),
                ListModerator(DETOXIFY, lambda t: detoxify_scores, languages=frozenset({"English", "Russian"})),
                ListModerator(PROFANITY, lambda t: 0.2, languages=frozenset({"English"}))]

    settings = ModerationThresholds(detoxify_only_undecided=True)
    _, whole = moderate_conversations(rows, moderators(), None, settings)
    _, first = moderate_conversations(rows[:3], moderators(), None, settings)
    _, second = moderate_conversations(rows[3:], moderators(), None, settings)
    merged = first.merged(second)
    assert merged == whole
    assert merged.coverage["unscreened"] == 0 and merged.coverage["screened_by"][OPENAI] == whole.coverage["utterances"]
    assert merged.moderator_counts[DETOXIFY].skipped_decided_texts == 2
    assert merged.moderator_counts[PROFANITY].skipped_decided_texts is None  # not counted: no metadata entry
    assert merged.toxic_conversations == whole.toxic_conversations >= 2


def test_profanity_short_turn_rule_is_the_same_in_the_statistics_sql():
    """The statistics count flagged turns in DuckDB: the short-turn rule must agree with the Python one."""
    import duckdb

    from wildchat_dagster.core.moderation.policy import profanity_flagged_sql, profanity_turn_threshold

    cases = [("mom", 0.728), ("hey mom", 0.79), ("eat shit", 0.99), ("one two\tthree four", 0.71),
             ("a\nb  c", 0.79), ("a b c d", 0.69), (None, 0.75), ("  x\x0by\x0cz\r\nw ", 0.75), ("x y", None)]
    con = duckdb.connect()
    for threshold in (0.7, 0.9):
        utterance = "{'content': ?::VARCHAR, 'profanity_score': ?::DOUBLE}"
        query = f"SELECT {profanity_flagged_sql(threshold)} FROM (SELECT {utterance} AS u)"
        got = [con.execute(query, [content, score]).fetchall()[0][0] for content, score in cases]
        want = [score is not None and score > profanity_turn_threshold(content, threshold) for content, score in cases]
        assert got == want
    assert want == [False, False, True, False, False, False, False, False, False]  # at 0.9 (0.8 at most 3 words)


def test_short_turn_test_reads_few_words_but_agrees_with_the_word_count():
    """`is_short_turn` stops after a few words; on every short string over whitespace-heavy characters it
    says what counting every word says."""
    from itertools import product

    from wildchat_dagster.core.moderation.policy import PROFANITY_SHORT_TURN_WORDS, is_short_turn, word_count

    alphabet = [" ", "\t", "a", "\xa0", "\n", "\x0b"]  # \xa0 is a word character for the rule (ASCII spaces only)
    texts = ["".join(chars) for length in range(8) for chars in product(alphabet, repeat=length)]
    assert len(texts) > 300_000
    assert all(is_short_turn(t) == (word_count(t) <= PROFANITY_SHORT_TURN_WORDS) for t in texts)
    assert not is_short_turn("one two three four " + "x" * 100_000) and is_short_turn(" one\ttwo\n three  ")
