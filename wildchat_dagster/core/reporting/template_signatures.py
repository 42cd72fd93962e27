"""MinHash signatures of prompts' word 3-gram shingles (rensa, in Rust), and their LSH band keys.

Building each shingle as a string cost more than the MinHash itself; here
each distinct word of a batch is hashed once (blake2b: stable across
processes and versions), a shingle's hash mixes its three words' hashes, and
rensa's RMinHash takes the flat array with each prompt's offsets: no Python
object per shingle.
"""

from __future__ import annotations

import hashlib
from itertools import chain

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import rensa

NUM_PERM = 128
SEED = 1
THRESHOLD = 0.5  # Jaccard similarity of word 3-gram shingles (low: LSH then rarely misses a 0.8 pair)
# datasketch's optimal (bands, rows) for THRESHOLD and NUM_PERM (equal false-positive and -negative
# weights): the candidates are found as they were under datasketch.MinHashLSH.
BANDS, ROWS = 25, 5
SIGNATURE = pa.list_(pa.uint32())  # the stored column
_K1, _K2, _K3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)


def _finalize(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer (in place): every input bit reaches every output bit."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def word_hashes(words: list[str]) -> np.ndarray:
    """Each word's 64-bit hash, each distinct word hashed once."""
    encoded = pc.dictionary_encode(pa.array(words, pa.string()))
    distinct = encoded.dictionary.to_pylist()
    table = np.frombuffer(b"".join(hashlib.blake2b(w.encode(), digest_size=8).digest() for w in distinct), "<u8")
    return table[encoded.indices.to_numpy(zero_copy_only=False)] if len(words) else np.zeros(0, np.uint64)


def shingle_hashes(word_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of every word 3-gram of each list (of at least 3 words), flat, and each list's offsets."""
    counts = np.fromiter(map(len, word_lists), np.int64, len(word_lists))
    if (counts < 3).any():
        raise ValueError("shingles need 3 words")
    h = word_hashes(list(chain.from_iterable(word_lists)))
    with np.errstate(over="ignore"):
        mixed = _finalize(h[:-2] * _K1 + ((h[1:-1] << np.uint64(21)) | (h[1:-1] >> np.uint64(43))) * _K2
                          + ((h[2:] << np.uint64(42)) | (h[2:] >> np.uint64(22))) * _K3)
    ends = np.cumsum(counts)
    owner = np.repeat(np.arange(len(counts)), counts)[:len(mixed)]
    inside = np.arange(len(mixed)) + 2 < ends[owner]  # the 3-gram does not run into the next list
    return mixed[inside], np.concatenate([[0], np.cumsum(counts - 2)]).astype(np.uint64)


def band_keys(signatures: np.ndarray, chunk: int = 16_384) -> np.ndarray:
    """(n, BANDS) LSH bucket keys of (n, NUM_PERM) uint32 signatures: FNV-1a over a band's ROWS values,
    the band's number mixed in, then splitmix64's finalizer; `chunk` rows at a time (no uint64 copy of
    a month's signatures)."""
    keys = np.empty((len(signatures), BANDS), np.uint64)
    for start in range(0, len(signatures), chunk):
        values = signatures[start:start + chunk, :BANDS * ROWS].astype(np.uint64).reshape(-1, BANDS, ROWS)
        with np.errstate(over="ignore"):
            h = np.broadcast_to(np.uint64(0xCBF29CE484222325) ^ np.arange(BANDS, dtype=np.uint64),
                                values.shape[:2]).copy()
            for row in range(ROWS):
                h = (h ^ values[:, :, row]) * np.uint64(0x100000001B3)
            keys[start:start + chunk] = _finalize(h)
    return keys


def signatures(word_lists: list[list[str]]) -> np.ndarray:
    """(n, NUM_PERM) uint32 MinHash values of each word list's 3-gram shingles (lists of at least 3 words),
    stored with the prompt so the index can be rebuilt without text."""
    if not word_lists:
        return np.zeros((0, NUM_PERM), np.uint32)
    flat, offsets = shingle_hashes(word_lists)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, NUM_PERM, SEED)
    return np.array(matrix.to_rows(), dtype=np.uint32)


def signature_column(matrix: np.ndarray, signed: np.ndarray) -> pa.Array:
    """The stored minhash column: `matrix` holds the rows of the `signed` prompts; null for the others."""
    offsets = np.concatenate([[0], np.cumsum(signed * NUM_PERM)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(matrix.ravel()), type=SIGNATURE,
                                    mask=pa.array(~signed))


def stored_bands(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A stored month's (n, BANDS) bucket keys (zero where no signature) and which rows have a signature."""
    if column.type != SIGNATURE:
        raise ValueError(f"stored signatures of type {column.type}, not {SIGNATURE}: flagged by an earlier "
                         "version; re-run template_prompts for the months in order")
    signed = column.is_valid().to_numpy(zero_copy_only=False)
    bands, start = np.zeros((len(column), BANDS), np.uint64), 0
    for chunk in column.chunks:  # a row group at a time: no copy of the month's signatures
        rows = np.flatnonzero(signed[start:start + len(chunk)]) + start
        bands[rows] = band_keys(chunk.flatten().to_numpy().reshape(-1, NUM_PERM))
        start += len(chunk)
    return bands, signed
