"""Template prompts: near-duplicate user prompts across months, by MinHash (rensa) and a banded LSH index.

Real chatbot logs are dominated by a few prompt templates (role-play set-ups,
"act as" prompts, Midjourney prompt generators) sent again and again with a
slot filled in. A prompt's word 3-gram shingles go into a MinHash (rensa's
RMinHash, in Rust, a batch at a time: template_signatures.py); an LSH index finds earlier prompts
whose estimated Jaccard similarity is above the threshold, and the prompt
joins the cluster of the earliest such prompt (or starts its own). Exact
repeats skip the LSH and join directly.

The index grows month by month: month M is added to an index of the months
before it (saved after each month), never recomputed from scratch; re-running
an earlier month rebuilds the index from the stored signatures of the months
before it, so clusters never depend on the order months were run in.

A month streams: prompts come in batches, their text is dropped once signed,
and what is kept is columnar (Arrow columns, a numpy signature matrix).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import chain

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wildchat_dagster.core.reporting.template_index import TemplateIndex
from wildchat_dagster.core.reporting.template_month import FlaggedMonth, SpilledRows
from wildchat_dagster.core.reporting.template_signatures import (
    BANDS,
    band_keys,
    signature_column,
    signatures,
    stored_bands,
)
from wildchat_dagster.core.wildchat_ids import conversation_hash, turn_identifier
from wildchat_dagster.schema import TEMPLATE_PROMPTS

MIN_WORDS = 5  # shorter prompts ("hi", "continue") are not templates, only repeats
SIGN_ROWS = 1_000  # prompts split into words at a time
_BANDS = pa.field("bands", pa.list_(pa.uint64(), BANDS))  # spilled with the rows, read back for the index
_WORD = re.compile(r"\w+", re.UNICODE)
_META = ("prompt_key", "month", "conversation_id", "round", "conversation_hash", "turn_identifier", "hashed_ip",
         "example")


def _exact(words: list[str]) -> bytes:
    """The normalized text's hash: 12 bytes (stored as 24 hex digits)."""
    return hashlib.sha256(" ".join(words).encode()).digest()[:12]


def exact_key(text: str) -> str:
    return _exact(_WORD.findall(text.lower())).hex()


def prompt_key(month: str, conversation_id: str, round_index: int) -> str:
    """Sortable by month first, so the earliest prompt of a cluster names it."""
    return f"{month}/{conversation_id}/{round_index:04d}"


def user_prompts(rows: Iterable[dict], month: str, example_chars: int = 200) -> list[dict]:
    """Every user utterance of a month's (redacted) conversations, with what identifies it in the release."""
    prompts = []
    for row in rows:
        utterances = row["conversation"] or []
        conversation = conversation_hash((u["role"], u["content"]) for u in utterances)
        round_index = -1
        for u in utterances:
            if u["role"] != "user":
                continue
            round_index += 1
            prompts.append({
                "prompt_key": prompt_key(month, row["conversation_id"], round_index),
                "month": month,
                "conversation_id": row["conversation_id"],
                "round": round_index,
                "conversation_hash": conversation,
                "turn_identifier": turn_identifier(u.get("log_id"), row["conversation_id"], round_index),
                "hashed_ip": u.get("hashed_ip"),
                "text": u["content"],
                "example": (u["content"] or "")[:example_chars],
            })
    return prompts


def _signed_batch(prompts: list[dict]) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """A batch of prompts without their text: its columns (signatures, and the LSH bucket keys), whether
    each has a signature (MIN_WORDS words or more) and its exact-text hash. Words are split
    SIGN_ROWS prompts at a time: fewer small objects alive at once (less memory left fragmented)."""
    parts = [_signed_part([p["text"] or "" for p in prompts[i:i + SIGN_ROWS]])
             for i in range(0, len(prompts), SIGN_ROWS)] or [_signed_part([])]
    counts, signed, exact, hexes, bands, matrix = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    columns = {name: [p[name] for p in prompts] for name in _META}
    columns["exact_key"] = hexes.astype(object)
    columns["words"] = counts
    columns["minhash"] = signature_column(matrix, signed)
    schema = pa.schema([TEMPLATE_PROMPTS.field(name) for name in columns] + [_BANDS])
    columns["bands"] = pa.FixedSizeListArray.from_arrays(pa.array(bands.ravel()), BANDS)  # the index's, not stored
    return pa.Table.from_pydict(columns, schema=schema), signed, exact


