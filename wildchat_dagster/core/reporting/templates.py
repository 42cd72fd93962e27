"""Template prompts: near-duplicate user prompts across months, by MinHash (rensa) and a banded LSH index.

Real chatbot logs are dominated by a few prompt templates (role-play set-ups,
"act as" prompts, Midjourney prompt generators) sent again and again with a
slot filled in. A prompt's word 3-gram shingles go into a MinHash (rensa's
RMinHash, in Rust, a batch at a time); an LSH index finds earlier prompts
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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import rensa

from wildchat_dagster.core.reporting.template_index import NUM_PERM, TemplateIndex
from wildchat_dagster.core.wildchat_ids import conversation_hash, turn_identifier
from wildchat_dagster.schema import TEMPLATE_PROMPTS

SEED = 1
MIN_WORDS = 5  # shorter prompts ("hi", "continue") are not templates, only repeats
_WORD = re.compile(r"\w+", re.UNICODE)
_META = ("prompt_key", "month", "conversation_id", "round", "conversation_hash", "turn_identifier", "hashed_ip",
         "example")
_SIGNATURE = pa.list_(pa.uint32())


def shingles(words: list[str]) -> list[str]:
    """Word 3-grams (repeats included: they do not change a MinHash)."""
    if len(words) < 3:
        return [" ".join(words)]
    return [f"{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:], strict=False)]


def signatures(word_lists: list[list[str]]) -> np.ndarray:
    """(n, NUM_PERM) uint32 MinHash values of each word list's shingles, stored with the prompt so the
    index can be rebuilt without text."""
    if not word_lists:
        return np.zeros((0, NUM_PERM), np.uint32)
    matrix = rensa.RMinHash.digest_matrix_from_token_sets([shingles(w) for w in word_lists], NUM_PERM, SEED)
    return np.array(matrix.to_rows(), dtype=np.uint32)


def _exact(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:24]


def exact_key(text: str) -> str:
    return _exact(_WORD.findall(text.lower()))


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
    """A batch of prompts without their text: its columns, signatures and which prompts have one."""
    words = [_WORD.findall((p["text"] or "").lower()) for p in prompts]
    signed = np.array([len(w) >= MIN_WORDS for w in words], dtype=bool)
    matrix = np.zeros((len(prompts), NUM_PERM), np.uint32)
    matrix[signed] = signatures([w for w, s in zip(words, signed, strict=True) if s])
    columns = {name: [p[name] for p in prompts] for name in _META}
    columns["exact_key"] = [_exact(w) for w in words]
    columns["words"] = [len(w) for w in words]
    schema = pa.schema([TEMPLATE_PROMPTS.field(name) for name in columns])
    return pa.Table.from_pydict(columns, schema=schema), matrix, signed


def flag_month(index: TemplateIndex, month: str, batches: Iterable[list[dict]]) -> pa.Table:
    """Add the month's prompts (batches of dicts with prompt_key, text, ...) to the index; each row
    gets its exact-text key, signature (null under MIN_WORDS words), cluster id and cluster size, in
    prompt-key order; no text. Columns of TEMPLATE_PROMPTS but is_template."""
    tables, matrices, masks = [], [], []
    for prompts in batches:
        table, matrix, signed = _signed_batch(prompts)
        tables.append(table)
        matrices.append(matrix)
        masks.append(signed)
    if not tables:
        tables, matrices, masks = [_signed_batch([])[0]], [np.zeros((0, NUM_PERM), np.uint32)], [np.zeros(0, bool)]
    table = pa.concat_tables(tables)
    order = pc.sort_indices(table, [("prompt_key", "ascending")]).to_numpy()
    table = table.take(order)
    matrix = np.concatenate(matrices)
    matrices.clear()
    matrix, signed = matrix[order], np.concatenate(masks)[order]
    clusters, sizes = add_to_index(index, month, table, matrix, signed)
    return table.append_column(TEMPLATE_PROMPTS.field("minhash"), signature_column(matrix, signed)).append_column(
        TEMPLATE_PROMPTS.field("cluster_id"), clusters).append_column(
        TEMPLATE_PROMPTS.field("cluster_size"), pa.array(sizes, pa.int64()))


def add_to_index(index: TemplateIndex, month: str, table: pa.Table, matrix: np.ndarray,
                 signed: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Index a month (its rows in prompt-key order: prompt_key and exact_key columns, signatures);
    each row's cluster id and cluster size."""
    exact = np.array([bytes.fromhex(h) for h in table.column("exact_key").to_pylist()], dtype="S12")
    ordinals, sizes = index.add_month(month, table.column("prompt_key").to_pylist(), exact, matrix, signed)
    named, position = np.unique(ordinals, return_inverse=True)
    return pa.array(index.heads(named), pa.string()).take(pa.array(position)), sizes


def signature_column(matrix: np.ndarray, signed: np.ndarray) -> pa.Array:
    offsets = pa.array(np.arange(0, (len(matrix) + 1) * NUM_PERM, NUM_PERM, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(matrix.ravel()), type=_SIGNATURE, mask=pa.array(~signed))


def stored_signatures(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The (n, NUM_PERM) signature matrix of a stored month and which rows have one."""
    column = table.column("minhash")
    if column.type != _SIGNATURE:
        raise ValueError(f"stored signatures of type {column.type}, not rensa's {_SIGNATURE}: flagged by an "
                         "earlier version; re-run template_prompts for the months in order")
    column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    signed = column.is_valid().to_numpy(zero_copy_only=False)
    matrix = np.zeros((len(column), NUM_PERM), np.uint32)
    matrix[signed] = column.flatten().to_numpy().reshape(-1, NUM_PERM)
    return matrix, signed


def index_for(
    saved: TemplateIndex | None, earlier: list[str], load: Callable[[str], pa.Table]
) -> tuple[TemplateIndex, str]:
    """The index holding exactly the `earlier` months (in order): the saved one when it does (the
    incremental case), else one rebuilt from their stored rows (`load(month)`: prompt_key, exact_key
    and minhash in prompt-key order), signatures not text."""
    if saved is not None and saved.months == earlier:
        return saved, "incremental"
    index = TemplateIndex()
    for month in earlier:
        table = load(month)
        add_to_index(index, month, table, *stored_signatures(table))
    return index, f"rebuilt from {len(earlier)} earlier months"


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
