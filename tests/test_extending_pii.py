"""A new PII entity type is one registry entry: a toy EMPLOYEE_ID (EMP-123456, check digit),
registered from this module alone, is redacted by the core, through the redaction asset, in the
analysis worker processes, and from a module named in the resource's `entity_type_modules`."""

from __future__ import annotations

import sys
import textwrap

import dagster as dg
import pytest
from presidio_analyzer import Pattern, PatternRecognizer

from wildchat_dagster.core.redaction.entities import (
    EntityType,
    ProposedSpan,
    RecognizerSetup,
    entity_type_names,
    register_entity_type,
    unregister_entity_type,
)
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.pii_redactor import PIIRedactor
from wildchat_dagster.resources.warehouse import WarehouseResource
from wildchat_dagster.schema import placeholder

from factories import conversation_record

EMPLOYEE_ID = "EMPLOYEE_ID"
MONTH = "2023-04"


def employee_check_digit(first5: str) -> str:
    """The toy scheme: the sixth digit is the weighted sum of the first five, mod 10."""
    return str(sum(int(d) * w for d, w in zip(first5, (3, 1, 3, 1, 3), strict=True)) % 10)


def employee_id(first5: str) -> str:
    return f"EMP-{first5}{employee_check_digit(first5)}"


VALID, OTHER_VALID = employee_id("48213"), employee_id("90417")
INVALID = f"EMP-48213{(int(employee_check_digit('48213')) + 1) % 10}"


# Hooks are module-level functions: worker processes import them by name when they unpickle the policy.
def employee_id_recognizers(setup: RecognizerSetup) -> list:
    pattern = Pattern("employee id", r"(?<![\w-])EMP-\d{6}(?![\w-])", 0.6)
    return [PatternRecognizer(EMPLOYEE_ID, name="EmployeeIdRecognizer", supported_language=setup.language,
                              patterns=[pattern], global_regex_flags=0)]


def has_valid_check_digit(span: ProposedSpan) -> bool:
    digits = span.value[-6:]
    return employee_check_digit(digits[:5]) == digits[5]


EMPLOYEE_ID_TYPE = EntityType(
    EMPLOYEE_ID,
    employee_id_recognizers,
    priority=30,  # beside the national IDs: before e-mails, URLs, phone numbers and names
    rule="employee_id_check_digit_valid",
    shape=r"EMP-\d{6}",
    needs_digit=True,
    accept=has_valid_check_digit,
)


@pytest.fixture
def employee_ids():
    """EMPLOYEE_ID registered for one test, and gone afterwards."""
    register_entity_type(EMPLOYEE_ID_TYPE)
    yield EMPLOYEE_ID_TYPE
    unregister_entity_type(EMPLOYEE_ID)


@pytest.fixture
def redactor(employee_ids, tmp_path):
    """A redactor built after the registration: its policy holds every registered type."""
    return PIIRedactor.from_defaults(tmp_path).get_redactor()


def redact(redactor, texts, **options):
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts

    return redact_texts([TextToRedact(f"c{i}", t, "English") for i, t in enumerate(texts)], redactor, **options)


def test_registration_is_reversible_and_validated(employee_ids):
    assert EMPLOYEE_ID in entity_type_names()
    with pytest.raises(ValueError, match="already registered"):
        register_entity_type(EMPLOYEE_ID_TYPE)
    with pytest.raises(ValueError, match="upper-case"):
        register_entity_type(EntityType("employee-id", employee_id_recognizers, priority=30, rule="x"))
    with pytest.raises(ValueError, match="only PERSON"):
        register_entity_type(EntityType("BADGE_NAME", employee_id_recognizers, priority=80, rule="x", needs_ner=True))
    assert "BADGE_NAME" not in entity_type_names()
    unregister_entity_type(EMPLOYEE_ID)
    assert EMPLOYEE_ID not in entity_type_names()
    register_entity_type(EMPLOYEE_ID_TYPE)  # for the fixture's teardown