def _signed_part(texts: list[str]) -> tuple[np.ndarray, ...]:
    """Word counts, signed or not, exact-text hashes (bytes, and hex: numpy drops a hash's trailing zero
    bytes when read back as bytes), band keys and signatures (signed rows) of some texts."""
    words = [_WORD.findall(text.lower()) for text in texts]
    counts = np.fromiter(map(len, words), np.int64, len(words))
    signed = counts >= MIN_WORDS
    matrix = signatures([w for w, s in zip(words, signed.tolist(), strict=True) if s])
    bands = np.zeros((len(texts), BANDS), np.uint64)
    bands[signed] = band_keys(matrix)
    exact = [_exact(w) for w in words]
    return (counts, signed, np.array(exact, dtype="S12"), np.array([e.hex() for e in exact], dtype="U24"), bands,
            matrix)


def flag_month(index: TemplateIndex, month: str, batches: Iterable[list[dict]]) -> FlaggedMonth:
    """Add the month's prompts (batches of dicts with prompt_key, text, ...) to the index; each row
    gets its exact-text key, signature (null under MIN_WORDS words), cluster id and cluster size; no
    text. A batch's text is dropped once it is signed, its rows spilled to local disk."""
    rows, kept = SpilledRows(), ([], [])  # per batch: signed or not, exact-text hashes
    try:
        for prompts in chain(batches, [[]]):  # an empty batch last: the schema and arrays of an empty month
            table, *arrays = _signed_batch(prompts)
            rows.append(table)
            for held, array in zip(kept, arrays, strict=True):
                held.append(array)
        rows.finish()
        keys = rows.column("prompt_key")
        order = pc.sort_indices(keys).to_numpy()
        signed, exact = (np.concatenate(held)[order] for held in kept)
        ordinals, sizes = index.add_month(month, keys.take(order).combine_chunks(), exact,
                                          rows.matrix_in_order("bands", order), signed)
    except BaseException:
        rows.close()
        raise
    return FlaggedMonth(rows, order, index.heads(ordinals), sizes)


def _exact_bytes(column: pa.ChunkedArray) -> np.ndarray:
    return np.array([bytes.fromhex(h) for h in column.to_pylist()], dtype="S12")


def index_for(
    saved: TemplateIndex | None, earlier: list[str], load: Callable[[str], Iterable[pa.Table]]
) -> tuple[TemplateIndex, str]:
    """The index holding exactly the `earlier` months (in order): the saved one when it does (the
    incremental case), else one rebuilt from their stored rows (`load(month)`: tables of a few
    thousand rows with prompt_key, exact_key and minhash, in prompt-key order), signatures not text."""
    if saved is not None and saved.months == earlier:
        return saved, "incremental"
    index = TemplateIndex()
    for month in earlier:
        index.add_month(month, *_stored_month(load(month)))
    return index, f"rebuilt from {len(earlier)} earlier months"


def _stored_month(tables: Iterable[pa.Table]) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
    """A stored month's prompt keys, exact-text hashes, band keys (of its signatures) and which rows have
    a signature, read a batch at a time: the month's signatures are never all in memory."""
    keys, exact = [pa.array([], pa.string())], [np.zeros(0, "S12")]
    bands, signed = [np.zeros((0, BANDS), np.uint64)], [np.zeros(0, bool)]
    for table in tables:
        keys += table.column("prompt_key").chunks
        exact.append(_exact_bytes(table.column("exact_key")))
        batch_bands, batch_signed = stored_bands(table.column("minhash"))
        bands.append(batch_bands)
        signed.append(batch_signed)
    return pa.concat_arrays(keys), np.concatenate(exact), np.concatenate(bands), np.concatenate(signed)


def largest_clusters(rows: Iterable[dict], min_size: int, limit: int = 20,
                     withheld: Callable[[dict], bool] = lambda row: False) -> list[dict]:
    """Clusters of at least `min_size` prompts over the given rows: size, months and the first example
    (redacted) whose prompt is not `withheld` (e.g. named by a deletion request)."""
    sizes: Counter = Counter()
    months: dict[str, set[str]] = defaultdict(set)
    example: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r.get("prompt_key") or ""):
        cluster = row["cluster_id"]
        sizes[cluster] += 1
        months[cluster].add(row["month"])
        if cluster not in example and row.get("example") and not withheld(row):
            example[cluster] = row["example"]
    return [{"cluster_id": c, "size": n, "months": sorted(months[c]), "example": example.get(c, "")}
            for c, n in sizes.most_common() if n >= min_size][:limit]
