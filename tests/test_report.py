"""The dataset report: files, figures for a known input, Dagster metadata, and a real browser render."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import dagster as dg
import pandas as pd
import pytest
from test_statistics import APRIL, MAY, build_known_release

from wildchat_dagster.assets.publication.reports import dataset_report
from wildchat_dagster.core.reporting.report import known_states, openai_categories_note, report_sections, write_report
from wildchat_dagster.core.reporting.statistics import compute_statistics, release_sources
from wildchat_dagster.core.reporting.tables import bar_chart
from wildchat_dagster.core.reporting.tokens import cl100k_token_counter
from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.resources.moderation_policy import ModerationPolicyResource
from wildchat_dagster.resources.warehouse import WarehouseResource

from conftest import ARTIFACTS

PLOTS = {"languages", "countries", "turn_histogram", "model_shares", "monthly_volume", "monthly_toxicity"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def report(data_dir):
    build_known_release(data_dir)
    tables = compute_statistics(release_sources(Warehouse(data_dir).layout, [APRIL, MAY]))
    return write_report(
        tables, data_dir / "reports", tokenizer=cl100k_token_counter().name, facts={"months": "2023-04, 2023-05"}
    )


def test_report_files_hold_the_known_figures(report):
    page = report.index_html.read_text()
    markdown = report.report_md.read_text()
    assert set(report.plots) == PLOTS
    for path in report.plots.values():
        assert path.parent == report.index_html.parent and path.read_bytes().startswith(b"\x89PNG")
        assert f"]({path.name})" in markdown
    assert page.count("src='data:image/png;base64,") == len(PLOTS)
    assert "src='http" not in page and "<link" not in page  # self-contained
    for text in (page, markdown):
        assert "Table 1: basic statistics" in text and "Table 6: moderation" in text
        assert "85.7%" in text  # English share of user utterances, 6 of 7
        assert "1.75" in text  # mean rounds per conversation overall
        assert "66.7%" in text  # April's toxic share, 2 of 3
        assert "cl100k_base" in text
        assert "EMAIL_ADDRESS" in text and "harassment/threatening" in text
    assert "| all | 4 | 2 | 2 | 0 | 7 | 3 | 1.75 | 50.0% |" in markdown  # the third column: held unscreened
    assert "| month | conversations | nontoxic | toxic | unscreened | rounds | users | mean rounds |" in markdown
    assert "| month | conversations | redacted conversations | utterances | redacted utterances |" in markdown


def test_report_says_why_a_table_is_empty_and_how_much_is_unknown(data_dir):
    build_known_release(data_dir)
    tables = compute_statistics(release_sources(Warehouse(data_dir).layout, [APRIL, MAY]))
    sections = {s.title: s for s in report_sections(tables)}
    states = sections["Top states"]
    # 4 conversations with a country; the known release has no unknown state.
    assert "known for 100.0% and unknown for 0.0%" in states.note
    assert "(unknown)" not in set(states.table["state"])
    assert sections["Flagged user utterances by OpenAI category"].note.startswith("Share of OpenAI-flagged")

    no_state = tables["states"].assign(state="(unknown)")
    unknown = known_states(pd.concat([tables["states"], no_state], ignore_index=True))
    assert "known for 50.0% and unknown for 50.0%" in unknown[1]
    assert unknown[0]["share_of_known_states"].sum() == pytest.approx(1.0)

    no_openai = {**tables, "moderation": tables["moderation"].assign(openai_scored=0),
                 "flagged_categories": tables["flagged_categories"].iloc[0:0]}
    assert openai_categories_note(no_openai).startswith("OpenAI moderation did not run for these months")
    ran_clean = {**tables, "flagged_categories": tables["flagged_categories"].iloc[0:0]}
    assert openai_categories_note(ran_clean) == "OpenAI moderation ran and flagged no user utterance."


def test_dataset_report_asset_attaches_plots_to_metadata(data_dir):
    build_known_release(data_dir)
    resources = {
        "warehouse": WarehouseResource(data_dir=str(data_dir)),
        "moderation_policy": ModerationPolicyResource(),
    }
    result = dg.materialize([dataset_report], resources=resources)
    assert result.success
    metadata = result.asset_materializations_for_node("dataset_report")[0].metadata
    assert metadata["index_html"].value == str(data_dir / "reports" / "index.html")
    assert metadata["plots"].value.count("](data:image/png;base64,") == len(PLOTS)
    # Each plot also as a chart short enough for the asset page to show inline, without a click.
    charts = {k.removeprefix("plot: "): v.value for k, v in metadata.items() if k.startswith("plot: ")}
    assert set(charts) == PLOTS
    assert all(len(chart) < 1000 and "█" in chart for chart in charts.values())
    assert "| English | ████████████████████ | 85.7% |" in charts["languages"]  # the largest bar is full width
    assert metadata["months"].value == "2023-04, 2023-05"
    assert metadata["conversations"].value == 4
    assert (data_dir / "reports" / "report.md").exists()


def test_report_renders_in_headless_chromium(report):
    if shutil.which("chromium") is None and not __import__("os").path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(report.index_html.parent))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html", wait_until="load")
            loaded = page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
            cells = page.locator("td").all_inner_texts()
            headings = page.locator("h2").all_inner_texts()
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert loaded == len(PLOTS)
    assert "85.7%" in cells and "United States" in cells
    assert "Table 3: countries" in headings and "Table 5: languages" in headings
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_bar_charts_fit_the_inline_limit_by_dropping_the_smallest_rows():
    rows = [(f"language {i}", 1 / (i + 1)) for i in range(40)]
    chart = bar_chart(("language", "share"), rows, max_chars=999)
    assert len(chart) <= 999 and "| language 0 | ████████████████████ | 100.0% |" in chart
    assert "language 39" not in chart
    assert bar_chart(("month", "conversations"), [("2023-04", 1200), ("2023-05", 600)], percent=False).splitlines()[
        2:
    ] == ["| 2023-04 | ████████████████████ | 1,200 |", "| 2023-05 | ██████████ | 600 |"]
