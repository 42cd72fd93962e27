"""The template index: a banded LSH table over MinHash signatures, as numpy arrays.

Each LSH band of a signature hashes to a 64-bit bucket key; the band's table
keeps, for every bucket, only the earliest cluster holding a prompt in it. A prompt
joins the earliest cluster among its buckets' (what querying every candidate
and taking the smallest cluster gave, without the candidate lists that grow
with a template's size), so a month is a few sorts and a loop over the
prompts that share a bucket with an earlier prompt of the same month.

Clusters are ordinals in the order their first prompts came (months in order,
prompt keys sorted within a month), so the smallest ordinal is the earliest
prompt; `heads` names each by its first prompt's key. Everything is a plain
array, saved without pickle (the data root may be a shared bucket).

Not rensa's RMinHashLSH: it saves only through its pickle state, takes
RMinHash objects built from tokens (stored signature arrays cannot be put
back: no rebuild without the text), and its queries return every candidate
key, so a prompt of a 10,000-prompt template would read 10,000 keys.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from wildchat_dagster.core.reporting.template_signatures import BANDS, NUM_PERM, ROWS, SEED
from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import staged

SCHEME = (f"blake2b words, mixed 3-grams; rensa RMinHash v2 flat hashes seed {SEED}, {NUM_PERM} u32; "
          f"bands {BANDS}x{ROWS} fnv1a+splitmix64")
_NONE = np.iinfo(np.int64).max
_NONE32 = np.iinfo(np.int32).max


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
    # Per band: its buckets' keys (sorted) and each one's earliest cluster.
    bucket_keys: list[np.ndarray] = field(default_factory=lambda: [np.zeros(0, np.uint64)] * BANDS)
    bucket_clusters: list[np.ndarray] = field(default_factory=lambda: [np.zeros(0, np.int32)] * BANDS)
    exact_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, "S12"))  # sorted
    exact_clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def heads(self, ordinals: np.ndarray) -> pa.Array:
        """The clusters' ids (their first prompts' keys)."""
        offsets = np.concatenate([[0], self.head_ends]).astype(np.int32)
        names = pa.StringArray.from_buffers(len(self.head_ends), pa.py_buffer(offsets), pa.py_buffer(self.head_bytes))
        return names.take(pa.array(ordinals))

    def add_month(self, month: str, keys: pa.Array, exact: np.ndarray, bands: np.ndarray,
                  signed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index a month's prompts, in prompt-key order (`keys`: a string array): `exact` their 12-byte
        normalized-text hashes,
        `bands` (n, BANDS) their signatures' bucket keys (rows where `signed` is False are not read:
        prompts too short to be templates). Returns each prompt's cluster ordinal and its cluster's
        size now."""
        n, first = len(keys), len(self.sizes)
        past = _lookup(exact, self.exact_keys, self.exact_clusters)
        unique, first_of, inverse = np.unique(exact, return_index=True, return_inverse=True)
        repeat = (past != _NONE) | (first_of[inverse] != np.arange(n))
        cluster = np.arange(first, first + n, dtype=np.int64)  # its own, unless it joins an earlier one
        inserted = np.flatnonzero(signed & ~repeat)
        buckets, earliest = self._join_buckets(bands, cluster, inserted)
        cluster[past != _NONE] = past[past != _NONE]
        later = ~repeat | (past != _NONE)
        cluster[~later] = cluster[first_of[inverse[~later]]]  # an exact repeat within the month
        new_heads, cluster = self._number(cluster, first)
        self._add_heads(keys.take(pa.array(new_heads - first)))
        self.sizes += np.bincount(cluster, minlength=len(self.sizes))[:len(self.sizes)]
        fresh = past[first_of] == _NONE
        self.exact_keys, self.exact_clusters = _merge(
            self.exact_keys, self.exact_clusters, unique[fresh], cluster[first_of[fresh]])
        for band, (keys_of_band, earliest_of_band) in enumerate(zip(buckets, earliest, strict=True)):
            final = np.where(earliest_of_band >= first, first + np.searchsorted(new_heads, earliest_of_band),
                             earliest_of_band)
            self.bucket_keys[band], self.bucket_clusters[band] = _merge(
                self.bucket_keys[band], self.bucket_clusters[band], keys_of_band, final)
        self.months.append(month)
        return cluster, self.sizes[cluster]

    def _join_buckets(self, bands: np.ndarray, cluster: np.ndarray, rows: np.ndarray):
        """Give each LSH-indexed prompt (`rows`, their bucket keys in `bands`) the earliest cluster among
        its buckets, in order; per band, the month's buckets (sorted) and each one's earliest cluster.
        A band at a time: no temporary of the month's (rows x bands) size but the groups."""
        group = np.empty((len(rows), BANDS), np.int32)  # each (row, band)'s bucket among the month's
        buckets, earliest, shares, offset = [], [], np.zeros(len(rows), bool), 0
        for band in range(BANDS):
            unique, first_row, inverse = np.unique(bands[rows, band], return_index=True, return_inverse=True)
            group[:, band] = inverse + offset
            shares |= first_row[inverse] != np.arange(len(rows))  # an earlier prompt of the month is in it
            buckets.append(unique)
            past = _lookup(unique, self.bucket_keys[band], self.bucket_clusters[band])
            earliest.append(np.minimum(past, _NONE32).astype(np.int32))  # ordinals fit 31 bits: half the memory
            offset += len(unique)
        ends = np.cumsum([len(b) for b in buckets])[:-1]
        earliest = np.concatenate(earliest)
        alone = np.flatnonzero(~shares)  # first in each of its buckets: only earlier months count
        joined = np.full(len(alone), _NONE32, np.int32)
        for band in range(BANDS):
            np.minimum(joined, earliest[group[alone, band]], out=joined)
        cluster[rows[alone]] = np.where(joined == _NONE32, cluster[rows[alone]], joined)
        for band in range(BANDS):
            earliest[group[alone, band]] = cluster[rows[alone]]
        for r in np.flatnonzero(shares).tolist():  # in order: an earlier prompt of the month may decide
            mine = group[r]
            joined = earliest[mine].min()
            if joined != _NONE32:
                cluster[rows[r]] = joined
            earliest[mine] = cluster[rows[r]]
        return buckets, np.split(earliest, ends)

    def _number(self, cluster: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Provisional ordinals (first + position in the month) of new clusters renumbered after the
        existing ones, in order; the new clusters' provisional ordinals too."""
        new_heads = np.unique(cluster[cluster >= first])
        renumbered = np.where(cluster >= first, first + np.searchsorted(new_heads, cluster), cluster)
        self.sizes = np.concatenate([self.sizes, np.zeros(len(new_heads), np.int64)])
        return new_heads, renumbered

    def _add_heads(self, names: pa.Array) -> None:
        """Append cluster ids: a string array's bytes and offsets, no Python string each."""
        _, offsets, data = names.buffers()
        offsets = np.frombuffer(offsets, np.int32)[names.offset:names.offset + len(names) + 1].astype(np.int64)
        data = np.frombuffer(data, np.uint8)[offsets[0]:offsets[-1]] if data is not None else np.zeros(0, np.uint8)
        self.head_bytes = np.concatenate([self.head_bytes, data])
        self.head_ends = np.concatenate([self.head_ends, offsets[1:] - offsets[0] + len(self.head_bytes) - len(data)])

    def save(self, path: StoragePath) -> None:
        """Plain arrays in an npz (no pickle; not compressed: bucket keys are random bits)."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        for band in range(BANDS):
            arrays[f"bucket_keys_{band:02d}"] = self.bucket_keys[band]
            arrays[f"bucket_clusters_{band:02d}"] = self.bucket_clusters[band]
        with staged(path) as tmp, open(tmp, "wb") as f:  # straight to a file: no copy of the index in memory
            np.savez(f, scheme=np.array(SCHEME), months=np.array(self.months, dtype=np.str_), **arrays)

    @staticmethod
    def load(path: StoragePath) -> TemplateIndex | None:
        """The saved index, or None (then rebuilt from the stored months) when missing, of another
        scheme or not one that save() wrote: arrays only (allow_pickle=False), dtypes and shapes checked."""
        if not path.exists():
            return None
        try:
            with path.open("rb") as f, np.load(f, allow_pickle=False) as saved:
                if str(saved["scheme"]) != SCHEME:
                    return None
                index = TemplateIndex(months=saved["months"].tolist(), **{name: saved[name] for name in _ARRAYS})
                index.bucket_keys = [saved[f"bucket_keys_{band:02d}"] for band in range(BANDS)]
                index.bucket_clusters = [saved[f"bucket_clusters_{band:02d}"] for band in range(BANDS)]
            expected = TemplateIndex()
            pairs = [*((name, getattr(index, name), getattr(expected, name)) for name in _ARRAYS),
                     *(("bucket_keys", keys, expected.bucket_keys[0]) for keys in index.bucket_keys),
                     *(("bucket_clusters", c, expected.bucket_clusters[0]) for c in index.bucket_clusters)]
            for name, got, want in pairs:
                if got.dtype != want.dtype or got.ndim != 1:
                    raise ValueError(name)
            if not (len(index.head_ends) == len(index.sizes) and len(index.exact_keys) == len(index.exact_clusters)
                    and [len(k) for k in index.bucket_keys] == [len(c) for c in index.bucket_clusters]):
                raise ValueError("lengths")
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            return None
        return index


_ARRAYS = ("head_bytes", "head_ends", "sizes", "exact_keys", "exact_clusters")