def test_the_toy_type_is_redacted_by_the_core(redactor):
    texts = [
        f"Badge {VALID}, mail me at dana.kim91@gmail.com",
        f"Badge {INVALID} has a wrong check digit",
        f"Both {VALID} and {OTHER_VALID}.",
        "No badge here, EMP-12 is too short.",
    ]
    out, report = redact(redactor, texts)
    ph = placeholder(EMPLOYEE_ID)
    assert ph == "<PRESIDIO_ANONYMIZED_EMPLOYEE_ID>"
    assert out[0].text == f"Badge {ph}, mail me at {placeholder('EMAIL_ADDRESS')}"
    assert out[0].entities == [EMPLOYEE_ID, "EMAIL_ADDRESS"]
    assert out[0].spans[0][3] == "employee_id_check_digit_valid"
    assert out[1].text == texts[1] and not out[1].redacted
    assert out[2].text == f"Both {ph} and {ph}."
    assert out[3].text == texts[3]
    assert report.entities[EMPLOYEE_ID] == 3
    # The prefilter admits the type only where its shape is.
    assert EMPLOYEE_ID in redactor.prefilter.possible_types(texts[0], "en", True)
    assert EMPLOYEE_ID not in redactor.prefilter.possible_types(texts[3], "en", True)


def test_the_toy_type_is_redacted_in_worker_processes(redactor):
    """The policy carries the entry to the workers; they import this module to unpickle its hooks."""
    texts = [f"Case {i}: badge {employee_id(f'{10000 + i}')}" for i in range(30)] + ["nothing here"] * 5
    single, _ = redact(redactor, texts, workers=1)
    pooled, report = redact(redactor, texts, workers=2, parallel_min_texts=1)
    assert report.workers_used == 2
    assert pooled == single
    assert report.entities[EMPLOYEE_ID] == 30 and all(o.entities == [EMPLOYEE_ID] for o in pooled[:30])


def test_the_toy_type_is_switched_off_like_a_built_in(employee_ids, tmp_path):
    entities = [t for t in entity_type_names() if t != EMPLOYEE_ID]
    redactor = PIIRedactor(entities=entities, tldextract_cache_dir=str(tmp_path)).get_redactor()
    out, _ = redact(redactor, [f"Badge {VALID}"])
    assert out[0].text == f"Badge {VALID}"


def test_a_month_through_the_redaction_asset(employee_ids, data_dir):
    from wildchat_dagster.assets.redaction.redaction import redacted_conversations

    rows = [
        conversation_record(
            "language_tagged_conversations",
            [("user", f"My employee number is {VALID}, please reset it."), ("assistant", "Done.")],
        ),
        conversation_record("language_tagged_conversations", [("user", f"Is {INVALID} valid?"), ("assistant", "No.")]),
    ]
    store = Warehouse(data_dir)
    store.write_records("language_tagged_conversations", MONTH, rows)
    store.write_records("raw_logs", MONTH, [{"log_id": "l1", "ip": "203.0.113.7"}])
    resource = PIIRedactor.from_defaults(data_dir)
    result = dg.materialize(
        [redacted_conversations],
        partition_key=MONTH,
        resources={"warehouse": WarehouseResource(data_dir=str(data_dir)), "pii_redactor": resource},
    )
    assert result.success
    first, second = store.read_records("redacted_conversations", MONTH)
    turn = first["conversation"][0]
    assert turn["content"] == f"My employee number is {placeholder(EMPLOYEE_ID)}, please reset it."
    assert turn["redacted_entities"] == [EMPLOYEE_ID] and first["redacted"]
    rules = [(s["entity_type"], s["rule"]) for s in turn["redactions"]]
    assert rules == [(EMPLOYEE_ID, "employee_id_check_digit_valid")]
    assert not second["redacted"] and second["conversation"][0]["content"] == f"Is {INVALID} valid?"
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["placeholders_well_formed"].passed
    metadata = result.asset_materializations_for_node("redacted_conversations")[0].metadata
    assert metadata["entities_redacted_by_type"].value == {EMPLOYEE_ID: 1}


PLUGIN = '''
from wildchat_dagster.core.redaction.entities import register_entity_type
from test_extending_pii import EMPLOYEE_ID_TYPE

register_entity_type(EMPLOYEE_ID_TYPE)
'''


def test_a_module_named_in_the_resource_registers_its_types(tmp_path, monkeypatch):
    """How a run in another process (the CLI, the daemon) gets the type: the resource imports the module."""
    (tmp_path / "toy_pii_plugin.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "toy_pii_plugin", raising=False)
    assert EMPLOYEE_ID not in entity_type_names()
    resource = PIIRedactor(entity_type_modules=["toy_pii_plugin"], tldextract_cache_dir=str(tmp_path))
    try:
        out, _ = redact(resource.get_redactor(), [f"Badge {VALID}"])
        assert out[0].text == f"Badge {placeholder(EMPLOYEE_ID)}"
        assert EMPLOYEE_ID in resource.describe()["entities"]
    finally:
        unregister_entity_type(EMPLOYEE_ID)
        sys.modules.pop("toy_pii_plugin", None)
