"""The one table renderer: Markdown and HTML from the same rows, DataFrames formatted for display."""

from __future__ import annotations

import pandas as pd

from wildchat_dagster.core.reporting.tables import counts_table, frame_html, frame_markdown, markdown_table


def test_markdown_keeps_each_row_on_one_line_and_right_aligns_numbers():
    text = markdown_table(["name", "count"], [["a|b", 3], ["two\nlines", 12]])
    assert text.splitlines() == [
        "| name | count |",
        "|---|---:|",
        "| a\\|b | 3 |",
        "| two lines | 12 |",
    ]


def test_counts_table_says_how_many_entries_it_left_out():
    text = counts_table(("language", "turns"), {f"l{i}": 20 - i for i in range(20)}, limit=3)
    lines = text.splitlines()
    assert lines[1] == "|---|---:|"  # the "more" row's empty cell does not make the column text
    assert lines[2:] == ["| l0 | 20 |", "| l1 | 19 |", "| l2 | 18 |", "| … 17 more |  |"]
    assert counts_table(("k", "v"), {}).splitlines()[2] == "| none | 0 |"


def test_frames_render_shares_counts_and_gaps_the_same_in_markdown_and_html():
    df = pd.DataFrame({"month": ["2023-04", "<all>"], "user_share": [0.1234, None], "turns": [1234567, 8]})
    md = frame_markdown(df).splitlines()
    assert md[0] == "| month | user share | turns |"
    assert md[2] == "| 2023-04 | 12.3% | 1,234,567 |"
    assert md[3] == "| <all> | – | 8 |"
    page = frame_html(df)
    assert "<th>user share</th>" in page and "&lt;all&gt;" in page and "<all>" not in page
    assert "<td class='num'>1,234,567</td>" in page and "<td class='txt'>2023-04</td>" in page
