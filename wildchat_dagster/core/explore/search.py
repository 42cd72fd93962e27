"""Phrase search and filters over the explorer's index: results, counts and facets.

A query is one phrase (quotes inside it are taken literally); an empty query
lists the filtered conversations. Results are conversations, newest month
first (the index's order), each with a highlighted snippet of its first matching turn.
SQLite FTS5 finds a phrase's turns; filters and facets are computed over the
in-memory filter columns (`columns.py`), so counts and facets are exact.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from wildchat_dagster.core.explore.columns import FilterColumns
from wildchat_dagster.core.explore.index import POSITION_BITS, searchable

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
FACETS = ("language", "country", "month")
FACET_ROWS = 12
RECENT_MATCHES = 8_000_000  # conversation ids kept for recent phrases (16 bytes each with their turn)
MMAP_BYTES = 8 << 30  # the whole index of a large release: pages come from the OS cache, not read() calls
SNIPPET_CHARS = 240
EXACT_FILTERS = ("month", "split", "model", "language", "country", "state", "hashed_ip", "conversation_hash")
FLAG_FILTERS = ("toxic", "redacted")


class BadQuery(ValueError):
    """A filter value the explorer cannot use (said back to the user)."""


@dataclass
class Query:
    text: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    min_turns: int | None = None
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_params(cls, params: dict[str, str]) -> Query:
        """From URL parameters (the page's shareable address and /api/search alike)."""
        filters = {k: params[k].strip() for k in EXACT_FILTERS + FLAG_FILTERS if params.get(k, "").strip()}
        for flag in FLAG_FILTERS:
            if flag in filters and filters[flag].lower() not in ("true", "false"):
                raise BadQuery(f"{flag}={filters[flag]!r}: expected true or false")
        return cls(
            text=params.get("q", "").strip(),
            filters=filters,
            min_turns=_whole(params, "min_turns", 1, None),
            page=_whole(params, "page", 1, 1),
            page_size=min(_whole(params, "page_size", 1, PAGE_SIZE), MAX_PAGE_SIZE),
        )


def _whole(params: dict[str, str], name: str, least: int, default: int | None) -> int | None:
    value = params.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < least:
        raise BadQuery(f"{name}={value!r}: expected a whole number of at least {least}")
    return int(value)


def fts_phrase(text: str) -> str:
    """The FTS5 expression for one literal phrase."""
    return '"' + searchable(text).replace('"', '""') + '"'


def snippet(content: str, phrase: str, width: int = SNIPPET_CHARS) -> str:
    """HTML: the text around the phrase's first occurrence, the phrase in <mark>."""
    words = [re.escape(w) for w in phrase.split()]
    found = re.search(r"\s*".join(words), content, re.IGNORECASE) if words else None
    if not found:
        return html.escape(content[:width]) + ("…" if len(content) > width else "")
    start = max(0, found.start() - width // 3)
    end = min(len(content), max(found.end(), start + width))
    return (("…" if start else "") + html.escape(content[start:found.start()])
            + "<mark>" + html.escape(found.group(0)) + "</mark>"
            + html.escape(content[found.end():end]) + ("…" if end < len(content) else ""))


@dataclass
class SearchResult:
    total: int
    page: int
    page_size: int
    results: list[dict]
    facets: dict[str, list[list]]

    def to_dict(self) -> dict:
        return asdict(self)


class ExploreIndex:
    """A read-only connection to the index, the conversations' filter columns in memory, and the
    matches of recent phrases (paging through results, or adding a filter, reuses them)."""

    def __init__(self, index: Path):
        # Memory-mapped: pages come from the OS cache; temporary tables stay in memory.
        self.con = sqlite3.connect(f"file:{index}?mode=ro", uri=True, check_same_thread=False)
        self.con.row_factory = sqlite3.Row
        self.con.executescript(f"PRAGMA temp_store=MEMORY; PRAGMA mmap_size={MMAP_BYTES}; PRAGMA cache_size=-131072;")
        self.columns = FilterColumns.load(self.con)
        self._recent: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def execute(self, sql: str, params: list | tuple = ()) -> sqlite3.Cursor:
        return self.con.execute(sql, params)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ExploreIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def phrase_matches(self, phrase: str) -> tuple[np.ndarray, np.ndarray]:
        """(conversation ids, the first matching turn's id of each), ids ascending: the index's order."""
        expression = fts_phrase(phrase)
        if expression in self._recent:
            self._recent.move_to_end(expression)
            return self._recent[expression]
        cursor = self.con.cursor()
        cursor.row_factory = None  # plain tuples: a Row object per match costs 4x the lookup itself
        rowids = np.fromiter((r for (r,) in cursor.execute(
            "SELECT rowid FROM turn_text WHERE turn_text MATCH ? ORDER BY rowid", [expression])), dtype=np.int64)
        ids, first = np.unique(rowids >> POSITION_BITS, return_index=True)
        self._recent[expression] = found = (ids, rowids[first])
        while len(self._recent) > 1 and sum(len(i) for i, _ in self._recent.values()) > RECENT_MATCHES:
            self._recent.popitem(last=False)
        return found


def connect(index: Path) -> ExploreIndex:
    return ExploreIndex(index)


def search(explorer: ExploreIndex, query: Query) -> SearchResult:
    """The page of results, how many match, and the facets of everything that matches (all exact)."""
    columns = explorer.columns
    wanted = columns.matching(explorer.con, query.filters, query.min_turns)
    turns = None
    if query.text:
        ids, turns = explorer.phrase_matches(query.text)
        if wanted is not None:
            keep = wanted[ids]
            ids, turns = ids[keep], turns[keep]
    else:
        ids = np.arange(columns.size) if wanted is None else np.flatnonzero(wanted)
    facets = {name: columns.facet(name, ids, FACET_ROWS) for name in FACETS}
    start = (query.page - 1) * query.page_size
    page = range(start, min(len(ids), start + query.page_size))
    results = [_result(explorer.con, int(ids[i]), None if turns is None else int(turns[i]), query.text) for i in page]
    return SearchResult(len(ids), query.page, query.page_size, results, facets)


def _result(con: sqlite3.Connection, conversation: int, hit: int | None, phrase: str) -> dict:
    """One result: the conversation's fields and a snippet of its first matching (or first) turn."""
    row = con.execute("SELECT * FROM conversations WHERE id = ?", [conversation]).fetchone()
    turn = con.execute("SELECT role, content FROM turns WHERE id = ?",
                       [hit if hit is not None else conversation << POSITION_BITS]).fetchone()
    # sqlite3.Row iterates over values, not names: keys() is needed
    item = {k: row[k] for k in row.keys() if k not in ("file", "file_row", "id")}  # noqa: SIM118
    item["toxic"], item["redacted"] = bool(item["toxic"]), bool(item["redacted"])
    item["snippet_role"] = turn["role"] if turn else None
    item["snippet"] = snippet(turn["content"], phrase) if turn else ""
    return item


def locate(explorer: ExploreIndex, key: str) -> list[dict]:
    """Where the conversations a conversation_hash or turn_identifier names are published."""
    con, key = explorer.con, key.strip()
    if re.fullmatch(r"[0-9a-f]{32}", key):
        rows = con.execute("SELECT * FROM conversations WHERE conversation_hash = ? ORDER BY id", [key])
    elif re.fullmatch(r"-?[0-9]{1,19}", key):
        rows = con.execute("SELECT DISTINCT c.* FROM turns t JOIN conversations c ON c.id = t.conversation "
                           "WHERE t.turn_identifier = ? ORDER BY c.id", [int(key)])
    else:
        raise BadQuery(f"{key!r}: expected a conversation_hash (32 hex digits) or a turn_identifier (a number)")
    return [dict(row) for row in rows]
