"""The paper's figures over the release, in DuckDB SQL, per month and overall.

Every table is a DataFrame with a `month` column: one block of rows per
"YYYY-MM" of the conversations' timestamps plus an overall block, month
"all". Release figures (Tables 1, 3, 5, turns, models) read the published
split files; moderation (Table 6) and redaction figures need per-utterance
fields the release does not carry (the offline profanity score, the replaced
entity types), so they read `moderated_conversations` restricted to the
released conversations (`excluded_reason IS NULL`).

Token lengths (cl100k_base) come from `tokens`: counted there, or read from
the counts `monthly_stats` kept for each month.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import pandas as pd
import pyarrow as pa

from wildchat_dagster.core.moderation.policy import ModerationThresholds
from wildchat_dagster.core.moderation.registry import moderator_entries
from wildchat_dagster.core.reporting.tokens import (
    TokenCounter,
    cl100k_token_counter,
    counted_schema,
    counts_current,
    keep_counts,
    token_counts_file,
    utterances_with_tokens,
)
from wildchat_dagster.core.storage.layout import DataLayout, StoragePath
from wildchat_dagster.core.storage.warehouse import duckdb_readable
from wildchat_dagster.schema import STAGE_SCHEMAS, WILDCHAT_1M
from wildchat_dagster.stages import Stage

OVERALL = "all"
UNKNOWN_STATE = "(unknown)"  # a located country whose GeoLite2 record has no subdivision
# OpenAI categories counted once each (the underscore spellings repeat them).
CATEGORY_BREAKDOWN = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]

@dataclass(frozen=True)
class StatisticsSources:
    """Parquet files to read: the two release splits, the conversations held back unscreened beside them,
    the moderated conversations, and the months' counted utterances when every one of them is current
    (see `token_counts_file`)."""

    nontoxic: list[StoragePath]
    toxic: list[StoragePath]
    moderated: list[StoragePath]
    token_counts: list[StoragePath] = field(default_factory=list)
    unscreened: list[StoragePath] = field(default_factory=list)


def _register(con: duckdb.DuckDBPyConnection, name: str, files: list[StoragePath], schema: pa.Schema) -> None:
    if files:
        paths = ", ".join("'" + p.replace("'", "''") + "'" for p in duckdb_readable(con, files))
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{paths}], union_by_name = true)")
    else:
        con.register(name, schema.empty_table())


_MONTH = "strftime(timestamp, '%Y-%m')"


def _conversation_files(con: duckdb.DuckDBPyConnection, sources: StatisticsSources) -> None:
    """The view `conversation_files`: every published folder's conversations with their month and folder
    (`split`: nontoxic, toxic, or unscreened for those held back)."""
    _register(con, "nontoxic_files", sources.nontoxic, WILDCHAT_1M)
    _register(con, "toxic_files", sources.toxic, WILDCHAT_1M)
    _register(con, "unscreened_files", sources.unscreened, WILDCHAT_1M)
    con.execute(
        f"""CREATE VIEW conversation_files AS
        SELECT *, {_MONTH} AS month, 'nontoxic' AS split FROM nontoxic_files
        UNION ALL BY NAME SELECT *, {_MONTH} AS month, 'toxic' AS split FROM toxic_files
        UNION ALL BY NAME SELECT *, {_MONTH} AS month, 'unscreened' AS split FROM unscreened_files"""
    )


def _per_month(select: str, group: str = "") -> str:
    """GROUPING SETS by month (and `group`) plus overall, overall labelled OVERALL."""
    keys = ", ".join(k for k in ("month", group) if k)
    overall = f"({group})" if group else "()"
    return (
        f"SELECT CASE WHEN grouping(month) = 1 THEN '{OVERALL}' ELSE month END AS month, {select} "
        f"GROUP BY GROUPING SETS (({keys}), {overall})"
    )


def _order(df: pd.DataFrame, *by: str, descending: str | None = None) -> pd.DataFrame:
    """Months in order with the overall block last; within a month by `by`. DuckDB's GROUP BY returns
    groups in no fixed order, so every table names a tie-breaking column (the stats file's bytes, its
    data version, must not change between identical runs)."""
    df = df.assign(_overall=df["month"] == OVERALL)
    sort_by = ["_overall", "month", *by]
    ascending = [True, True, *[b != descending for b in by]]
    return df.sort_values(sort_by, ascending=ascending, kind="stable").drop(columns="_overall").reset_index(drop=True)


def compute_statistics(
    sources: StatisticsSources,
    tokens: TokenCounter | None = None,
    thresholds: ModerationThresholds = ModerationThresholds(),
) -> dict[str, pd.DataFrame]:
    """Every figure of the report, by month and overall, as named tables (`tokens` counts the utterances
    when `sources` has no kept counts; default cl100k_base, loaded only then)."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        _conversation_files(con, sources)
        _register(con, "moderated_files", sources.moderated, STAGE_SCHEMAS[Stage.MODERATED_CONVERSATIONS])
        # Texts stay in the files: the tables hold per-row figures, the texts stream through the tokenizer.
        con.execute(
            "CREATE TABLE conversations AS SELECT * EXCLUDE (conversation, openai_moderation, detoxify_moderation) "
            "FROM conversation_files"
        )
        if sources.token_counts:
            _register(con, "utterances_with_tokens", sources.token_counts, counted_schema(con))
        else:
            con.register("utterances_with_tokens", utterances_with_tokens(con, tokens or cl100k_token_counter()))
        con.execute("CREATE TABLE utterances AS SELECT * FROM utterances_with_tokens")
        con.execute(f"CREATE VIEW moderated AS SELECT *, {_MONTH} AS month FROM moderated_files")
        con.execute(
            f"""CREATE TABLE moderated_utterances AS
            SELECT month, u.role AS role, coalesce(u.language, 'unknown') AS language,
                   trim(coalesce(u.content, '')) <> '' AS non_empty,
                   u.openai_moderation.categories AS categories,
                   {_moderator_columns(thresholds)}
                   coalesce(u.toxic, false) AS toxic,
                   coalesce(u.redacted, false) AS redacted,
                   u.redacted_entities AS redacted_entities
            FROM (SELECT month, unnest(conversation) AS u FROM moderated WHERE excluded_reason IS NULL)"""
        )
        return _tables(con)
    finally:
        con.close()


