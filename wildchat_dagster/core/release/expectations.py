"""A small Great Expectations 1.x bridge: run expectations on a DataFrame, get plain results.

dagster-ge supports only GX < 1.0, so assets turn these results into
`AssetCheckResult`s themselves. GX is imported inside `run_expectations`
because its import takes seconds; an ephemeral context keeps nothing on disk.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Expectation:
    """One GX expectation by class name (e.g. "ExpectColumnValuesToNotBeNull") and its arguments."""

    kind: str
    kwargs: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        column = self.kwargs.get("column") or "+".join(
            str(self.kwargs[k]) for k in ("column_A", "column_B") if k in self.kwargs
        )
        return f"{self.kind}({column})" if column else self.kind


@dataclass(frozen=True)
class ExpectationResult:
    expectation: str
    success: bool
    observed: dict


def run_expectations(
    df: pd.DataFrame, expectations: list[Expectation], name: str = "table"
) -> tuple[bool, list[ExpectationResult]]:
    """Validate `df` against every expectation; (all passed, one result per expectation)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = context.data_sources.add_pandas(f"{name}_source").add_dataframe_asset(name)
    batch_definition = batch.add_batch_definition_whole_dataframe(f"{name}_whole")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{name}_suite"))
    for e in expectations:
        suite.add_expectation(getattr(gx.expectations, e.kind)(**e.kwargs))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}_validation", data=batch_definition, suite=suite)
    )
    outcome = validation.run(batch_parameters={"dataframe": df})
    results = []
    for expectation, r in zip(expectations, _in_suite_order(outcome.results, suite), strict=True):
        observed = {k: v for k, v in (r.result or {}).items() if k in _OBSERVED_KEYS}
        if r.exception_info and r.exception_info.get("raised_exception"):
            observed["exception"] = str(r.exception_info.get("exception_message"))[:300]
        results.append(
            ExpectationResult(expectation.label, bool(r.success), json.loads(json.dumps(observed, default=_plain)))
        )
    return all(r.success for r in results), results


_OBSERVED_KEYS = (
    "observed_value",
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "partial_unexpected_list",
)


def _plain(value):
    """JSON for numpy scalars and anything else GX reports (as text)."""
    return value.item() if hasattr(value, "item") else str(value)


def _in_suite_order(results, suite):
    """GX may reorder results; match them back to the suite's expectations by id."""
    by_id = {r.expectation_config.id: r for r in results}
    return [by_id[e.id] for e in suite.expectations]


def release_frame(rows: list[dict]) -> pd.DataFrame:
    """The flat columns of release rows that the expectations look at."""
    return pd.DataFrame(
        {
            "conversation_hash": [r["conversation_hash"] for r in rows],
            "last_turn_identifier": [
                r["conversation"][-1]["turn_identifier"] if r["conversation"] else None for r in rows
            ],
            "model": [r["model"] for r in rows],
            "timestamp_month": [r["timestamp"].strftime("%Y-%m") if r["timestamp"] else None for r in rows],
            "turn": [r["turn"] for r in rows],
            "language": [r["language"] for r in rows],
            "toxic": [r["toxic"] for r in rows],
            "redacted": [r["redacted"] for r in rows],
            "utterances": [len(r["conversation"]) for r in rows],
            "openai_moderation_entries": [len(r["openai_moderation"]) for r in rows],
            "detoxify_moderation_entries": [len(r["detoxify_moderation"]) for r in rows],
        },
    ).astype({"turn": "Int64", "utterances": "Int64", "last_turn_identifier": "Int64"})


def release_expectations(month: str, toxic: bool) -> list[Expectation]:
    """What every row of one release split of `month` must satisfy, read against the WildChat-1M card.

    `conversation_hash` is not a key: the card says identical conversations share it (three users
    asking "Who are you?" give three rows with one hash). A conversation's own last request is: its
    `turn_identifier` is unique within a split (earlier rounds may be shared by regenerated branches)."""
    return [
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "conversation_hash"}),
        Expectation("ExpectColumnValuesToMatchRegex", {"column": "conversation_hash", "regex": r"^[0-9a-f]{32}$"}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "last_turn_identifier"}),
        Expectation("ExpectColumnValuesToBeUnique", {"column": "last_turn_identifier"}),
        Expectation("ExpectColumnValuesToBeInSet", {"column": "toxic", "value_set": [toxic]}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "toxic"}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "redacted"}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "turn"}),
        Expectation("ExpectColumnValuesToBeBetween", {"column": "turn", "min_value": 1}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "language"}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "model"}),
        Expectation("ExpectColumnValuesToBeInSet", {"column": "timestamp_month", "value_set": [month]}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "timestamp_month"}),
        Expectation(
            "ExpectColumnPairValuesToBeEqual", {"column_A": "utterances", "column_B": "openai_moderation_entries"}
        ),
        Expectation(
            "ExpectColumnPairValuesToBeEqual", {"column_A": "utterances", "column_B": "detoxify_moderation_entries"}
        ),
    ]

