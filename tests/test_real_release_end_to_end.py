"""The five full-schema WildChat-1M rows, imported and re-released through Dagster, come back intact."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest

from wildchat_dagster.cli.runner import run_months
from wildchat_dagster.core.ingestion.import_release import import_files

from conftest import use_embedded_defaults

FULL_SCHEMA = "wildchat1m_fullschema_5rows.jsonl"
MONTH = "2023-04"


@pytest.fixture(scope="module")
def released(tmp_path_factory, real_wildchat):
    root = tmp_path_factory.mktemp("real") / "data"
    root.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        use_embedded_defaults(mp, root)
        import_files([real_wildchat / FULL_SCHEMA], root)
        outcomes = run_months([MONTH], None, root)
    return root, outcomes


def test_on_embedded_defaults_real_non_english_conversations_are_held_not_published_as_nontoxic(
    released, real_wildchat
):
    """No OpenAI key, no Detoxify checkpoint: only English is screened, so the real Spanish and Catalan
    conversations go to release/unscreened/, never into the non-toxic split."""
    root, outcomes = released
    assert all(o.ok for o in outcomes), [(o.label, o.failed_checks, o.failed_steps) for o in outcomes]
    folders = {
        s: pq.read_table(root / "release" / s / f"{MONTH}.parquet").to_pylist()
        for s in ("nontoxic", "toxic", "unscreened")
    }
    originals = [json.loads(line) for line in (real_wildchat / FULL_SCHEMA).read_text().splitlines()]
    foreign = {o["conversation_hash"] for o in originals if o["language"] in ("Spanish", "Catalan")}
    assert len(foreign) == 2 and {r["conversation_hash"] for r in folders["unscreened"]} == foreign
    assert {r["language"] for r in folders["nontoxic"]} == {"English"}
    for row in folders["nontoxic"]:  # every non-empty turn of the non-toxic split was screened
        assert all(u["language"] == "English" for u in row["conversation"] if u["content"].strip())
    manifest = json.loads((root / "release" / "manifest.json").read_text())
    # fastText reads the Catalan user turn's conversation as Spanish (its reply is Spanish): the languages detected.
    held = manifest["unscreened"]["held_by_language"]
    assert list(manifest)[1] == "unscreened" and sum(held.values()) == 2 and set(held) <= {"Catalan", "Spanish"}
    assert manifest["files"]["unscreened"][MONTH]["rows"] == 2 and manifest["totals"]["unscreened"] == 2


def _published(root):
    rows = []
    for split in ("nontoxic", "toxic", "unscreened"):
        path = root / "release" / split / f"{MONTH}.parquet"
        rows += pq.read_table(path).to_pylist()
    return {row["conversation_hash"]: row for row in rows}


@pytest.mark.slow
def test_round_trip_keeps_content_roles_hash_model_and_timestamps(released, real_wildchat):
    root, outcomes = released
    assert all(o.ok for o in outcomes), [(o.label, o.failed_checks, o.failed_steps) for o in outcomes]
    published = _published(root)
    originals = [json.loads(line) for line in (real_wildchat / FULL_SCHEMA).read_text().splitlines()]
    assert set(published) == {o["conversation_hash"] for o in originals}
    for original in originals:
        row = published[original["conversation_hash"]]
        assert row["model"] == original["model"]
        assert row["timestamp"] == dt.datetime.fromisoformat(original["timestamp"])
        assert (row["hashed_ip"], row["country"], row["state"]) == (
            original["hashed_ip"],
            original["country"],
            original["state"],
        )
        for mine, theirs in zip(row["conversation"], original["conversation"], strict=True):
            assert (mine["role"], mine["content"]) == (theirs["role"], theirs["content"])
            expected = dt.datetime.fromisoformat(theirs["timestamp"]) if theirs["timestamp"] else None
            assert mine["timestamp"] == expected
            assert mine["hashed_ip"] == theirs["hashed_ip"]


@pytest.mark.slow
def test_manifest_records_the_import(released):
    root, _ = released
    manifest = json.loads((root / "release" / "manifest.json").read_text())
    (imported,) = manifest["imported_from"]
    assert imported["source"] == FULL_SCHEMA and imported["logs_by_month"] == {MONTH: 6}


@pytest.mark.slow
def test_release_folder_loads_with_datasets_through_its_card(released, tmp_path, monkeypatch):
    import datasets

    root, _ = released
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    card = (root / "release" / "README.md").read_text()
    # The Spanish and Catalan conversations no embedded moderator reads are held out of the splits.
    assert card.startswith("---\n") and "num_examples: 3" in card and "license: odc-by" in card
    assert "wildchat1m_fullschema_5rows.jsonl" in card  # provenance of re-processed data
    loaded = datasets.load_dataset(str(root / "release"))
    assert sum(len(split) for split in loaded.values()) == 3
    held = datasets.load_dataset(str(root / "release"), "unscreened")
    assert len(held["unscreened"]) == 2 and set(held["unscreened"]["language"]) <= {"Catalan", "Spanish"}


@pytest.mark.slow
def test_the_card_tells_what_was_screened(released):
    """Read as a dataset user would: the card says first what was held, then which moderators ran and the
    coverage by language, and what to set to screen the rest."""
    root, _ = released
    body = (root / "release" / "README.md").read_text().split("---\n", 2)[2]
    first = body.strip().splitlines()[2]
    assert first.startswith("**Screening: 2 not-toxic conversations with turns no moderator screened are held")
    assert "(by language: Spanish" in first
    assert "Policy `WILDCHAT_UNSCREENED=hold`" in body
    moderators = body.split("| moderator |", 1)[1].split("\n\n", 1)[0]
    assert (
        "| profanity | 2023-04 | alt-profanity-check==" in moderators
        and "| English | profanity_threshold=0.7 |" in moderators
    )
    assert "| openai | never |" in moderators and "| detoxify | never |" in moderators
    coverage = body.split("| language | utterances | screened | unscreened |", 1)[1].split("\n\n", 1)[0]
    rows = {line.split("|")[1].strip(): [int(x) for x in line.split("|")[2:7]] for line in coverage.splitlines()[2:]}
    assert rows["English"][2] == 0 and rows["English"][0] == rows["English"][1] > 0
    assert rows["Spanish"][1] == 0 and rows["Spanish"][2] > 0 and rows["Spanish"][4] >= 1
    assert "`OPENAI_API_KEY`" in body and "`WILDCHAT_DETOXIFY_CHECKPOINT`" in body


@pytest.mark.slow
def test_deletion_requests_remove_conversations_only_with_the_shrink_allowance(released, real_wildchat):
    """Runs last in this module: it changes the published month."""
    root, _ = released
    originals = [json.loads(line) for line in (real_wildchat / FULL_SCHEMA).read_text().splitlines()]
    # R1 names one conversation; R2 a user (hashed IP) with two conversations, one of them R1's.
    first, texan = originals[0], originals[0]["hashed_ip"]
    gone = {o["conversation_hash"] for o in originals if o["hashed_ip"] == texan}
    assert len(gone) == 2
    (root / "deletion_requests").mkdir()
    (root / "deletion_requests" / "requests.csv").write_text(
        "request_id,conversation_hash,turn_identifier,hashed_ip,reason,date\n"
        f"R1,{first['conversation_hash']},,,PII report,2024-06-01\nR2,,,{texan},user asked,2024-06-02\n")
    selection = {
        "release_nontoxic",
        "release_toxic",
        "release_unscreened",
        "release_nontoxic_template_capped",
        "monthly_stats",
        "release_manifest",
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WILDCHAT_IP_HASH_KEY", "test-ip-hash-key-not-secret")
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        refused = run_months([MONTH], selection, root)
        assert not all(o.ok for o in refused)
        assert ("release_nontoxic", "no_silent_shrink", True) in [c for o in refused for c in o.failed_checks]
        assert len(_published(root)) == 5  # the published month stays until the shrink is asked for

        outcomes = run_months([MONTH], selection, root, allow_shrink=True)
    assert all(o.ok for o in outcomes), [(o.label, o.failed_checks, o.failed_steps) for o in outcomes]
    assert set(_published(root)) == {o["conversation_hash"] for o in originals} - gone
    manifest_text = (root / "release" / "manifest.json").read_text()
    deletions = json.loads(manifest_text)["deletions"]
    assert deletions["request_ids_applied"] == ["R1", "R2"] and deletions["conversations_removed"] == 2
    assert texan not in manifest_text and not any(h in manifest_text for h in gone)  # ids, never content
    assert "Deletion requests applied: 2, conversations removed: 2" in (root / "release" / "README.md").read_text()


@pytest.mark.slow
def test_adding_an_openai_key_and_rerunning_sorts_the_held_conversations_into_the_splits(tmp_path, real_wildchat):
    """Held on embedded defaults; with a key (the loopback stand-in for OpenAI's endpoint, which reads every
    language) a plain rerun of the month (no --force: freshness sees OpenAI enabled) moderates every turn and
    the release empties release/unscreened/."""
    from wildchat_dagster.kit.fakes.openai_server import ModerationStub

    root = tmp_path / "data"
    root.mkdir()
    folders = lambda: {s: pq.read_table(root / "release" / s / f"{MONTH}.parquet").to_pylist()  # noqa: E731
                       for s in ("nontoxic", "toxic", "unscreened")}
    with pytest.MonkeyPatch.context() as mp:
        use_embedded_defaults(mp, root)
        import_files([real_wildchat / FULL_SCHEMA], root)
        assert all(o.ok for o in run_months([MONTH], None, root))
        assert len(folders()["unscreened"]) == 2
        with ModerationStub(lifetime_seconds=600) as stub:
            mp.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
            mp.setenv("OPENAI_BASE_URL", stub.base_url)
            outcomes = run_months([MONTH], None, root)
            assert stub.counters.requests > 0
    due = {asset: why for o in outcomes for asset, why in o.due.items()}
    assert "openai enabled" in due["moderated_conversations"], due
    assert all(o.ok for o in outcomes), [(o.label, o.failed_checks, o.failed_steps) for o in outcomes]
    after = folders()
    assert after["unscreened"] == [] and len(after["nontoxic"]) + len(after["toxic"]) == 5
    assert {"Spanish"} <= {r["language"] for r in after["nontoxic"] + after["toxic"]}
    manifest = json.loads((root / "release" / "manifest.json").read_text())
    assert manifest["unscreened"]["held_conversations"] == 0 and manifest["totals"]["unscreened"] == 0
    assert "Every published conversation was screened by a moderator." in (root / "release" / "README.md").read_text()
