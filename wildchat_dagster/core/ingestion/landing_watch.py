"""Which landing months are ready to ingest: their files changed and then stopped changing.

A log shipper writes `landing/<YYYY-MM>/*.jsonl[.gz]` while the pipeline
watches. A file is stable when its size and mtime are the same in two
evaluations in a row, so a gzip still being written is never read half-way.
A month is ready when a file in it was added, changed or removed since it was
last requested and every file in it is stable. The watch state is plain JSON
(a Dagster sensor cursor), so nothing is requested twice across restarts.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

LANDING_SUFFIXES = (".jsonl", ".jsonl.gz")
MONTH_FOLDER = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

FileState = list[int]  # [size in bytes, mtime in ns]; a list so it survives a JSON round trip


def landing_snapshot(landing: Path) -> dict[str, FileState]:
    """'YYYY-MM/name' -> [size, mtime_ns] of every landing file now on disk."""
    snapshot: dict[str, FileState] = {}
    if not landing.is_dir():
        return snapshot
    for folder in landing.iterdir():
        if not (folder.is_dir() and MONTH_FOLDER.match(folder.name)):
            continue
        for path in folder.iterdir():
            if path.name.endswith(LANDING_SUFFIXES) and not path.name.startswith("."):
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed between listing and stat
                    continue
                snapshot[f"{folder.name}/{path.name}"] = [stat.st_size, stat.st_mtime_ns]
    return snapshot


def month_of_file(key: str) -> str:
    return key.split("/", 1)[0]


def month_version(snapshot: dict[str, FileState], month: str) -> str:
    """A short fingerprint of a month's files (names, sizes, mtimes): one ingestion per version."""
    files = sorted((k, v) for k, v in snapshot.items() if month_of_file(k) == month)
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16]


@dataclass
class LandingWatch:
    seen: dict[str, FileState] = field(default_factory=dict)  # the previous evaluation's snapshot
    requested: dict[str, FileState] = field(default_factory=dict)  # each file as it was when last requested
    pending: dict[str, str] = field(default_factory=dict)  # month -> version whose ingestion is awaited

    @classmethod
    def from_cursor(cls, cursor: str | None) -> LandingWatch:
        return cls(**json.loads(cursor)) if cursor else cls()

    def to_cursor(self) -> str:
        return json.dumps({"seen": self.seen, "requested": self.requested, "pending": self.pending}, sort_keys=True)

    def ready_months(self, now: dict[str, FileState]) -> dict[str, str]:
        """Months to ingest now -> their version; records them as requested and remembers `now`."""
        changed = {month_of_file(k) for k, state in now.items() if self.requested.get(k) != state}
        changed |= {month_of_file(k) for k in self.requested if k not in now}  # a file was removed
        unstable = {month_of_file(k) for k, state in now.items() if self.seen.get(k) != state}
        present = {month_of_file(k) for k in now}
        # A month whose files are all gone has nothing to ingest: forget it, so new files count as new.
        self.requested = {k: v for k, v in self.requested.items() if month_of_file(k) in present}
        ready = {month: month_version(now, month) for month in sorted((changed & present) - unstable)}
        for month in ready:
            self.requested = {k: v for k, v in self.requested.items() if month_of_file(k) != month}
            self.requested.update({k: v for k, v in now.items() if month_of_file(k) == month})
        self.seen = now
        return ready
