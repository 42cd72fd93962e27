"""The release explorer: its index, search and conversation API, and the page in a real browser."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests
from starlette.testclient import TestClient

from wildchat_dagster.cli.explorer.server import create_app
from wildchat_dagster.cli.runner import run_months
from wildchat_dagster.core.explore.index import ensure_index
from wildchat_dagster.core.explore.search import Query, connect, search
from wildchat_dagster.core.ingestion.import_release import import_files
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.kit.synthetic.release_rows import write_release

from conftest import ARTIFACTS, REPO, use_embedded_defaults

MONTHS = ["2023-04", "2023-05"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> DataLayout:
    layout = DataLayout(tmp_path_factory.mktemp("explore") / "data")
    write_release(layout, MONTHS, 150, seed=3)
    return layout


def _published(layout: DataLayout) -> list[dict]:
    rows = []
    for path in sorted(layout.release_dir.glob("*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            rows.append({**row, "split": path.parent.name, "month": path.stem})
    return rows


def _phrase_of(row: dict, words: int = 3) -> str:
    """The first run of `words` consecutive plain words in the conversation."""
    for turn in row["conversation"]:
        split = turn["content"].split()
        for start in range(len(split) - words + 1):
            if all(w.isalpha() for w in split[start:start + words]):
                return " ".join(split[start:start + words])
    raise AssertionError("no turn with words")


def test_index_is_built_once_and_rebuilt_when_the_release_changes(release):
    path, built = ensure_index(release)
    assert built and path.parent == release.local and oct(path.stat().st_mode & 0o777) == "0o600"
    assert ensure_index(release) == (path, False)
    published = next(release.release_dir.glob("nontoxic/*.parquet"))
    table = pq.read_table(published)
    pq.write_table(table.slice(0, table.num_rows - 1), published)  # a republish with one row fewer
    assert ensure_index(release)[1] is True
    total = search(connect(path), Query()).total
    assert total == len(_published(release))


def test_phrase_search_finds_the_conversation_and_filters_narrow_it(release):
    con = connect(ensure_index(release)[0])
    rows = _published(release)
    target = next(r for r in rows if r["language"] == "English" and r["turn"] >= 2)
    phrase = _phrase_of(target)
    found = search(con, Query(text=phrase, page_size=100))
    assert target["conversation_hash"] in {r["conversation_hash"] for r in found.results} or found.total > 100
    expected = {r["conversation_hash"] for r in rows
                if any(re.search(r"\s+".join(map(re.escape, phrase.split())), t["content"], re.IGNORECASE)
                       for t in r["conversation"])}
    assert found.total == len(expected)
    assert all("<mark>" in r["snippet"] for r in found.results)
    assert sum(n for _, n in found.facets["language"]) == found.total

    english = search(con, Query(text=phrase, filters={"language": "English", "toxic": "false"}, min_turns=2))
    assert 0 < english.total <= found.total
    assert all(r["language"] == "English" and not r["toxic"] and r["turn"] >= 2 for r in english.results)

    listing = search(con, Query(filters={"month": "2023-05"}, page_size=7))
    assert listing.total == sum(r["month"] == "2023-05" for r in rows)
    second = search(con, Query(filters={"month": "2023-05"}, page=2, page_size=7))
    assert not {r["conversation_hash"] for r in listing.results} & {r["conversation_hash"] for r in second.results}


def test_text_without_spaces_is_found_by_any_run_of_characters(release):
    con = connect(ensure_index(release)[0])
    chinese = next(r for r in _published(release) if r["language"] == "Chinese")
    text = chinese["conversation"][0]["content"]
    run = re.search(r"[\u4e00-\u9fff]{4,}", text).group()
    piece = run[1:4]  # three characters from inside a run: no word boundary at either end
    found = search(con, Query(text=piece, filters={"conversation_hash": chinese["conversation_hash"]}))
    assert found.total == 1 and f"<mark>{piece}</mark>" in found.results[0]["snippet"]


def test_api_serves_published_conversations_by_hash_or_turn_identifier(release):
    index, _ = ensure_index(release)
    client = TestClient(create_app(release, index))
    row = _published(release)[5]
    by_hash = client.get(f"/api/conversation/{row['conversation_hash']}")
    assert by_hash.status_code == 200
    (conversation,) = [c for c in by_hash.json()["conversations"] if c["split"] == row["split"]]
    assert [(t["role"], t["content"]) for t in conversation["turns"]] == [
        (t["role"], t["content"]) for t in row["conversation"]]
    assert conversation["split_reason"].startswith(row["split"])
    identifier = row["conversation"][0]["turn_identifier"]
    assert client.get(f"/api/conversation/{identifier}").json()["conversations"][0]["conversation_hash"] == \
        row["conversation_hash"]
    assert "account" not in by_hash.json()  # explain's account is for operators only
    assert client.get("/api/conversation/" + "0" * 32).status_code == 404
    assert client.get("/api/conversation/not-a-key").status_code == 400
    bad = client.get("/api/search", params={"min_turns": "many"})
    assert bad.status_code == 400 and "min_turns" in bad.json()["error"]
    page = client.get("/")
    assert page.status_code == 200 and "http://" not in page.text.replace("http://127.0.0.1", "")
    assert "default-src 'self'" in page.headers["content-security-policy"]


@pytest.fixture(scope="module")
def real_release(tmp_path_factory, real_wildchat):
    """The five full-schema WildChat-1M rows through the whole pipeline, as a user's release."""
    root = tmp_path_factory.mktemp("explore-real") / "data"
    root.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        use_embedded_defaults(mp, root)
        import_files([real_wildchat / "wildchat1m_fullschema_5rows.jsonl"], root)
        outcomes = run_months(["2023-04"], None, root)
    assert all(o.ok for o in outcomes)
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_explorer_in_a_browser_on_a_pipeline_release(real_release):
    from playwright.sync_api import sync_playwright

    rows = _published(DataLayout(real_release))
    target = next(r for r in rows if r["language"] == "English")
    phrase = _phrase_of(target)
    port = _free_port()
    env = {**os.environ, "WILDCHAT_DATA_DIR": str(real_release)}
    # `timeout` stops the server even if pytest itself is killed.
    server = subprocess.Popen(["timeout", "300", sys.executable, "-m", "wildchat_dagster.cli", "explore", "--port",
                               str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/api/health", timeout=1)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(base + "/", wait_until="domcontentloaded")
                page.locator("#count").wait_for(timeout=30_000)
                assert f"{len(rows)} conversations match" in page.inner_text("#count")
                page.fill("#q", phrase)
                page.fill("#language", "English")
                page.click("#search")
                page.wait_for_url(re.compile(r"language=English"), timeout=30_000)
                page.locator(".result").first.wait_for(timeout=30_000)
                results = page.locator(".result")
                hashes = [results.nth(i).locator("a.open").inner_text() for i in range(results.count())]
                assert target["conversation_hash"] in hashes
                assert all("English" in results.nth(i).inner_text() for i in range(results.count()))
                assert page.locator(".result mark").count() >= 1
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "explorer-search.png"))  # the README shows a copy, in docs/

                shared = page.url  # a shareable address: the same search in a fresh page
                other = browser.new_page()
                other.goto(shared, wait_until="domcontentloaded")
                other.locator(".result").first.wait_for(timeout=30_000)
                assert other.input_value("#q") == phrase and other.locator(".result").count() == len(hashes)

                page.click(f"a.open:text('{target['conversation_hash']}')")
                page.wait_for_url(f"**/conversation/{target['conversation_hash']}", timeout=30_000)
                page.locator(".turn").first.wait_for(timeout=30_000)
                assert page.locator(".turn").count() == len(target["conversation"])
                shown = page.inner_text(".conversation")
                assert target["conversation"][0]["content"].split("\n")[0][:60] in shown
                assert "Why here:" in shown
                page.screenshot(path=str(ARTIFACTS / "explorer-conversation.png"))
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.slow
def test_api_never_serves_warehouse_fields(real_release):
    index, _ = ensure_index(DataLayout(real_release))
    client = TestClient(create_app(DataLayout(real_release), index))
    hashes = [r["conversation_hash"] for r in _published(DataLayout(real_release))]
    body = json.dumps([client.get(f"/api/conversation/{h}").json() for h in hashes])
    body += json.dumps(client.get("/api/search").json())
    for field in ('"ip"', "log_id", "conversation_id", "profanity_score", "openai_moderation_raw"):
        assert field not in body
    assert Path(index).parent == Path(real_release)