def _moderator_columns(thresholds: ModerationThresholds) -> str:
    """Per registered moderator, whether it scored the utterance and whether it flagged it."""
    return "".join(
        f"{e.scored_sql} AS {e.name}_scored, {e.flagged_sql(thresholds.threshold(e.name))} AS {e.name}_flagged, "
        for e in moderator_entries()
    )


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    q = lambda sql: con.sql(sql).df()  # noqa: E731 - one-line query runner
    return {"summary": _summary_table(q), **_distribution_tables(q), **_moderation_tables(q), **_redaction_tables(q)}


def _summary_table(q) -> pd.DataFrame:
    """One row per month: volumes, users, rounds, token lengths, languages, GPT-4 share."""
    conv = q(
        _per_month(
            """count(*) AS conversations,
               count(*) FILTER (split = 'nontoxic') AS nontoxic,
               count(*) FILTER (split = 'toxic') AS toxic,
               count(*) FILTER (split = 'unscreened') AS unscreened,
               sum(turn)::BIGINT AS rounds,
               avg(turn) AS mean_rounds,
               avg(CASE WHEN turn > 1 THEN 1 ELSE 0 END) AS multi_round_share,
               avg(CASE WHEN model LIKE 'gpt-4%' THEN 1 ELSE 0 END) AS gpt4_share
            FROM conversations"""
        )
    )
    utt = q(
        _per_month(
            """count(DISTINCT hashed_ip) FILTER (role = 'user') AS users,
               avg(tokens) FILTER (role = 'user') AS user_tokens_mean,
               stddev_samp(tokens) FILTER (role = 'user') AS user_tokens_std,
               avg(tokens) FILTER (role = 'assistant') AS assistant_tokens_mean,
               stddev_samp(tokens) FILTER (role = 'assistant') AS assistant_tokens_std,
               count(DISTINCT language) FILTER (role = 'user') AS languages
            FROM utterances"""
        )
    )
    summary = conv.merge(utt, on="month", how="left")
    summary = summary[
        [
            "month",
            "conversations",
            "nontoxic",
            "toxic",
            "unscreened",
            "rounds",
            "users",
            "mean_rounds",
            "multi_round_share",
            "user_tokens_mean",
            "user_tokens_std",
            "assistant_tokens_mean",
            "assistant_tokens_std",
            "languages",
            "gpt4_share",
        ]
    ]
    return _order(summary)


