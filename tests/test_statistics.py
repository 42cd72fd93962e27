"""The paper's figures computed in DuckDB over a small release whose figures are known by hand."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from wildchat_dagster.core.moderation.policy import ModerationThresholds
from wildchat_dagster.core.release.splits import release_table, split_release
from wildchat_dagster.core.reporting.statistics import (
    OVERALL,
    compute_statistics,
    count_month_tokens,
    month_tables,
    release_sources,
    screening_sentence,
)
from wildchat_dagster.core.reporting.tokens import cl100k_token_counter, token_counts_file
from wildchat_dagster.core.storage.warehouse import Warehouse, atomic_write_parquet, read_parquet
from wildchat_dagster.schema import DETOXIFY_SCORES, OPENAI_CATEGORIES

from factories import conversation_record

UTC = dt.UTC
APRIL, MAY = "2023-04", "2023-05"


def openai_result(*categories: str) -> dict:
    hits = {c: c in categories for c in OPENAI_CATEGORIES}
    return {"categories": hits, "category_scores": {c: 0.9 if hits[c] else 0.01 for c in OPENAI_CATEGORIES},
            "flagged": bool(categories)}


def detoxify_result(toxicity: float) -> dict:
    return {s: (toxicity if s == "toxicity" else 0.001) for s in DETOXIFY_SCORES}


def scored(n: int, openai=True, detoxify=True) -> list[dict]:
    """n utterances with clean results from every moderator asked for."""
    return [{"openai_moderation": openai_result() if openai else None,
             "detoxify_moderation": detoxify_result(0.01) if detoxify else None,
             "profanity_score": 0.1} for _ in range(n)]


def known_conversations() -> dict[str, list[dict]]:
    """Two months; token counts in cl100k_base: "hello" 1, "hello world" 2, "tiktoken is great!" 6."""
    def conv(turns, start, **kw):
        return conversation_record("moderated_conversations", turns, start=start, **kw)

    april = dt.datetime(2023, 4, 10, 9, 0, tzinfo=UTC)
    c2 = scored(4)
    c2[0] |= {"redacted": True, "redacted_entities": ["EMAIL_ADDRESS"]}
    c2[2] |= {"profanity_score": 0.9, "toxic": True}
    c3 = scored(2)
    c3[0] |= {"openai_moderation": openai_result("harassment", "harassment/threatening", "harassment_threatening"),
              "detoxify_moderation": detoxify_result(0.8), "toxic": True}
    c3[1] |= {"detoxify_moderation": detoxify_result(0.05)}
    chinese = [{"language": "Chinese", "country": "China", "state": "Beijing"}, {"language": "Chinese"}]
    c5 = scored(6, openai=False, detoxify=False)
    c5[0] |= {"redacted": True, "redacted_entities": ["PERSON", "PERSON"]}
    return {
        APRIL: [
            conv(
                [("user", "hello world"), ("assistant", "tiktoken is great!")],
                april,
                ip="203.0.113.1",
                utterance_overrides=scored(2),
            ),
            conv(
                [
                    ("user", "hello world"),
                    ("assistant", "hello world"),
                    ("user", "hello"),
                    ("assistant", "tiktoken is great!"),
                ],
                april,
                ip="203.0.113.2",
                model="gpt-4-0314",
                state="California",
                utterance_overrides=c2,
                toxic=True,
            ),
            conv(
                [("user", "hello"), ("assistant", "hello world")],
                april,
                ip="203.0.113.3",
                model="gpt-3.5-turbo-0613",
                language="Chinese",
                country="China",
                state="Beijing",
                utterance_overrides=[c3[0] | chinese[0], c3[1] | chinese[1]],
                toxic=True,
            ),
            conv(
                [("user", "forbidden"), ("assistant", "no")],
                april,
                ip="203.0.113.4",
                toxic=True,
                excluded_reason="sexual/minors",
                utterance_overrides=[{"openai_moderation": openai_result("sexual", "sexual/minors")}],
            ),
        ],
        MAY: [
            conv(
                [("user", "hello"), ("assistant", "hello")] * 3,
                dt.datetime(2023, 5, 2, tzinfo=UTC),
                ip="203.0.113.1",
                utterance_overrides=c5,
            ),
        ],
    }


def build_known_release(root: Path) -> dict[str, list[dict]]:
    """Store the moderated months and publish their splits, without Dagster."""
    months = known_conversations()
    warehouse = Warehouse(root)
    for month, rows in months.items():
        warehouse.write_records("moderated_conversations", month, rows)
        nontoxic, toxic, _ = split_release(warehouse.read_records("moderated_conversations", month))
        atomic_write_parquet(release_table(nontoxic), warehouse.layout.published("nontoxic", month))
        atomic_write_parquet(release_table(toxic), warehouse.layout.published("toxic", month))
    return months


@pytest.fixture
def tables(data_dir):
    build_known_release(data_dir)
    return compute_statistics(release_sources(Warehouse(data_dir).layout, [APRIL, MAY]))


def row(df, **where) -> dict:
    for key, value in where.items():
        df = df[df[key] == value]
    assert len(df) == 1, where
    return df.iloc[0].to_dict()


def test_the_tokenizer_is_cl100k_base():
    """Its counts equal tiktoken's: tests/test_token_counts.py."""
    counter = cl100k_token_counter()
    assert counter.count(["hello", None, "", "hello world", "tiktoken is great!"]) == [1, None, 0, 2, 6]
    assert "cl100k_base" in counter.name


