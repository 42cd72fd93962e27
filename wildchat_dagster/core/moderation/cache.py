"""A persistent cache of moderation results, shared by every month and process.

Moderating a text costs an API request or a model run, and the same texts come
back (re-materialized months, repeated prompts across months), so every result
is stored under (moderator, model/version, sha256 of the text). SQLite in WAL
mode lets parallel month runs read while one writes; each `put_many` is its own
committed transaction, so a crash loses nothing already stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

CACHE_FILE_NAME = "moderation.sqlite"
_BUSY_TIMEOUT_MS = 60_000
_QUERY_CHUNK = 500  # keys per SELECT, well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS moderation_results (
    moderator TEXT NOT NULL,
    version TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    result_json TEXT NOT NULL,
    stored_at REAL NOT NULL,
    PRIMARY KEY (moderator, version, text_sha256)
) WITHOUT ROWID
"""


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ModerationCache:
    """get_many/put_many over one SQLite file; safe across threads and processes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Owner-only before SQLite opens it (it creates files as the umask allows): it holds moderated texts' results.
        os.chmod(self.path.parent, 0o700)
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        self._lock = threading.Lock()
        # Autocommit mode: transactions are begun explicitly (BEGIN IMMEDIATE) in put_many.
        self._db = sqlite3.connect(
            self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._with_retry(lambda: self._db.execute("PRAGMA journal_mode = WAL"))
        # FULL: a committed batch survives a power cut too, not only a process crash.
        self._db.execute("PRAGMA synchronous = FULL")
        self._with_retry(lambda: self._db.execute(_SCHEMA))

    def get_many(
        self, moderator: str, version: str, texts: Sequence[str], digests: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """{text: result} for the texts already moderated by this moderator version (`digests`: their
        `text_sha256`, when the caller has them already)."""
        by_hash: dict[str, list[str]] = {}
        for text in texts:
            by_hash.setdefault(digests[text] if digests else text_sha256(text), []).append(text)
        found: dict[str, Any] = {}
        hashes = list(by_hash)
        with self._lock:
            for start in range(0, len(hashes), _QUERY_CHUNK):
                chunk = hashes[start : start + _QUERY_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    "SELECT text_sha256, result_json FROM moderation_results"
                    f" WHERE moderator = ? AND version = ? AND text_sha256 IN ({marks})",
                    [moderator, version, *chunk],
                ).fetchall()
                for digest, result_json in rows:
                    result = json.loads(result_json)
                    for text in by_hash[digest]:
                        found[text] = result
        return found

    def put_many(
        self, moderator: str, version: str, items: Iterable[tuple[str, Any]], digests: Mapping[str, str] | None = None
    ) -> int:
        """Store (text, result) pairs in one committed transaction; returns how many."""
        now = time.time()
        rows = [
            (moderator, version, digests[text] if digests else text_sha256(text), json.dumps(result), now)
            for text, result in items
        ]
        if not rows:
            return 0

        def write() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO moderation_results"
                    " (moderator, version, text_sha256, result_json, stored_at) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

        with self._lock:
            self._with_retry(write)
        return len(rows)

    def count(self, moderator: str | None = None) -> int:
        with self._lock:
            if moderator is None:
                return self._db.execute("SELECT count(*) FROM moderation_results").fetchone()[0]
            return self._db.execute(
                "SELECT count(*) FROM moderation_results WHERE moderator = ?", [moderator]
            ).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ModerationCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _with_retry(operation, attempts: int = 20):
        # busy_timeout covers ordinary lock waits; switching to WAL and creating the
        # table while another process does the same can still report "locked" at once.
        for attempt in range(attempts):
            try:
                return operation()
            except sqlite3.OperationalError as error:
                transient = "locked" in str(error) or "busy" in str(error)
                if not transient or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