def _distribution_tables(q) -> dict[str, pd.DataFrame]:
    """Shares per month: rounds, models, model families, languages, countries, states."""
    tables = {}
    tables["turn_distribution"] = _order(
        _shares(q(_per_month("turn, count(*) AS conversations FROM conversations", "turn")), "conversations"), "turn"
    )
    tables["models"] = _order(
        _shares(q(_per_month("model, count(*) AS conversations FROM conversations", "model")), "conversations"),
        "conversations", "model", descending="conversations",
    )
    tables["model_families"] = _order(
        _shares(
            q(
                _per_month(
                    """CASE WHEN model LIKE 'gpt-4%' THEN 'GPT-4' WHEN model LIKE 'gpt-3.5%' THEN 'GPT-3.5'
                            ELSE 'other' END AS family, count(*) AS conversations
                       FROM conversations""",
                    "family",
                )
            ),
            "conversations",
        ),
        "conversations", "family", descending="conversations",
    )
    tables["languages"] = _order(
        _shares(
            q(_per_month("language, count(*) AS user_utterances FROM utterances WHERE role = 'user'", "language")),
            "user_utterances",
        ),
        "user_utterances", "language", descending="user_utterances",
    )
    tables["countries"] = _order(
        _shares(
            q(
                _per_month(
                    "country, count(*) AS conversations, count(DISTINCT hashed_ip) AS users FROM conversations",
                    "country",
                )
            ),
            "conversations",
        ),
        "conversations",
        "country",
        descending="conversations",
    )
    tables["states"] = _order(
        _shares(
            q(
                _per_month(
                    f"country, coalesce(state, '{UNKNOWN_STATE}') AS state, count(*) AS conversations "
                    "FROM conversations WHERE country IS NOT NULL",
                    "country, state",
                )
            ),
            "conversations",
        ),
        # Ties in name order: DuckDB's GROUP BY returns groups in no fixed order.
        "conversations", "country", "state", descending="conversations",
    )
    return tables


def _moderation_tables(q) -> dict[str, pd.DataFrame]:
    """Moderation per month: flags by moderator, screening coverage, flagged categories, toxic share."""
    tables = {}
    tables["moderation"] = _order(_moderation_table(q), "role", descending="role")
    screening = _screening_table(q).sort_values(
        ["utterances", "language"], ascending=[False, True], kind="stable"
    )  # largest first
    tables["screening"] = _order(screening, "role", descending="role")
    tables["flagged_categories"] = _order(
        _category_table(q), "flagged_user_utterances", "category", descending="flagged_user_utterances")
    tables["toxicity"] = _order(
        q(
            _per_month(
                """count(*) FILTER (excluded_reason IS NULL) AS released,
                   count(*) FILTER (excluded_reason IS NULL AND toxic) AS toxic,
                   count(*) FILTER (excluded_reason IS NULL AND toxic)
                       / greatest(count(*) FILTER (excluded_reason IS NULL), 1) AS toxic_share,
                   count(*) FILTER (excluded_reason IS NOT NULL) AS excluded
                FROM moderated"""
            )
        )
    )
    return tables


def _redaction_tables(q) -> dict[str, pd.DataFrame]:
    """Redaction per month: redacted conversations and utterances, replacements by entity type."""
    tables = {}
    tables["redaction"] = _order(
        q(
            _per_month(
                """count(DISTINCT conversation_id) AS conversations,
                   count(DISTINCT conversation_id) FILTER (redacted) AS redacted_conversations,
                   count(*) AS utterances,
                   count(*) FILTER (u_redacted) AS redacted_utterances
                FROM (SELECT month, conversation_id, redacted, u.redacted AS u_redacted
                      FROM (SELECT month, conversation_id, redacted, unnest(conversation) AS u
                            FROM moderated WHERE excluded_reason IS NULL))"""
            )
        )
    )
    tables["redacted_entities"] = _order(
        q(
            _per_month(
                "entity_type, count(*) AS replacements FROM "
                "(SELECT month, unnest(redacted_entities) AS entity_type FROM moderated_utterances)",
                "entity_type",
            )
        ),
        "replacements", "entity_type", descending="replacements",
    )
    return tables


def _shares(df: pd.DataFrame, count: str) -> pd.DataFrame:
    """Add `share`: each row's `count` over its month's total."""
    totals = df.groupby("month")[count].transform("sum")
    return df.assign(share=df[count] / totals.where(totals > 0))