def test_counts_and_facets_are_exact_for_every_match_and_every_filter(release):
    """Filters and facets come from the in-memory columns: checked against the published rows."""
    con = connect(ensure_index(release)[0])
    rows = _published(release)
    for query, keep in [
        (Query(), lambda r: True),
        (Query(filters={"language": "English"}), lambda r: r["language"] == "English"),
        (Query(filters={"toxic": "true"}, min_turns=2), lambda r: r["toxic"] and r["turn"] >= 2),
        (Query(filters={"month": "2023-05", "split": "nontoxic"}), lambda r: r["month"] == "2023-05"
         and r["split"] == "nontoxic"),
        (Query(filters={"country": "no such country"}), lambda r: False),
        (Query(filters={"hashed_ip": rows[7]["hashed_ip"], "redacted": "false"}),
         lambda r: r["hashed_ip"] == rows[7]["hashed_ip"] and not r["redacted"]),
    ]:
        expected = [r for r in rows if keep(r)]
        found = search(con, query)
        assert found.total == len(expected), query
        counts = {}
        for r in expected:
            counts[r["language"] or "(none)"] = counts.get(r["language"] or "(none)", 0) + 1
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:12]
        assert [tuple(pair) for pair in found.facets["language"]] == top, query
    # A phrase's matches are reused when the next page or a filter is asked for: the same answers.
    phrase = _phrase_of(rows[0], 2)
    first = search(con, Query(text=phrase, page_size=5))
    again = search(con, Query(text=phrase, page=2, page_size=5))
    fresh = search(connect(ensure_index(release)[0]), Query(text=phrase, page=2, page_size=5))
    assert again.results == fresh.results and again.total == first.total == fresh.total


def test_bench_explore_times_the_searches_over_an_existing_release(release):
    from click.testing import CliRunner

    from wildchat_dagster.cli import main

    ensure_index(release)
    result = CliRunner().invoke(main, ["bench", "explore", "--release-dir", str(release.root)])
    assert result.exit_code == 0, result.output
    assert f"explore: {len(_published(release)):,} conversations" in result.output
    assert "index up to date" in result.output
    for kind in ("phrase", "phrase + filter", "filters only", "page 3"):
        assert re.search(rf"^  {re.escape(kind)} +\d+ queries: p50 [\d.]+ ms, p95 [\d.]+ ms", result.output, re.M)
