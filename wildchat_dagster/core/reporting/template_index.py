"""The template index: a banded LSH table over MinHash signatures, as numpy arrays.

Each LSH band of a signature hashes to a 64-bit bucket key; the table keeps,
for every bucket, only the earliest cluster holding a prompt in it. A prompt
joins the earliest cluster among its buckets' (what querying every candidate
and taking the smallest cluster gave, without the candidate lists that grow
with a template's size), so a month is a few sorts and a loop over the
prompts that share a bucket with an earlier prompt of the same month.

Clusters are ordinals in the order their first prompts came (months in order,
prompt keys sorted within a month), so the smallest ordinal is the earliest
prompt; `heads` names each by its first prompt's key. Everything is a plain
array, saved without pickle (the data root may be a shared bucket).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import numpy as np

from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import atomic_write_bytes

NUM_PERM = 128
THRESHOLD = 0.5  # Jaccard similarity of word 3-gram shingles (low: LSH then rarely misses a 0.8 pair)
# datasketch's optimal (bands, rows) for THRESHOLD and NUM_PERM (equal false-positive and -negative
# weights): the candidates are found as they were under datasketch.MinHashLSH.
BANDS, ROWS = 25, 5
SCHEME = f"rensa RMinHash v2 seed 1, {NUM_PERM} u32; bands {BANDS}x{ROWS} fnv1a+splitmix64"
_NONE = np.iinfo(np.int64).max
_M64 = (1 << 64) - 1


def band_keys(signatures: np.ndarray) -> np.ndarray:
    """(n, BANDS) bucket keys of (n, NUM_PERM) uint32 signatures: FNV-1a over a band's values, the band's
    number mixed in (one table for all bands), then splitmix64's finalizer."""
    values = signatures[:, :BANDS * ROWS].astype(np.uint64).reshape(len(signatures), BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = np.uint64(0xCBF29CE484222325) ^ np.arange(BANDS, dtype=np.uint64)
        h = np.broadcast_to(h, values.shape[:2]).copy()
        for row in range(ROWS):
            h = (h ^ values[:, :, row]) * np.uint64(0x100000001B3)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _lookup(keys: np.ndarray, table_keys: np.ndarray, table_values: np.ndarray) -> np.ndarray:
    """table_values at each key (sorted table), _NONE where the key is absent."""
    if not len(table_keys):
        return np.full(keys.shape, _NONE, dtype=np.int64)
    pos = np.minimum(np.searchsorted(table_keys, keys), len(table_keys) - 1)
    return np.where(table_keys[pos] == keys, table_values[pos].astype(np.int64), _NONE)


def _merge(table_keys, table_values, keys, values):
    """The sorted table with (unique, sorted) keys added; a key present keeps the smaller value."""
    pos = np.searchsorted(table_keys, keys)
    present = pos < len(table_keys)
    present[present] = table_keys[pos[present]] == keys[present]
    table_values = table_values.copy()
    table_values[pos[present]] = np.minimum(table_values[pos[present]], values[present])
    return (np.insert(table_keys, pos[~present], keys[~present]),
            np.insert(table_values, pos[~present], values[~present].astype(table_values.dtype)))


@dataclass
class TemplateIndex:
    """Every indexed prompt's buckets and exact text, as the earliest cluster of each; cluster sizes."""

    months: list[str] = field(default_factory=list)
    head_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))  # cluster ids, UTF-8, joined
    head_ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # where each id ends
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # prompts per cluster so far
    bucket_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))  # sorted
    bucket_clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    exact_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, "S12"))  # sorted
    exact_clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def heads(self, ordinals: np.ndarray) -> list[str]:
        starts = np.concatenate([[0], self.head_ends])
        raw = self.head_bytes
        return [raw[starts[o]:starts[o + 1]].tobytes().decode() for o in ordinals.tolist()]

    def add_month(self, month: str, keys: list[str], exact: np.ndarray, signatures: np.ndarray,
                  signed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index a month's prompts, in prompt-key order: `exact` their 12-byte normalized-text hashes,
        `signatures` (n, NUM_PERM) uint32 (rows where `signed` is False are not read: prompts too
        short to be templates). Returns each prompt's cluster ordinal and its cluster's size now."""
        n, first = len(keys), len(self.sizes)
        past = _lookup(exact, self.exact_keys, self.exact_clusters)
        unique, first_of, inverse = np.unique(exact, return_index=True, return_inverse=True)
        repeat = (past != _NONE) | (first_of[inverse] != np.arange(n))
        cluster = np.arange(first, first + n, dtype=np.int64)  # its own, unless it joins an earlier one
        inserted = np.flatnonzero(signed & ~repeat)
        buckets, earliest = self._join_buckets(band_keys(signatures[inserted]), cluster, inserted)
        cluster[past != _NONE] = past[past != _NONE]
        later = ~repeat | (past != _NONE)
        cluster[~later] = cluster[first_of[inverse[~later]]]  # an exact repeat within the month
        new_heads, cluster = self._number(cluster, first)
        self._add_heads([keys[i - first] for i in new_heads.tolist()])
        self.sizes += np.bincount(cluster, minlength=len(self.sizes))[:len(self.sizes)]
        fresh = past[first_of] == _NONE
        self.exact_keys, self.exact_clusters = _merge(
            self.exact_keys, self.exact_clusters, unique[fresh], cluster[first_of[fresh]])
        earliest = np.where(earliest >= first, first + np.searchsorted(new_heads, earliest), earliest)
        self.bucket_keys, self.bucket_clusters = _merge(self.bucket_keys, self.bucket_clusters, buckets, earliest)
        self.months.append(month)
        return cluster, self.sizes[cluster]

    def _join_buckets(self, keys: np.ndarray, cluster: np.ndarray, rows: np.ndarray):
        """Give each LSH-indexed prompt (`rows`, their bucket `keys`) the earliest cluster among its
        buckets, in order; the month's buckets (sorted) and each one's earliest cluster."""
        buckets, first_entry, group = np.unique(keys.ravel(), return_index=True, return_inverse=True)
        group = group.reshape(keys.shape)
        earliest = _lookup(buckets, self.bucket_keys, self.bucket_clusters)
        shares = (first_entry[group] // BANDS != np.arange(len(rows))[:, None]).any(axis=1)
        alone = np.flatnonzero(~shares)  # first in each of its buckets: only earlier months count
        joined = earliest[group[alone]].min(axis=1, initial=_NONE)
        cluster[rows[alone]] = np.where(joined == _NONE, cluster[rows[alone]], joined)
        earliest[group[alone].ravel()] = np.repeat(cluster[rows[alone]], BANDS)
        for r in np.flatnonzero(shares).tolist():  # in order: an earlier prompt of the month may decide
            mine = group[r]
            joined = earliest[mine].min()
            if joined != _NONE:
                cluster[rows[r]] = joined
            earliest[mine] = cluster[rows[r]]
        return buckets, earliest

    def _number(self, cluster: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Provisional ordinals (first + position in the month) of new clusters renumbered after the
        existing ones, in order; the new clusters' provisional ordinals too."""
        new_heads = np.unique(cluster[cluster >= first])
        renumbered = np.where(cluster >= first, first + np.searchsorted(new_heads, cluster), cluster)
        self.sizes = np.concatenate([self.sizes, np.zeros(len(new_heads), np.int64)])
        return new_heads, renumbered

    def _add_heads(self, names: list[str]) -> None:
        encoded = [name.encode() for name in names]
        ends = np.cumsum([len(e) for e in encoded], dtype=np.int64) + len(self.head_bytes)
        self.head_bytes = np.concatenate([self.head_bytes, np.frombuffer(b"".join(encoded), np.uint8)])
        self.head_ends = np.concatenate([self.head_ends, ends])

    def save(self, path: StoragePath) -> None:
        """Plain arrays in an npz (no pickle; not compressed: bucket keys are random bits)."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        buffer = io.BytesIO()
        np.savez(buffer, scheme=np.array(SCHEME), months=np.array(self.months, dtype=np.str_), **arrays)
        atomic_write_bytes(path, buffer.getvalue())

    @staticmethod
    def load(path: StoragePath) -> TemplateIndex | None:
        """The saved index, or None (then rebuilt from the stored months) when missing, of another
        scheme or not one that save() wrote: arrays only (allow_pickle=False), dtypes and shapes checked."""
        if not path.exists():
            return None
        try:
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as saved:
                if str(saved["scheme"]) != SCHEME:
                    return None
                index = TemplateIndex(months=saved["months"].tolist(), **{name: saved[name] for name in _ARRAYS})
            expected = TemplateIndex()
            for name in _ARRAYS:
                if getattr(index, name).dtype != getattr(expected, name).dtype or getattr(index, name).ndim != 1:
                    raise ValueError(name)
            if not (len(index.head_ends) == len(index.sizes) and len(index.bucket_keys) == len(index.bucket_clusters)
                    and len(index.exact_keys) == len(index.exact_clusters)):
                raise ValueError("lengths")
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            return None
        return index


_ARRAYS = ("head_bytes", "head_ends", "sizes", "bucket_keys", "bucket_clusters", "exact_keys", "exact_clusters")
