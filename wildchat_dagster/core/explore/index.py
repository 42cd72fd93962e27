"""The explorer's search index: published turns in SQLite FTS5, kept beside the catalog.

DuckDB's full-text extension cannot be installed offline, so the explorer keeps
its own index, built from the published release files only (never a warehouse
stage: no raw IP, no unredacted text). One row per published conversation with
its filter fields and where it lives (file, row), one row per turn, and a
contentless FTS5 table over the turns' text. Chinese and Japanese have no
spaces between words, so their characters are indexed one by one (and a query
is cut the same way): a phrase search then finds any run of characters.

The index records the fingerprint of the files it was built from and is
rebuilt, into a temporary file renamed over the old one, when they change.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from wildchat_dagster.core.storage.layout import DERIVED, DataLayout, StoragePath

INDEX_FILE = "explore.sqlite"
INDEX_VERSION = "1"  # bump when the tables below change
BATCH_ROWS = 1_000
POSITION_BITS = 16  # a turn's id is its conversation's id, then its position: the FTS rowid names both
MAX_UTTERANCES = 1 << POSITION_BITS
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
FILTER_COLUMNS = ("month", "split", "model", "language", "country", "state", "hashed_ip", "conversation_hash")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY, conversation_hash TEXT, month TEXT NOT NULL, split TEXT NOT NULL, model TEXT,
    language TEXT, country TEXT, state TEXT, toxic INTEGER, redacted INTEGER, turn INTEGER,
    hashed_ip TEXT, timestamp TEXT, file TEXT NOT NULL, file_row INTEGER NOT NULL);
CREATE TABLE turns (
    id INTEGER PRIMARY KEY, conversation INTEGER NOT NULL, position INTEGER NOT NULL, role TEXT,
    turn_identifier INTEGER, content TEXT);
CREATE VIRTUAL TABLE turn_text USING fts5(content, content='', tokenize='unicode61 remove_diacritics 2');
"""
INDEXES = [f"CREATE INDEX conversations_{c} ON conversations({c})" for c in FILTER_COLUMNS] + [
    "CREATE INDEX turns_conversation ON turns(conversation)",
    "CREATE INDEX turns_turn_identifier ON turns(turn_identifier)",
]


def turn_id(conversation: int, position: int) -> int:
    return (conversation << POSITION_BITS) | position


def searchable(text: str) -> str:
    """Text as the index tokenizes it: CJK characters stand apart."""
    return CJK_RUN.sub(lambda run: " " + " ".join(run.group()) + " ", text)


@dataclass(frozen=True)
class PublishedFile:
    split: str
    month: str
    path: StoragePath
    name: str  # relative to the data root


def published_files(layout: DataLayout) -> list[PublishedFile]:
    """Every published month file, in a stable order: each folder of release/ is a split
    (nontoxic, toxic, and any other the release publishes), derived down-samples left out."""
    files = []
    folders = sorted(p for p in layout.release_dir.iterdir() if p.is_dir()) if layout.release_dir.is_dir() else []
    for folder in folders:
        if folder.name == DERIVED:
            continue
        for path in sorted(folder.glob("*.parquet"), key=lambda p: p.name):
            files.append(PublishedFile(folder.name, path.name.removesuffix(".parquet"), path, layout.relative(path)))
    # Newest month first: conversation ids then follow the order results are shown in.
    return sorted(files, key=lambda f: (f.month, f.split), reverse=True)


def release_fingerprint(files: list[PublishedFile]) -> str:
    """Names, sizes and modification stamps of the published files: cheap, and changes with any republish."""
    parts = []
    for file in files:
        info = file.path.stat() if hasattr(file.path, "stat") else None
        stamp = getattr(info, "st_mtime_ns", None) or getattr(info, "st_mtime", "")
        parts.append(f"{file.name}:{getattr(info, 'st_size', '')}:{stamp}")
    return hashlib.sha256("\n".join([INDEX_VERSION, *parts]).encode()).hexdigest()[:24]


def _rows(file: PublishedFile) -> Iterator[tuple[int, dict]]:
    columns = ["conversation_hash", "model", "timestamp", "conversation", "turn", "language",
               "toxic", "redacted", "state", "country", "hashed_ip"]
    with file.path.open("rb") as handle:
        parquet = pq.ParquetFile(handle)
        row = 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            for record in batch.to_pylist():
                yield row, record
                row += 1


def _insert_file(con: sqlite3.Connection, file: PublishedFile, next_id: int, next_turn: int) -> tuple[int, int]:
    for row, record in _rows(file):
        stamp = record["timestamp"]
        con.execute(
            "INSERT INTO conversations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (next_id, record["conversation_hash"], file.month, file.split, record["model"], record["language"],
             record["country"], record["state"], int(bool(record["toxic"])), int(bool(record["redacted"])),
             record["turn"], record["hashed_ip"], stamp.isoformat() if stamp else None, file.name, row),
        )
        turns = [(turn_id(next_id, i), next_id, i, u["role"], u["turn_identifier"], u["content"] or "")
                 for i, u in enumerate((record["conversation"] or [])[:MAX_UTTERANCES])]
        con.executemany("INSERT INTO turns VALUES (?,?,?,?,?,?)", turns)
        con.executemany("INSERT INTO turn_text(rowid, content) VALUES (?,?)",
                        [(t[0], searchable(t[5])) for t in turns])
        next_id += 1
        next_turn += len(turns)
    return next_id, next_turn


def build_index(path: Path, files: list[PublishedFile], fingerprint: str) -> dict:
    """Write a fresh index of `files` to `path` (atomically); returns what it holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".explore-", suffix=".sqlite", dir=path.parent)
    os.close(fd)
    try:
        con = sqlite3.connect(temp)
        con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;" + SCHEMA)
        next_id = next_turn = 0
        with con:
            for file in files:
                next_id, next_turn = _insert_file(con, file, next_id, next_turn)
            for statement in INDEXES:
                con.execute(statement)
            con.execute("INSERT INTO turn_text(turn_text) VALUES ('optimize')")
            summary = {"conversations": next_id, "turns": next_turn, "files": [f.name for f in files]}
            con.executemany("INSERT INTO meta VALUES (?,?)",
                            [("fingerprint", fingerprint), ("summary", json.dumps(summary))])
        con.execute("ANALYZE")
        con.close()
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return summary


def indexed_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def ensure_index(layout: DataLayout) -> tuple[Path, bool]:
    """The index for what is published now, built only when the published files changed
    (True when it was built)."""
    path = layout.local / INDEX_FILE
    files = published_files(layout)
    if not files:
        raise FileNotFoundError(f"nothing is published under {layout.release_dir}: run the pipeline first")
    fingerprint = release_fingerprint(files)
    if indexed_fingerprint(path) == fingerprint:
        return path, False
    build_index(path, files, fingerprint)
    return path, True
