"""Fresh means every input unchanged: a stage's source, its engines and the IP-hash key are inputs too.

Each kind of change reruns exactly the stage it touches and what is downstream of it, and
says what changed; an unchanged rerun starts nothing."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
from click.testing import CliRunner

from wildchat_dagster.assets.shared import code_versions
from wildchat_dagster.cli import main
from wildchat_dagster.cli.dagster_private import CODE_VERSION_TAG
from wildchat_dagster.cli.runner import run_months
from wildchat_dagster.kit.fakes.openai_server import ModerationStub

MONTH = "2023-05"
KEY = "freshness-test-key-not-secret"
INGESTION = {"raw_logs", "rejected_logs"}
BEFORE_GEO = {"linked_conversations", "deduplicated_conversations"}
PUBLICATION = {"release_manifest", "dataset_report", "duckdb_catalog"}
AFTER_MODERATION = {"release_nontoxic", "release_toxic", "release_unscreened", "lineage_index",
                    "release_nontoxic_template_capped", "monthly_stats"}
FROM_MODERATION = {"moderated_conversations", *AFTER_MODERATION}
FROM_REDACTION = {"redacted_conversations", "template_prompts", *FROM_MODERATION}
FROM_GEO = {"geotagged_conversations", "language_tagged_conversations", *FROM_REDACTION}


def _environment(monkeypatch: pytest.MonkeyPatch, root) -> None:
    monkeypatch.setenv("WILDCHAT_DATA_DIR", str(root))
    monkeypatch.setenv("WILDCHAT_IP_HASH_KEY", KEY)
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(root.parent / "tldextract"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    """One small month, processed and published once for the module."""
    root = tmp_path_factory.mktemp("freshness") / "data"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _environment(monkeypatch, root)
        generated = CliRunner().invoke(main, ["generate", "--months", MONTH, "--conversations-per-month", "24",
                                              "--seed", "11"])
        assert generated.exit_code == 0, generated.output
        assert all(outcome.ok for outcome in run_months([MONTH], layout=root))
    return root


@pytest.fixture
def root(processed, monkeypatch):
    _environment(monkeypatch, processed)
    return processed


def _due(root) -> dict[str, dict[str, str]]:
    """{run label: {asset: why}} of one `run` of the month."""
    outcomes = run_months([MONTH], layout=root)
    assert all(outcome.ok for outcome in outcomes), [(o.label, o.failed_steps, o.failed_checks) for o in outcomes]
    return {outcome.label: outcome.due for outcome in outcomes}


def _runs(root) -> int:
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        return len(instance.get_run_records())


def _assert_reran(due: dict[str, dict[str, str]], changed: set[str], reason: str, first: str) -> None:
    assert due[f"{MONTH} ingestion"] == {}
    assert set(due[MONTH]) == changed, due[MONTH]
    assert due[MONTH][first] == reason
    assert set(due["publication"]) == PUBLICATION


def _section(output: str, header: str) -> list[str]:
    """The lines `run` printed under `header`, up to the next run's header."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header)) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("== ")), len(lines))
    return lines[start:end]


def test_an_unchanged_rerun_starts_nothing(root):
    runs = _runs(root)
    assert _due(root) == {f"{MONTH} ingestion": {}, MONTH: {}, "publication": {}}
    assert _runs(root) == runs


def test_a_stage_whose_source_changed_reruns_with_what_is_downstream(root, monkeypatch):
    edited = code_versions.PACKAGE_DIR / "core" / "redaction" / "month.py"
    real = code_versions.source_digest

    def digest_after_edit(modules: frozenset[str]) -> str:
        return real(modules) + ("-edited" if edited in code_versions.source_files(modules) else "")

    monkeypatch.setattr(code_versions, "source_digest", digest_after_edit)
    _assert_reran(_due(root), FROM_REDACTION, "code of redacted_conversations changed", "redacted_conversations")
    monkeypatch.setattr(code_versions, "source_digest", real)  # the edit undone: the same stages again
    _assert_reran(_due(root), FROM_REDACTION, "code of redacted_conversations changed", "redacted_conversations")
    assert _due(root)[MONTH] == {}


