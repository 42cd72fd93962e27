"""One table renderer for every table the project shows: asset metadata, report.md and index.html.

Rows are lists of cells; a DataFrame goes through `frame_rows` first, which
formats its cells for display (shares as percentages, counts with thousands
separators). Numeric columns are right-aligned in Markdown and HTML alike.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

EMPTY_CELL = "–"


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_columns(width: int, rows: Sequence[Sequence]) -> list[bool]:
    """A column is numeric when every non-empty cell in it is a number."""
    columns = []
    for i in range(width):
        cells = [row[i] for row in rows if i < len(row) and row[i] not in (None, "")]
        columns.append(bool(cells) and all(_is_number(c) for c in cells))
    return columns


def _markdown_cell(value) -> str:
    # One line per row and no stray column breaks, whatever the cell holds; a null is a dash, not "None".
    return EMPTY_CELL if value is None else str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], numeric: Sequence[bool] | None = None) -> str:
    """A GitHub-flavoured Markdown table; numeric columns are right-aligned."""
    numeric = list(numeric) if numeric is not None else _numeric_columns(len(header), rows)
    lines = ["| " + " | ".join(_markdown_cell(h) for h in header) + " |",
             "|" + "".join("---:|" if n else "---|" for n in numeric)]
    lines += ["| " + " | ".join(_markdown_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header: Sequence[str], rows: Sequence[Sequence], numeric: Sequence[bool] | None = None) -> str:
    """The same table as HTML (escaped), in a horizontally scrolling box."""
    numeric = list(numeric) if numeric is not None else _numeric_columns(len(header), rows)
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='{'num' if n else 'txt'}'>{html.escape(str(v))}</td>"
                         for v, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in rows
    )
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def counts_table(header: tuple[str, str], counts: dict, limit: int = 15) -> str:
    """The first `limit` entries of an (ordered) count dict, and how many more there are."""
    rows: list[list] = [[key, value] for key, value in list(counts.items())[:limit]] or [["none", 0]]
    if len(counts) > limit:
        rows.append([f"… {len(counts) - limit} more", ""])
    return markdown_table(list(header), rows)


# --- DataFrames -------------------------------------------------------------------


def display_cell(column: str, value) -> str:
    """A cell as display text: shares as percentages, counts with separators, missing as a dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return EMPTY_CELL
    if "share" in column or column.endswith("%"):
        return f"{100 * float(value):.1f}%"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def frame_rows(df: pd.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header (underscores as spaces), display rows and numeric flags of a DataFrame."""
    header = [str(c).replace("_", " ") for c in df.columns]
    columns = [[display_cell(str(c), v) for v in df[c].tolist()] for c in df.columns]
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else []
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    return header, rows, numeric


def frame_markdown(df: pd.DataFrame) -> str:
    return markdown_table(*frame_rows(df))


def frame_html(df: pd.DataFrame) -> str:
    return html_table(*frame_rows(df))


# --- charts as text -------------------------------------------------------------

BAR_WIDTH = 20


def bar_chart(header: tuple[str, str], rows: Sequence[tuple[str, float]], percent: bool = True,
              max_chars: int | None = None) -> str:
    """A horizontal bar chart as a Markdown table of Unicode blocks, bars scaled to the largest value.
    With `max_chars`, the last rows are dropped until the table fits (Dagster shows short Markdown inline)."""
    rows = list(rows)
    top = max((value for _, value in rows), default=0) or 1

    def row(label: str, value: float) -> list:
        bar = "█" * round(BAR_WIDTH * value / top) or ("▏" if value > 0 else "")
        return [label, bar, f"{100 * value:.1f}%" if percent else f"{value:,.0f}"]

    while True:
        text = markdown_table(
            [header[0], "", header[1]], [row(str(k), v) for k, v in rows], numeric=[False, False, True]
        )
        if max_chars is None or len(text) <= max_chars or len(rows) <= 1:
            return text
        rows = rows[:-1]
