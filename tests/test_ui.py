"""Operate the project through the Dagster UI: `wildchat-dagster ui` (dg dev), its
GraphQL API, a partition backfill run by the daemon, and the lineage page in a browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests

from wildchat_dagster.kit.synthetic.generator import generate_landing

from conftest import ARTIFACTS, MONTHLY_ASSETS, PUBLICATION_ASSETS, REPO

pytestmark = pytest.mark.slow

MONTHS = ["2023-04", "2023-05"]
# From geotagging on, no stage may hold a raw client IP.
PRIVACY_CHECKED = set(MONTHLY_ASSETS) - {
    "raw_logs",
    "rejected_logs",
    "linked_conversations",
    "deduplicated_conversations",
}
GROUPS = ["ingestion", "enrichment", "moderation", "release", "publication"]
LOCATION = "wildchat_dagster.definitions"  # workspace.yaml's python_module names the code location

SERVER_START_TIMEOUT_S = 300  # dg dev starts in ~80 s on an idle 2-core machine
BACKFILL_TIMEOUT_S = 900  # two small months and publication; minutes on 2 cores shared with other work
SERVER_LIFETIME_S = 1500  # `timeout` stops dagster dev even if pytest itself is killed
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The instance: no telemetry, and the queued-run coordinator `dagster dev` uses,
# polling every second instead of every five so backfill runs start promptly.
DAGSTER_YAML = """\
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
"""


@dataclass
class DagsterDev:
    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen  # `timeout ... wildchat-dagster ui`

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n--- dagster dev log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
        assert response.status_code == 200, (
            f"GraphQL HTTP {response.status_code}: {response.text[:2000]}{self.log_tail()}"
        )
        body = response.json()
        assert not body.get("errors"), f"GraphQL errors: {body['errors']}{self.log_tail()}"
        return body["data"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop dagster dev and everything it started (webserver, daemon, code server, runs)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterDev]:
    root = tmp_path_factory.mktemp("ui")
    data_dir = root / "data"
    generate_landing(data_dir, MONTHS, 60, 1, short=True)
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    venv_bin = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(
        WILDCHAT_DATA_DIR=str(data_dir),
        WILDCHAT_IP_HASH_KEY="ui-test-ip-hash-key-not-secret",
        DAGSTER_HOME=str(home),
        TLDEXTRACT_CACHE=str(root / "tldextract"),
        PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
    )
    port = free_port()
    log_path = root / "dagster-dev.log"
    # The README's way in: `wildchat-dagster ui` runs `dg dev` on 127.0.0.1.
    command = ["timeout", "--kill-after=10", str(SERVER_LIFETIME_S), str(venv_bin / "wildchat-dagster"), "ui"]
    command += ["--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = DagsterDev(url=f"http://127.0.0.1:{port}", data_dir=data_dir, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"dagster dev exited with {process.returncode}{server.log_tail()}"
            try:
                if requests.get(f"{server.url}/server_info", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (
                f"dagster dev not ready in {SERVER_START_TIMEOUT_S} s{server.log_tail()}"
            )
            time.sleep(0.5)
        yield server
    finally:
        stop_process_group(process)


ASSET_GRAPH_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    partitionDefinition { type fmt description }
    partitionKeys
    assetChecksOrError { __typename ... on AssetChecks { checks { name blocking } } }
  }
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            repositories { name jobs { name } schedules { name cronSchedule executionTimezone } }
          }
          ... on PythonError { message stack }
        }
      }
    }
  }
}
"""


