"""A moderator added from this module alone: one registry entry, no package edit (docs/EXTENDING.md).

The toy moderator scores German turns by a word list. Registered, it runs in
the moderation stage beside the built-ins: its German turns are scored and
counted as screened, a planted toxic German turn is toxic with its reason,
its column is stored and the statistics count it. Unregistered, everything is
as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import dagster as dg
import pyarrow as pa
import pytest

from wildchat_dagster.assets.moderation.moderation import moderated_conversations_asset
from wildchat_dagster.assets.shared.code_versions import EngineFingerprints
from wildchat_dagster.core.moderation.moderators import LoadedModerator
from wildchat_dagster.core.moderation.registry import (
    ModeratorEntry,
    moderator_entries,
    moderator_names,
    registered,
)
from wildchat_dagster.core.reporting.statistics import StatisticsSources, compute_statistics
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import STAGE_SCHEMAS
from wildchat_dagster.stages import Stage

from factories import conversation_record

MONTH = "2023-04"
NAME = "german_keywords"
COLUMN = "german_keyword_score"


class KeywordModerator:
    """Share of a text's words on the list: a German-only moderator."""

    name = NAME
    version = "german-keywords-v1"
    languages = frozenset({"German"})

    def __init__(self, words: Sequence[str]):
        self.words = {w.lower() for w in words}
        self.runs = 0

    def moderate(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[float]]]:
        self.runs += 1
        scores = []
        for text in texts:
            words = [w.strip(".,!?").lower() for w in text.split()]
            scores.append(sum(w in self.words for w in words) / max(len(words), 1))
        yield list(range(len(texts))), scores

    def usage(self) -> dict[str, int]:
        return {"model_runs": self.runs}


class KeywordResource(dg.ConfigurableResource):
    """The toy moderator's Dagster resource: its word list."""

    words: list[str] = ["idiot", "verdammter", "dumm"]

    def load(self) -> LoadedModerator:
        return LoadedModerator(KeywordModerator(self.words), "enabled (word list)")

    def configuration(self) -> dict:
        return {"words": len(self.words)}


ENTRY = ModeratorEntry(
    name=NAME,
    languages=KeywordModerator.languages,
    columns=(pa.field(COLUMN, pa.float64()),),
    store=lambda score: {COLUMN: float(score)},
    flagged=lambda u, threshold: u[COLUMN] > threshold,
    reason=lambda threshold: f"{NAME}>{threshold:g}",
    threshold=0.2,
    resource_key="german_keywords",
    resource=KeywordResource,
    load=lambda resource, _context: resource.load(),
    scored_sql=f"u.{COLUMN} IS NOT NULL",
    flagged_sql=lambda threshold: f"coalesce(u.{COLUMN} > {threshold}, false)",
    fingerprint=KeywordModerator.version,
)


@pytest.fixture
def german_keywords():
    """The toy moderator registered for one test, removed afterwards."""
    with registered(ENTRY) as entry:
        yield entry


def _rows() -> list[dict]:
    rows = [
        conversation_record("redacted_conversations", [("user", "Wie spät ist es in Berlin?"),
                                                       ("assistant", "Es ist zwölf Uhr.")]),
        conversation_record("redacted_conversations", [("user", "Du bist ein verdammter Idiot!"),
                                                       ("assistant", "Das hilft uns nicht weiter.")]),
        conversation_record("redacted_conversations", [("user", "Write a haiku about spring"),
                                                       ("assistant", "Blossoms drift softly")]),
    ]
    for row, language in zip(rows, ["German", "German", "English"], strict=True):
        for utterance in row["conversation"]:
            utterance["language"] = language
    return rows


def test_a_registered_toy_moderator_screens_its_language_and_decides_toxicity(
    german_keywords, data_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))  # no Detoxify weights: profanity runs
    monkeypatch.delenv("WILDCHAT_DETOXIFY_CHECKPOINT", raising=False)
    warehouse = Warehouse(data_dir)
    warehouse.write_records(Stage.REDACTED_CONVERSATIONS, MONTH, _rows())
    # Every registered moderator's resource, the toy's included, from its registry entry.
    resources = {entry.resource_key: entry.default_resource() for entry in moderator_entries()}
    resources |= {"warehouse": WarehouseResource(data_dir=str(data_dir)),
                  "moderation_policy": ModerationPolicyResource()}
    asset = moderated_conversations_asset()
    # Its fingerprint enters the code version: months moderated without it are stale for `run`.
    engines = EngineFingerprints(resources).of(asset.required_resource_keys)
    assert engines["moderators"] == "german_keywords:german-keywords-v1"
    result = dg.materialize([asset], partition_key=MONTH, resources=resources)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("moderated_conversations")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}

    stored = warehouse.read_records(Stage.MODERATED_CONVERSATIONS, MONTH)
    german = [u for row in stored[:2] for u in row["conversation"]]
    assert all(u[COLUMN] is not None and u["profanity_score"] is None for u in german)  # its language only
    assert all(u[COLUMN] is None and u["profanity_score"] is not None for u in stored[2]["conversation"])
    insult = stored[1]["conversation"][0]
    assert insult[COLUMN] == pytest.approx(2 / 5) and insult["toxic"] and insult["toxic_reasons"] == [f"{NAME}>0.2"]
    assert [row["toxic"] for row in stored] == [False, True, False]

    assert metadata[f"{NAME}_enabled"] and metadata[f"{NAME}_languages"] == "German"
    assert metadata[f"{NAME}_flagged_utterances"] == 1 and metadata[f"{NAME}_threshold"] == 0.2
    assert metadata[f"{NAME}_screened_utterance_share"] == pytest.approx(4 / 6, abs=1e-4)
    assert metadata["unscreened_utterances"] == 0 and metadata["unscreened_languages"] == {}
    assert checks["toxicity_screening_complete"] and checks["moderation_results_complete"]

    # The statistics read its column too: scored and flagged shares per role.
    moderated = [warehouse.partition_path(Stage.MODERATED_CONVERSATIONS, MONTH)]
    table = compute_statistics(StatisticsSources([], [], moderated))["moderation"]
    user = table[(table["month"] == "all") & (table["role"] == "user")].iloc[0]
    assert user[f"{NAME}_scored"] == 2 and user[f"{NAME}_flagged_share"] == pytest.approx(0.5)


def test_registration_is_reversible_and_names_are_unique():
    before = (moderator_names(), STAGE_SCHEMAS[Stage.MODERATED_CONVERSATIONS])
    with registered(ENTRY):
        assert moderator_names()[-1] == NAME
        assert COLUMN in STAGE_SCHEMAS[Stage.MODERATED_CONVERSATIONS].field("conversation").type.value_type.names
        with pytest.raises(ValueError, match="already registered"), registered(ENTRY):
            pass
    assert (moderator_names(), STAGE_SCHEMAS[Stage.MODERATED_CONVERSATIONS]) == before
    clash = ModeratorEntry(**{**vars(ENTRY), "name": "clash", "columns": (pa.field("profanity_score", pa.float64()),)})
    with pytest.raises(ValueError, match="profanity_score are taken"), registered(clash):
        pass
