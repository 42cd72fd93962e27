"""Shared test set-up: an isolated data root and environment per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from wildchat_dagster.kit.samples import REAL_WILDCHAT

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"

# Every asset of the code location, monthly ones in pipeline order.
MONTHLY_ASSETS = [
    "raw_logs",
    "rejected_logs",
    "linked_conversations",
    "deduplicated_conversations",
    "geotagged_conversations",
    "language_tagged_conversations",
    "redacted_conversations",
    "moderated_conversations",
    "template_prompts",
    "release_nontoxic",
    "release_toxic",
    "release_unscreened",
    "release_nontoxic_template_capped",
    "monthly_stats",
    "lineage_index",
]
PUBLICATION_ASSETS = ["release_manifest", "dataset_report", "duckdb_catalog"]

# Never let a library reach for the network (tldextract's suffix list, the HF hub).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Property tests: the same examples on every run (a red CI is reproducible), and no per-example
# deadline or speed health check, which a busy 2-core machine would trip.
settings.register_profile(
    "repeatable", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("repeatable")


def use_embedded_defaults(mp: pytest.MonkeyPatch, root: Path) -> None:
    """A data root on the embedded defaults: its own Dagster home, a fixed IP-hash key, no OpenAI key."""
    mp.setenv("WILDCHAT_DATA_DIR", str(root))
    mp.setenv("WILDCHAT_IP_HASH_KEY", "test-ip-hash-key-not-secret")
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    mp.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root, with a fixed IP-hash key and no OpenAI key."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("WILDCHAT_DATA_DIR", str(root))
    monkeypatch.setenv("WILDCHAT_IP_HASH_KEY", "test-ip-hash-key-not-secret")
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path / "tldextract"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return root


@pytest.fixture(scope="session")
def real_wildchat() -> Path:
    """Real WildChat-1M rows (ODC-BY), shipped in the package (kit/samples/real_wildchat)."""
    if not REAL_WILDCHAT.is_dir():
        pytest.fail(f"real WildChat samples not found at {REAL_WILDCHAT}")
    return REAL_WILDCHAT


@pytest.fixture(scope="session")
def pii_redactor(tmp_path_factory):
    """The embedded default PIIRedactor configuration, its redactor loaded once for the whole session."""
    from wildchat_dagster.resources.pii_redactor import PIIRedactor

    resource = PIIRedactor.from_defaults(tmp_path_factory.mktemp("pii-data"))
    resource.get_redactor()
    return resource


@pytest.fixture(scope="session")
def redactor(pii_redactor):
    return pii_redactor.get_redactor()