def test_ui_serves_every_asset_with_partitions_checks_jobs_and_schedule(dagster_dev):
    data = dagster_dev.graphql(ASSET_GRAPH_QUERY)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert set(nodes) == set(MONTHLY_ASSETS + PUBLICATION_ASSETS), dagster_dev.log_tail()

    for name in MONTHLY_ASSETS:
        partitions = nodes[name]["partitionDefinition"]
        assert partitions and partitions["type"] == "TIME_WINDOW" and partitions["fmt"] == "%Y-%m", (name, partitions)
        assert "Monthly, starting 2023-04" in partitions["description"], partitions
        # The data folder holds past months only: the UI lists those, not every month to today.
        assert nodes[name]["partitionKeys"] == MONTHS, (name, nodes[name]["partitionKeys"])
    for name in PUBLICATION_ASSETS:
        assert nodes[name]["partitionDefinition"] is None, name
        assert nodes[name]["groupName"] == "publication", name

    checks = {}
    for name, node in nodes.items():
        result = node["assetChecksOrError"]
        assert result["__typename"] == "AssetChecks", (name, result)
        checks[name] = {c["name"]: c["blocking"] for c in result["checks"]}
    for name in PRIVACY_CHECKED:
        assert checks[name].get("no_raw_client_ips") is True, (
            f"{name} lacks the blocking no_raw_client_ips: {checks[name]}"
        )
    assert checks["deduplicated_conversations"].get("conservation") is True, checks["deduplicated_conversations"]

    entries = data["workspaceOrError"]["locationEntries"]
    assert [e["name"] for e in entries] == [LOCATION]
    location = entries[0]["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", f"{location}{dagster_dev.log_tail()}"
    jobs = {j["name"] for repo in location["repositories"] for j in repo["jobs"]}
    schedules = {s["name"]: s for repo in location["repositories"] for s in repo["schedules"]}
    assert {"monthly_pipeline", "publication"} <= jobs, jobs
    assert schedules["monthly_schedule"]["cronSchedule"] == "0 3 2 * *"
    assert schedules["monthly_schedule"]["executionTimezone"] == "UTC"


BACKFILL_STATUS = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      status
      error { message stack }
      runs { runId status tags { key value } }
    }
    ... on PythonError { message }
  }
}
"""
BACKFILLS = "{ partitionBackfillsOrError { ... on PartitionBackfills { results { id status isAssetBackfill } } } }"
TERMINAL_BACKFILL_STATUSES = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
MATERIALIZED_PARTITIONS = """
query ($partitions: [String!]) {
  assetNodes { assetKey { path } assetMaterializations(partitions: $partitions) { partition runId } }
}
"""
RUN_FAILURES = """
query ($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events { __typename ... on ExecutionStepFailureEvent { stepKey error { message stack } } }
    }
  }
}
"""


def failed_run_details(dagster_dev: DagsterDev, runs: list[dict]) -> str:
    details = []
    for run in runs:
        if run["status"] == "SUCCESS":
            continue
        events = dagster_dev.graphql(RUN_FAILURES, {"runId": run["runId"]})["logsForRun"].get("events", [])
        failures = [e for e in events if e["__typename"] == "ExecutionStepFailureEvent"]
        details.append(f"run {run['runId']} {run['status']}: " + "\n".join(
            f"{f['stepKey']}: {f['error']['message']}\n{''.join(f['error']['stack'])}" for f in failures
        ))
    return "\n".join(details)


def test_a_backfill_launched_by_clicking_in_the_ui_runs_through_the_daemon(dagster_dev):
    """Backfill every asset for two months the way a user does: Lineage → "Materialize all…" → a custom
    partition range → "Launch backfill". It is an asset backfill: linking a month reads raw logs of the
    next one, and the partition mapping makes it ingest both months before linking either; the
    unpartitioned publication assets run once, after the months."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.add_init_script(
                "localStorage.setItem('communityNux', '\"1\"'); localStorage.setItem('dagster-nav-collapsed', 'true')"
            )
            page.goto(f"{dagster_dev.url}/asset-groups", wait_until="domcontentloaded")
            page.get_by_role("button", name="Materialize all").click(timeout=60_000)
            dialog = page.get_by_role("dialog")
            every_asset = len(MONTHLY_ASSETS) + len(PUBLICATION_ASSETS)
            dialog.get_by_text(f"Launch runs to materialize {every_asset} assets").wait_for(timeout=30_000)
            partitions = dialog.get_by_placeholder("ex: ", exact=False)
            partitions.fill(f"[{MONTHS[0]}...{MONTHS[-1]}]")
            partitions.press("Enter")
            dialog.get_by_text(f"{len(MONTHS)} partitions").wait_for(timeout=10_000)
            dialog.get_by_role("button", name="Launch backfill").click()
            dialog.wait_for(
                state="hidden", timeout=120_000
            )  # the launch request; 30 s was too short beside a busy test worker
        finally:
            browser.close()

    backfills = dagster_dev.graphql(BACKFILLS)["partitionBackfillsOrError"]["results"]
    assert len(backfills) == 1 and backfills[0]["isAssetBackfill"], backfills
    launched = {"backfillId": backfills[0]["id"]}

    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    while True:
        backfill = dagster_dev.graphql(BACKFILL_STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        if backfill["status"] in TERMINAL_BACKFILL_STATUSES:
            break
        runs = [
            (r["status"], [t["value"] for t in r["tags"] if t["key"] == "dagster/partition"]) for r in backfill["runs"]
        ]
        assert time.monotonic() < deadline, (
            f"backfill still {backfill['status']} after {BACKFILL_TIMEOUT_S} s; runs {runs}{dagster_dev.log_tail()}"
        )
        time.sleep(3)

    runs = backfill["runs"]
    assert backfill["status"] == "COMPLETED_SUCCESS", (

            f"backfill {backfill['status']}: "
            f"{backfill['error']}\n{failed_run_details(dagster_dev, runs)}{dagster_dev.log_tail()}"

    )
    assert runs and all(r["status"] == "SUCCESS" for r in runs), failed_run_details(dagster_dev, runs)
    # One month per run (the backfill policy): each run names its month as a one-month range.
    run_partitions = {t["value"] for r in runs for t in r["tags"]
                      if t["key"] in ("dagster/partition", "dagster/asset_partition_range_start")}
    assert set(MONTHS) <= run_partitions, [r["tags"] for r in runs]

    materialized = dagster_dev.graphql(MATERIALIZED_PARTITIONS, {"partitions": MONTHS})["assetNodes"]
    by_asset = {
        "/".join(n["assetKey"]["path"]): {m["partition"] for m in n["assetMaterializations"]} for n in materialized
    }
    for name in MONTHLY_ASSETS:
        assert set(MONTHS) <= by_asset[name], f"{name} materialized for {sorted(by_asset[name])}, want {MONTHS}"

    for month in MONTHS:
        raw = dagster_dev.data_dir / "warehouse" / "raw_logs" / f"{month}.parquet"
        assert raw.exists(), f"{raw} missing{dagster_dev.log_tail()}"
        assert pq.read_metadata(raw).num_rows > 0
        conversations = pq.read_metadata(
            dagster_dev.data_dir / "warehouse" / "deduplicated_conversations" / f"{month}.parquet"
        ).num_rows
        assert conversations == 60, f"{month}: generated 60 conversations, found {conversations}"
        released = sum(
            pq.read_metadata(dagster_dev.data_dir / "release" / split / f"{month}.parquet").num_rows
            for split in ("nontoxic", "toxic")
        )
        # Conversations flagged sexual/minors are in neither split.
        assert 0 < released <= conversations, (month, released, conversations)
    for published in ("release/manifest.json", "reports/index.html", "wildchat.duckdb"):
        assert (dagster_dev.data_dir / published).exists(), f"{published} missing{dagster_dev.log_tail()}"


def test_report_plots_show_inline_on_the_asset_page(dagster_dev):
    """The backfill published the report: its asset page shows each plot's chart without a click."""
    from playwright.sync_api import sync_playwright

    assert (dagster_dev.data_dir / "reports" / "index.html").exists(), dagster_dev.log_tail()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 3000})
            page.add_init_script("localStorage.setItem('communityNux', '\"1\"')")
            page.goto(f"{dagster_dev.url}/assets/dataset_report", wait_until="domcontentloaded")
            page.get_by_text("plot: languages").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1_000)
            page.screenshot(path=str(ARTIFACTS / "dagster-ui-report-asset.png"))
            text = page.inner_text("body")
            for plot in (
                "languages",
                "countries",
                "turn_histogram",
                "model_shares",
                "monthly_volume",
                "monthly_toxicity",
            ):
                assert f"plot: {plot}" in text, text[:3000]
            assert "████" in text and "English" in text, text[:3000]  # rendered, not behind [Show Markdown]
        finally:
            browser.close()