def test_table_1_per_month_and_overall(tables):
    overall = row(tables["summary"], month=OVERALL)
    assert (overall["conversations"], overall["nontoxic"], overall["toxic"], overall["rounds"], overall["users"]) == (
        4,
        2,
        2,
        7,
        3,
    )
    assert overall["mean_rounds"] == pytest.approx(1.75)
    assert overall["multi_round_share"] == pytest.approx(0.5)
    assert overall["gpt4_share"] == pytest.approx(0.25)
    assert overall["languages"] == 2
    user_tokens = [2, 2, 1, 1, 1, 1, 1]
    assistant_tokens = [6, 2, 6, 2, 1, 1, 1]
    assert overall["user_tokens_mean"] == pytest.approx(sum(user_tokens) / 7)
    mean = sum(user_tokens) / 7
    assert overall["user_tokens_std"] == pytest.approx(math.sqrt(sum((t - mean) ** 2 for t in user_tokens) / 6))
    assert overall["assistant_tokens_mean"] == pytest.approx(sum(assistant_tokens) / 7)
    april = row(tables["summary"], month=APRIL)
    assert (april["conversations"], april["rounds"], april["users"], april["toxic"]) == (3, 4, 3, 2)
    may = row(tables["summary"], month=MAY)
    assert (may["conversations"], may["rounds"], may["users"], may["mean_rounds"]) == (1, 3, 1, 3.0)
    assert list(tables["summary"]["month"]) == [APRIL, MAY, OVERALL]


def test_turns_models_languages_countries(tables):
    turns = tables["turn_distribution"]
    assert row(turns, month=OVERALL, turn=1)["share"] == pytest.approx(0.5)
    assert row(turns, month=OVERALL, turn=3)["conversations"] == 1
    families = tables["model_families"]
    assert row(families, month=OVERALL, family="GPT-4")["share"] == pytest.approx(0.25)
    assert row(families, month=OVERALL, family="GPT-3.5")["conversations"] == 3
    languages = tables["languages"]
    assert row(languages, month=OVERALL, language="English")["share"] == pytest.approx(6 / 7)
    assert row(languages, month=APRIL, language="Chinese")["user_utterances"] == 1
    countries = tables["countries"]
    assert row(countries, month=OVERALL, country="United States")["share"] == pytest.approx(0.75)
    assert row(countries, month=OVERALL, country="United States")["users"] == 2
    assert row(countries, month=OVERALL, country="China")["conversations"] == 1
    states = tables["states"]
    assert row(states, month=OVERALL, country="United States", state="Texas")["conversations"] == 2
    assert row(states, month=OVERALL, country="United States", state="California")["share"] == pytest.approx(0.25)


def test_table_6_moderation_by_role_and_moderator(tables):
    user = row(tables["moderation"], month=OVERALL, role="user")
    assert user["utterances"] == 7
    assert (user["openai_scored"], user["detoxify_scored"], user["profanity_scored"]) == (4, 4, 7)
    assert user["openai_flagged_share"] == pytest.approx(1 / 4)
    assert user["detoxify_flagged_share"] == pytest.approx(1 / 4)
    assert user["profanity_flagged_share"] == pytest.approx(1 / 7)
    assert user["openai_or_detoxify_share"] == pytest.approx(1 / 7)
    assert user["openai_and_detoxify_share"] == pytest.approx(1 / 7)
    assert user["any_moderator_share"] == pytest.approx(2 / 7)
    assert user["toxic_share"] == pytest.approx(2 / 7)
    assistant = row(tables["moderation"], month=OVERALL, role="assistant")
    assert assistant["utterances"] == 7 and assistant["any_moderator_share"] == 0
    may_user = row(tables["moderation"], month=MAY, role="user")
    assert may_user["openai_scored"] == 0 and math.isnan(may_user["openai_flagged_share"])
    categories = tables["flagged_categories"]
    assert set(categories[categories["month"] == OVERALL]["category"]) == {"harassment", "harassment/threatening"}
    assert row(categories, month=OVERALL, category="harassment")["share"] == 1.0