def _moderation_table(q) -> pd.DataFrame:
    """Table 6: shares of user and assistant utterances each moderator flagged (of the utterances it scored);
    the paper's OpenAI-and/or-Detoxify shares beside them."""
    names = [e.name for e in moderator_entries()]
    per_moderator = "".join(
        f"count(*) FILTER ({m}_scored) AS {m}_scored, "
        f"count(*) FILTER ({m}_flagged) / nullif(count(*) FILTER ({m}_scored), 0) AS {m}_flagged_share, "
        for m in names
    )
    any_flagged = " OR ".join(f"{m}_flagged" for m in names)
    return q(
        _per_month(
            f"""role, count(*) AS utterances,
               {per_moderator}
               avg(CASE WHEN openai_flagged OR detoxify_flagged THEN 1 ELSE 0 END) AS openai_or_detoxify_share,
               avg(CASE WHEN openai_flagged AND detoxify_flagged THEN 1 ELSE 0 END) AS openai_and_detoxify_share,
               avg(CASE WHEN {any_flagged} THEN 1 ELSE 0 END) AS any_moderator_share,
               avg(CASE WHEN toxic THEN 1 ELSE 0 END) AS toxic_share
            FROM moderated_utterances""",
            "role",
        )
    )


def _screening_table(q) -> pd.DataFrame:
    """Share of non-empty utterances each moderator screened, by role and language: an utterance in a
    language no enabled moderator supports is unscreened, and its `toxic` false for want of a verdict."""
    names = [e.name for e in moderator_entries()]
    shares = "".join(f"avg(CASE WHEN {m}_scored THEN 1 ELSE 0 END) AS {m}_screened_share, " for m in names)
    any_scored = " OR ".join(f"{m}_scored" for m in names)
    return q(
        _per_month(
            f"""role, language, count(*) AS utterances,
               {shares}
               count(*) FILTER (NOT ({any_scored})) AS unscreened_utterances
            FROM moderated_utterances WHERE non_empty""",
            "role, language",
        )
    )


def screening_sentence(screening: pd.DataFrame, top: int = 8) -> str:
    """The overall screening in one sentence: unscreened share and its languages."""
    overall = screening[screening["month"] == OVERALL]
    total, unscreened = int(overall["utterances"].sum()), int(overall["unscreened_utterances"].sum())
    if not total:
        return "no non-empty utterances"
    if not unscreened:
        return f"every one of {total:,} non-empty utterances was screened by at least one moderator"
    by_language = overall.groupby("language")["unscreened_utterances"].sum().sort_values(ascending=False)
    named = ", ".join(f"{language} {int(n):,}" for language, n in by_language[by_language > 0].head(top).items())
    return (f"{unscreened / total:.0%} of {total:,} non-empty utterances were not screened by any moderator: "
            f"languages {named}")


def _category_table(q) -> pd.DataFrame:
    """OpenAI categories of the user utterances OpenAI flagged: count and share of flagged user utterances."""
    unpivot = " UNION ALL ".join(
        f"SELECT month, '{c}' AS category, coalesce(categories.\"{c}\", false) AS hit "
        f"FROM moderated_utterances WHERE role = 'user' AND openai_flagged"
        for c in CATEGORY_BREAKDOWN
    )
    df = q(
        _per_month(
            f"category, count(*) FILTER (hit) AS flagged_user_utterances, count(*) AS flagged FROM ({unpivot})",
            "category",
        )
    )
    df = df.assign(share=df["flagged_user_utterances"] / df["flagged"].where(df["flagged"] > 0)).drop(columns="flagged")
    return df[df["flagged_user_utterances"] > 0]


def release_sources(layout: DataLayout, months: list[str]) -> StatisticsSources:
    """The published files (both splits and unscreened) and stored moderated partitions of `months` that exist."""
    def existing(paths):
        return [p for p in paths if p.exists()]

    sources = StatisticsSources(
        nontoxic=existing(layout.published("nontoxic", m) for m in months),
        toxic=existing(layout.published("toxic", m) for m in months),
        unscreened=existing(layout.published("unscreened", m) for m in months),
        moderated=existing(layout.partition(Stage.MODERATED_CONVERSATIONS, m) for m in months),
    )
    counted = [token_counts_file(layout, m) for m in months]
    if all(counts_current(layout, m, path) for m, path in zip(months, counted, strict=True)):
        return replace(sources, token_counts=existing(counted))
    return sources


def count_month_tokens(layout: DataLayout, month: str, tokens: TokenCounter) -> StoragePath:
    """Count the tokens of `month`'s released utterances once and keep them for the report."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        _conversation_files(con, replace(release_sources(layout, [month]), token_counts=[]))
        counted = utterances_with_tokens(con, tokens)
    finally:
        con.close()
    return keep_counts(counted, layout, month, tokens)


def month_tables(tables: dict[str, pd.DataFrame], month: str) -> dict[str, pd.DataFrame]:
    """The block of every table for one month (or OVERALL)."""
    return {name: df[df["month"] == month].drop(columns="month").reset_index(drop=True) for name, df in tables.items()}