def test_lineage_pages_render_in_a_browser(dagster_dev):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    lineage_png = ARTIFACTS / "dagster-ui-lineage.png"  # the README shows copies of both, in docs/
    group_png = ARTIFACTS / "dagster-ui-enrichment.png"
    expanded = ",".join(f"global@global:{group}" for group in GROUPS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 3000, "height": 2400})  # the whole lineage, every group expanded
            # Dismiss the community sign-up dialog and the navigation column before the app reads them.
            page.add_init_script(
                "localStorage.setItem('communityNux', '\"1\"'); localStorage.setItem('dagster-nav-collapsed', 'true')"
            )
            # The global asset lineage with every group expanded.
            page.goto(f"{dagster_dev.url}/asset-groups/?expanded={expanded}", wait_until="domcontentloaded")
            page.get_by_text("raw_logs", exact=True).first.wait_for(timeout=60_000)
            page.wait_for_timeout(2_000)  # let the graph layout settle before the picture
            page.screenshot(path=str(lineage_png))
            text = page.inner_text("body")
            # Long names are shortened at this zoom ("lin…_conversations"); these are shown whole.
            for name in [
                "Global asset lineage",
                *GROUPS,
                "raw_logs",
                "rejected_logs",
                "release_toxic",
                "monthly_stats",
                "duckdb_catalog",
            ]:
                assert name in text, f"{name!r} not on the lineage page:\n{text[:3000]}{dagster_dev.log_tail()}"

            # One group at full size: the backfilled assets with their checks and partitions.
            page.set_viewport_size({"width": 1800, "height": 1000})
            page.goto(
                f"{dagster_dev.url}/locations/__repository__@{LOCATION}/asset-groups/enrichment",
                wait_until="domcontentloaded",
            )
            page.get_by_text("geotagged_conversations", exact=True).first.wait_for(timeout=60_000)
            backfilled = (
                dagster_dev.data_dir / "warehouse" / "redacted_conversations" / f"{MONTHS[-1]}.parquet"
            ).exists()
            if backfilled:  # the backfill test ran first: wait for the check results to load
                page.get_by_text("Passed").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1_000)
            page.screenshot(path=str(group_png))
            text = page.inner_text("body")
            for name in [
                "geotagged_conversations",
                "language_tagged_conversations",
                "redacted_conversations",
                "Asset checks",
            ]:
                assert name in text, f"{name!r} not on the enrichment group page:\n{text[:3000]}"
            assert "Failed" not in text, text[:3000]
            if backfilled:
                assert "3 / 3 Passed" in text and "2 / 2 Passed" in text, text[:3000]
        finally:
            browser.close()
    assert lineage_png.stat().st_size > 20_000 and group_png.stat().st_size > 20_000


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_stops_the_ui_and_everything_it_started(dagster_dev):
    """Last in this module: SIGTERM to `wildchat-dagster ui` leaves no webserver, daemon or code server behind."""
    ui = next(pid for pid in _descendants(dagster_dev.process.pid)
              if b"wildchat-dagster" in Path(f"/proc/{pid}/cmdline").read_bytes())
    tree = _descendants(ui)
    names = b" ".join(Path(f"/proc/{pid}/cmdline").read_bytes() for pid in tree if _running(pid))
    assert b"dagster_webserver" in names and b"dagster._daemon" in names, names
    os.kill(ui, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while any(_running(pid) for pid in [ui, *tree]) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [pid for pid in [ui, *tree] if _running(pid)], dagster_dev.log_tail()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{dagster_dev.url}/server_info", timeout=5)