def test_thresholds_change_who_is_flagged(data_dir):
    build_known_release(data_dir)
    strict = compute_statistics(release_sources(Warehouse(data_dir).layout, [APRIL, MAY]),
                                thresholds=ModerationThresholds.of(detoxify=0.04, profanity=0.95))
    assistant = row(strict["moderation"], month=OVERALL, role="assistant")
    assert assistant["detoxify_flagged_share"] == pytest.approx(1 / 4)  # the 0.05 assistant turn
    assert row(strict["moderation"], month=OVERALL, role="user")["profanity_flagged_share"] == 0


def test_toxicity_and_redaction(tables):
    assert row(tables["toxicity"], month=APRIL) | {"month": 0} == {
        "month": 0, "released": 3, "toxic": 2, "toxic_share": pytest.approx(2 / 3), "excluded": 1}
    assert row(tables["toxicity"], month=OVERALL)["excluded"] == 1
    redaction = row(tables["redaction"], month=OVERALL)
    assert (
        redaction["conversations"],
        redaction["redacted_conversations"],
        redaction["utterances"],
        redaction["redacted_utterances"],
    ) == (4, 2, 14, 2)
    entities = tables["redacted_entities"]
    assert row(entities, month=OVERALL, entity_type="PERSON")["replacements"] == 2
    assert row(entities, month=APRIL, entity_type="EMAIL_ADDRESS")["replacements"] == 1


def test_one_month_alone_and_an_empty_release(data_dir):
    build_known_release(data_dir)
    may = month_tables(compute_statistics(release_sources(Warehouse(data_dir).layout, [MAY])), MAY)
    assert may["summary"]["conversations"].tolist() == [1]
    empty = compute_statistics(release_sources(Warehouse(data_dir).layout, ["2023-09"]))
    assert row(empty["summary"], month=OVERALL)["conversations"] == 0
    assert empty["languages"].empty


def test_screening_coverage_by_language_names_the_unscreened_languages(data_dir):
    months = known_conversations()
    for utterance in months[APRIL][2]["conversation"]:  # the Chinese conversation: no moderator supported it
        utterance |= {"openai_moderation": None, "detoxify_moderation": None, "profanity_score": None}
    warehouse = Warehouse(data_dir)
    for month, rows in months.items():
        warehouse.write_records("moderated_conversations", month, rows)
        nontoxic, toxic, _ = split_release(warehouse.read_records("moderated_conversations", month))
        atomic_write_parquet(release_table(nontoxic), warehouse.layout.published("nontoxic", month))
        atomic_write_parquet(release_table(toxic), warehouse.layout.published("toxic", month))
    screening = compute_statistics(release_sources(warehouse.layout, [APRIL, MAY]))["screening"]
    chinese = row(screening, month=APRIL, role="user", language="Chinese")
    assert (
        chinese["utterances"] == 1
        and chinese["unscreened_utterances"] == 1
        and chinese["profanity_screened_share"] == 0
    )
    english = row(screening, month=APRIL, role="user", language="English")
    assert english["unscreened_utterances"] == 0 and english["openai_screened_share"] == 1
    assert row(screening, month=MAY, role="user", language="English")["openai_screened_share"] == 0
    # 2 of 14 released utterances unscreened (8 in April, 6 in May; the excluded conversation is not released).
    assert screening_sentence(screening) == (
        "14% of 14 non-empty utterances were not screened by any moderator: languages Chinese 2")


def test_kept_token_counts_give_the_same_figures_and_go_stale_with_their_split(data_dir):
    build_known_release(data_dir)
    layout = Warehouse(data_dir).layout
    counted = compute_statistics(release_sources(layout, [APRIL, MAY]))
    tokens = cl100k_token_counter()
    for month in (APRIL, MAY):
        kept = read_parquet(count_month_tokens(layout, month, tokens))
        assert "content" not in kept.column_names and kept.num_rows > 0  # figures only, never the text
    sources = release_sources(layout, [APRIL, MAY])
    assert sources.token_counts == [token_counts_file(layout, APRIL), token_counts_file(layout, MAY)]
    read_back = compute_statistics(sources)
    assert counted.keys() == read_back.keys()
    for name in counted:
        pd.testing.assert_frame_equal(counted[name], read_back[name], obj=name)

    # A split rewritten after counting (one conversation fewer) makes the kept counts stale: counted again.
    published = layout.published("nontoxic", APRIL)
    atomic_write_parquet(read_parquet(published).slice(1), published)
    assert release_sources(layout, [APRIL, MAY]).token_counts == []
    assert release_sources(layout, [MAY]).token_counts == [token_counts_file(layout, MAY)]
