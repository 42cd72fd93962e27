"""Configuration errors fail before any stage runs, in one line each, naming the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildchat_dagster.cli import main
from wildchat_dagster.cli.preflight import SETTINGS, configuration_problems
from wildchat_dagster.core.moderation.detoxify_model import load_detoxify
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.resources.warehouse import WarehouseResource

PACKAGE = Path(__file__).resolve().parent.parent / "wildchat_dagster"


def run_cli(data_dir: Path, *args: str, **env: str):
    result = CliRunner(env={"DAGSTER_HOME": str(data_dir / "dagster_home"), **env}).invoke(
        main, ["run", "--months", "2023-04", *args]
    )
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def landed(data_dir: Path) -> Path:
    (data_dir / "landing" / "2023-04").mkdir(parents=True)
    (data_dir / "landing" / "2023-04" / "part.jsonl").write_text("{}\n")
    return data_dir


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"WILDCHAT_DETOXIFY_CHECKPOINT": "/nonexistent/model.ckpt"},
            "WILDCHAT_DETOXIFY_CHECKPOINT=/nonexistent/model.ckpt: no such file",
        ),
        (
            {"WILDCHAT_DETOXIFY_CONFIG_DIR": "/nonexistent"},
            "WILDCHAT_DETOXIFY_CONFIG_DIR=/nonexistent: no config.json there",
        ),
        ({"WILDCHAT_START_MONTH": "garbage"}, "WILDCHAT_START_MONTH='garbage' is not a month: expected YYYY-MM"),
        (
            {"WILDCHAT_START_MONTH": "2023-06"},
            "2023-04 precedes WILDCHAT_START_MONTH=2023-06: set WILDCHAT_START_MONTH to 2023-04",
        ),
        ({"WILDCHAT_IP_HASH_KEY": "short"}, "WILDCHAT_IP_HASH_KEY is 5 bytes long; use at least 16"),
        ({"WILDCHAT_DATADIR": "/tmp"}, "WILDCHAT_DATADIR is not a setting of wildchat-dagster"),
        ({"WILDCHAT_SHARD_ROWS": "0"}, "WILDCHAT_SHARD_ROWS='0': expected a positive whole number"),
        ({"WILDCHAT_EXECUTOR": "threads"}, "WILDCHAT_EXECUTOR='threads': expected one of in_process, multiprocess"),
    ],
)
def test_a_wrong_setting_fails_before_any_stage_runs(landed, env, message):
    result = run_cli(landed, **env)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not (landed / "warehouse").exists() and not (landed / "dagster_home").exists()


def test_an_exposed_key_file_is_found_first(landed, monkeypatch):
    monkeypatch.delenv("WILDCHAT_IP_HASH_KEY")
    key = landed / "secrets" / "ip_hash.key"
    key.parent.mkdir()
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o644)
    result = run_cli(landed)
    assert result.exit_code == 1 and "is accessible by other users (mode 644)" in result.output
    assert not (landed / "warehouse").exists()


def test_a_data_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("WILDCHAT_DATA_DIR", str(blocker / "data"))
    monkeypatch.setenv("WILDCHAT_IP_HASH_KEY", "a-long-enough-test-key")
    result = CliRunner().invoke(main, ["run", "--months", "2023-04"])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line == (f"Error: data folder {blocker / 'data'} cannot be made: {blocker} is a file, not a folder: "
                    "choose another with --data-dir or WILDCHAT_DATA_DIR")


def test_every_problem_is_listed_at_once(tmp_path):
    env = {"WILDCHAT_START_MONTH": "2023-13", "WILDCHAT_IP_HASH_KEY": "x", "WILDCHAT_DETOXIFY_CHECKPOINT": "/no"}
    problems = configuration_problems(DataLayout(tmp_path), ["2023-04"], env)
    assert [p.split("=")[0].split(" ")[0] for p in problems] == [
        "WILDCHAT_START_MONTH", "WILDCHAT_IP_HASH_KEY", "WILDCHAT_DETOXIFY_CHECKPOINT"]
    assert (
        configuration_problems(DataLayout(tmp_path), ["2023-04"], {"WILDCHAT_IP_HASH_KEY": "a-long-enough-test-key"})
        == []
    )


def test_every_wildchat_variable_in_the_package_is_validated():
    used = {
        name
        for path in PACKAGE.rglob("*.py")
        for name in re.findall(r"\bWILDCHAT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text())
    }
    used -= {"WILDCHAT_1M", "WILDCHAT_4_8M"}  # the schemas' names, not variables
    assert used <= set(SETTINGS), used - set(SETTINGS)


def test_a_configured_but_missing_checkpoint_is_an_error_not_a_fallback(tmp_path):
    pytest.importorskip("detoxify")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_detoxify("multilingual", str(tmp_path / "missing.ckpt"), None, "cpu", 8, None, tmp_path)


def test_redaction_without_an_ner_model_is_refused_unless_names_are_switched_off(tmp_path, monkeypatch):
    from wildchat_dagster.resources import pii_redactor
    from wildchat_dagster.resources.pii_redactor import PERSON_WITHOUT_MODEL, PIIRedactor

    env = {"WILDCHAT_IP_HASH_KEY": "a-long-enough-test-key"}
    assert configuration_problems(DataLayout(tmp_path), ["2023-04"], env) == []  # a model is installed here
    monkeypatch.setattr(pii_redactor, "installed_english_model", lambda: None)
    assert configuration_problems(DataLayout(tmp_path), ["2023-04"], env) == [PERSON_WITHOUT_MODEL]
    assert "WILDCHAT_REDACT_PERSON=off" in PERSON_WITHOUT_MODEL
    assert configuration_problems(DataLayout(tmp_path), ["2023-04"], env | {"WILDCHAT_REDACT_PERSON": "off"}) == []
    assert configuration_problems(DataLayout(tmp_path), ["2023-04"], env | {"WILDCHAT_REDACT_PERSON": "maybe"}) == [
        "WILDCHAT_REDACT_PERSON='maybe': expected on or off"]
    # The stage itself refuses too (a UI launch skips preflight), unless names are off.
    with pytest.warns(UserWarning):
        assert PIIRedactor.from_defaults(tmp_path).person_without_model() == PERSON_WITHOUT_MODEL
    off = PIIRedactor.from_defaults(tmp_path, redact_person=False)
    assert off.person_without_model() is None and "PERSON" not in off.entities and off.spacy_models == {}
    assert off.describe()["entities"] == off.entities


def test_the_redaction_stage_fails_without_an_ner_model(data_dir):
    import dagster as dg

    from wildchat_dagster.assets.redaction.redaction import redacted_conversations
    from wildchat_dagster.core.storage.warehouse import Warehouse
    from wildchat_dagster.resources.pii_redactor import PERSON_WITHOUT_MODEL, PIIRedactor
    from wildchat_dagster.stages import Stage

    from factories import conversation_record

    upstream = [
        conversation_record(
            Stage.LANGUAGE_TAGGED_CONVERSATIONS, [("user", "My name is Emily Watson"), ("assistant", "Hi")]
        )
    ]
    Warehouse(data_dir).write_records(Stage.LANGUAGE_TAGGED_CONVERSATIONS, "2023-04", upstream)
    result = dg.materialize([redacted_conversations], partition_key="2023-04", raise_on_error=False, resources={
        "warehouse": WarehouseResource(data_dir=str(data_dir)),
        "pii_redactor": PIIRedactor(tldextract_cache_dir=str(data_dir / "tld")),
    })
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert any(PERSON_WITHOUT_MODEL in str(e.event_specific_data.error) for e in failures)
