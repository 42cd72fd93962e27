"""Phrase search and filters over the explorer's index: results, counts and facets.

A query is one phrase (quotes inside it are taken literally); an empty query
lists the filtered conversations. Results are conversations, newest month
first (the index's order), each with a highlighted snippet of its first matching turn.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wildchat_dagster.core.explore.index import POSITION_BITS, searchable

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
FACETS = ("language", "country", "month")
FACET_ROWS = 12
FACET_SAMPLE = 10_000  # matches counted per facet; a larger result set is sampled evenly and scaled
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


def _where(query: Query) -> tuple[str, list]:
    clauses, params = [], []
    for name in EXACT_FILTERS:
        if name in query.filters:
            clauses.append(f"c.{name} = ?")
            params.append(query.filters[name])
    for name in FLAG_FILTERS:
        if name in query.filters:
            clauses.append(f"c.{name} = ?")
            params.append(int(query.filters[name].lower() == "true"))
    if query.min_turns:
        clauses.append("c.turn >= ?")
        params.append(query.min_turns)
    return (" AND ".join(clauses) or "1"), params


def _matches(query: Query) -> tuple[str, list]:
    """SQL for the matching conversations (id, first matching turn), filters applied."""
    where, params = _where(query)
    if not query.text:
        return f"SELECT c.id AS id, NULL AS turn FROM conversations c WHERE {where}", params
    hits = (f"SELECT rowid >> {POSITION_BITS} AS id, min(rowid) AS turn FROM turn_text "
            f"WHERE turn_text MATCH ? GROUP BY rowid >> {POSITION_BITS}")
    if where == "1":  # no filter: the hits are the answer, no conversation row needs reading
        return hits, [fts_phrase(query.text)]
    return (f"SELECT c.id AS id, h.turn AS turn FROM ({hits}) h JOIN conversations c ON c.id = h.id WHERE {where}",
            [fts_phrase(query.text), *params])


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
    facets_sampled: bool = False  # counts scaled from an even sample of a large result set

    def to_dict(self) -> dict:
        return asdict(self)


def connect(index: Path) -> sqlite3.Connection:
    """A read-only connection; the index is memory-mapped and temporary tables stay in memory."""
    con = sqlite3.connect(f"file:{index}?mode=ro", uri=True, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.executescript(f"PRAGMA temp_store=MEMORY; PRAGMA mmap_size={MMAP_BYTES}; PRAGMA cache_size=-131072;")
    return con


def search(con: sqlite3.Connection, query: Query) -> SearchResult:
    """The page of results, how many match (exactly), and the facets of everything that matches:
    counted exactly up to FACET_SAMPLE matches, above that from an even sample, scaled (`facets_sampled`)."""
    matches, params = _matches(query)
    con.execute("DROP TABLE IF EXISTS temp.hits")
    con.execute(f"CREATE TEMP TABLE hits AS {matches}", params)  # the phrase is looked up once
    try:
        total = con.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
        step = max(1, -(-total // FACET_SAMPLE))  # every step-th match: at most FACET_SAMPLE rows joined
        sample = (f"SELECT c.* FROM (SELECT id FROM temp.hits WHERE rowid % {step} = 0) h "
                  "JOIN conversations c ON c.id = h.id")
        facets = {
            name: [[value, n * step] for value, n in con.execute(
                f"SELECT coalesce({name}, '(none)') AS value, count(*) AS n FROM ({sample}) "
                f"GROUP BY value ORDER BY n DESC, value LIMIT {FACET_ROWS}")]
            for name in FACETS
        }
        page = con.execute("SELECT id, turn FROM temp.hits ORDER BY id LIMIT ? OFFSET ?",
                           [query.page_size, (query.page - 1) * query.page_size]).fetchall()
        results = [_result(con, conversation, hit, query.text) for conversation, hit in page]
    finally:
        con.execute("DROP TABLE IF EXISTS temp.hits")
    return SearchResult(total, query.page, query.page_size, results, facets, facets_sampled=step > 1)


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


def locate(con: sqlite3.Connection, key: str) -> list[dict]:
    """Where the conversations a conversation_hash or turn_identifier names are published."""
    key = key.strip()
    if re.fullmatch(r"[0-9a-f]{32}", key):
        rows = con.execute("SELECT * FROM conversations WHERE conversation_hash = ? ORDER BY id", [key])
    elif re.fullmatch(r"-?[0-9]{1,19}", key):
        rows = con.execute("SELECT DISTINCT c.* FROM turns t JOIN conversations c ON c.id = t.conversation "
                           "WHERE t.turn_identifier = ? ORDER BY c.id", [int(key)])
    else:
        raise BadQuery(f"{key!r}: expected a conversation_hash (32 hex digits) or a turn_identifier (a number)")
    return [dict(row) for row in rows]