def test_enabling_openai_reruns_moderation_and_says_so(root, monkeypatch):
    with ModerationStub(lifetime_seconds=300) as stub:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        ran = CliRunner().invoke(main, ["run", "--months", MONTH], catch_exceptions=False)
        assert ran.exit_code == 0, ran.output
        assert stub.counters.requests > 0
    assert f"== {MONTH} ingestion: up to date, nothing run" in ran.output
    month = _section(ran.output, f"== {MONTH}: ok")
    assert any(line.startswith("   moderated_conversations") and line.endswith("[engine fingerprint changed: openai "
                                                                             "enabled]") for line in month), ran.output
    [skipped] = [line.split(":", 1)[1] for line in month if line.startswith("   skipped as fresh:")]
    assert {"redacted_conversations", "template_prompts", *BEFORE_GEO} <= set(skipped.strip().split(", ")), ran.output
    assert "sk-test-not-a-key" not in ran.output

    monkeypatch.delenv("OPENAI_API_KEY")
    _assert_reran(_due(root), FROM_MODERATION, "engine fingerprint changed: openai disabled", "moderated_conversations")


def test_rotating_the_ip_hash_key_reruns_geotagging_and_what_is_downstream(root, monkeypatch):
    rotated = "freshness-test-key-rotated-not-secret"
    monkeypatch.setenv("WILDCHAT_IP_HASH_KEY", rotated)
    _assert_reran(_due(root), FROM_GEO, "engine fingerprint changed: ip-hash key rotated", "geotagged_conversations")
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        record = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("geotagged_conversations"), asset_partitions=[MONTH]), limit=1
        ).records[0]
    recorded = record.asset_materialization.tags[CODE_VERSION_TAG]
    assert "ipkey=" in recorded and rotated not in recorded and KEY not in recorded
    monkeypatch.setenv("WILDCHAT_IP_HASH_KEY", KEY)
    _assert_reran(_due(root), FROM_GEO, "engine fingerprint changed: ip-hash key rotated", "geotagged_conversations")


def test_source_digest_is_the_same_in_any_checkout_and_moves_with_the_files_a_stage_runs(tmp_path, monkeypatch):
    stages = {name: frozenset({f"wildchat_dagster.assets.{name}.{name}"}) for name in ("redaction", "geo", "ingestion")}
    before = {name: code_versions.source_digest(modules) for name, modules in stages.items()}
    copy = tmp_path / "elsewhere" / "wildchat_dagster"
    shutil.copytree(code_versions.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "kit"))
    monkeypatch.setattr(code_versions, "PACKAGE_DIR", copy)
    code_versions.source_digest.cache_clear()
    assert {name: code_versions.source_digest(modules) for name, modules in stages.items()} == before
    with (copy / "core" / "redaction" / "month.py").open("a") as file:
        file.write("\n# an upgraded redaction\n")
    code_versions.source_digest.cache_clear()
    after = {name: code_versions.source_digest(modules) for name, modules in stages.items()}
    assert after["redaction"] != before["redaction"]
    assert (after["geo"], after["ingestion"]) == (before["geo"], before["ingestion"])
    code_versions.source_digest.cache_clear()


def test_a_code_version_names_each_part_and_changes_say_which_moved():
    old = code_versions.format_code_version("abc", {"openai": "off", "ipkey": "k1", "spacy": "en:model 3.7"})
    assert old.startswith("code=abc ") and "spacy=en:model_3.7" in old
    new = code_versions.format_code_version("abd", {"openai": "on:omni", "ipkey": "k2", "spacy": "en:model 3.7"})
    assert code_versions.changes("redacted", old, new) == [
        "code of redacted changed",
        "engine fingerprint changed: ip-hash key rotated",
        "engine fingerprint changed: openai enabled",
    ]
    assert code_versions.changes("redacted", new, new) == []
    # Materialized before code versions were derived: "1" reads as a code change.
    assert code_versions.changes("redacted", "1", new)[0] == "code of redacted changed"
