"""Template prompts: near-duplicate user prompts across months, by MinHash LSH (datasketch).

Real chatbot logs are dominated by a few prompt templates (role-play set-ups,
"act as" prompts, Midjourney prompt generators) sent again and again with a
slot filled in. A prompt's word 3-gram shingles go into a MinHash; an LSH
index finds earlier prompts whose estimated Jaccard similarity is above the
threshold, and the prompt joins the cluster of the earliest such prompt (or
starts its own). Exact repeats skip the LSH and join directly.

The index grows month by month: month M is added to an index of the months
before it (saved after each month), never recomputed from scratch; re-running
an earlier month rebuilds the index from the stored signatures of the months
before it, so clusters never depend on the order months were run in.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash, MinHashLSH

from wildchat_dagster.core.storage.layout import StoragePath
from wildchat_dagster.core.storage.warehouse import atomic_write_bytes
from wildchat_dagster.core.wildchat_ids import conversation_hash, turn_identifier

NUM_PERM = 128
THRESHOLD = 0.5  # estimated Jaccard similarity of word 3-gram shingles (low: LSH then rarely misses a 0.8 pair)
MIN_WORDS = 5  # shorter prompts ("hi", "continue") are not templates, only repeats
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 3) -> list[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return [" ".join(words).encode()]
    return list({" ".join(words[i:i + n]).encode() for i in range(len(words) - n + 1)})


def band_key(band: bytes) -> bytes:
    """An LSH band as an 8-byte key instead of its raw bytes: the saved index is a fraction of the size."""
    return hashlib.blake2b(band, digest_size=8).digest()


@functools.cache
def _permutations():
    """MinHash's permutations for (NUM_PERM, seed 1), drawn once: datasketch redraws them per object."""
    return MinHash(num_perm=NUM_PERM, seed=1).permutations


def signature(text: str) -> np.ndarray:
    """The prompt's MinHash values (stored with the prompt, so the index can be rebuilt without text)."""
    minhash = MinHash(num_perm=NUM_PERM, seed=1, permutations=_permutations())
    minhash.update_batch(shingles(text))
    return minhash.hashvalues


def exact_key(text: str) -> str:
    return hashlib.sha256(" ".join(_WORD.findall(text.lower())).encode()).hexdigest()[:24]


@dataclass
class TemplateIndex:
    """An LSH index over every indexed prompt so far, and each prompt's cluster."""

    months: list[str] = field(default_factory=list)
    lsh: MinHashLSH = field(
        default_factory=lambda: MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, hashfunc=band_key)
    )
    cluster_of: dict[str, str] = field(default_factory=dict)  # prompt key (LSH-indexed prompts) -> cluster id
    by_exact: dict[str, str] = field(default_factory=dict)  # normalized-text hash -> cluster id
    sizes: Counter = field(default_factory=Counter)  # cluster id -> prompts so far
    cluster_months: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, month: str, key: str, exact: str, hashvalues: np.ndarray | None) -> str:
        """Index one prompt of `month` (its normalized-text hash, and its MinHash values when it is
        long enough to be a template); its cluster id: the key of the cluster's first prompt."""
        cluster = self.by_exact.get(exact)
        if cluster is None and hashvalues is not None:
            minhash = MinHash(num_perm=NUM_PERM, seed=1, hashvalues=np.asarray(hashvalues, dtype=np.uint64),
                              permutations=_permutations())
            found = [self.cluster_of[k] for k in self.lsh.query(minhash)]
            cluster = min(found) if found else key
            self.lsh.insert(key, minhash, check_duplication=False)
            self.cluster_of[key] = cluster
        cluster = cluster or key
        self.by_exact.setdefault(exact, cluster)
        self.sizes[cluster] += 1
        self.cluster_months[cluster].add(month)
        return cluster

    def save(self, path: StoragePath) -> None:
        """The index as plain arrays (npz, no pickle: the data root may be a shared bucket): each
        LSH-indexed prompt's band keys, and the cluster tables."""
        keys = list(self.cluster_of)
        bands = b"".join(b"".join(self.lsh.keys.get(k)) for k in keys)
        pairs = [(c, m) for c, months in self.cluster_months.items() for m in sorted(months)]
        arrays = {
            "months": _strings(self.months),
            "lsh_keys": _strings(keys),
            "lsh_bands": np.frombuffer(bands, dtype="<u8").reshape(len(keys), self.lsh.b),
            "lsh_clusters": _strings(self.cluster_of.values()),
            "exact_keys": _strings(self.by_exact), "exact_clusters": _strings(self.by_exact.values()),
            "size_clusters": _strings(self.sizes), "sizes": np.array(list(self.sizes.values()), dtype=np.int64),
            "month_clusters": _strings(c for c, _ in pairs), "month_months": _strings(m for _, m in pairs),
        }
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        atomic_write_bytes(path, buffer.getvalue())

    @staticmethod
    def load(path: StoragePath) -> TemplateIndex | None:
        """The saved index, or None (then rebuilt from the stored months) when missing or not one
        that save() wrote: arrays only, never objects (allow_pickle=False), shapes checked."""
        if not path.exists():
            return None
        try:
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as saved:
                a = {name: saved[name] for name in _SAVED_ARRAYS}
            index = TemplateIndex(months=a["months"].tolist())
            bands = a["lsh_bands"]
            if bands.dtype != np.dtype("<u8") or bands.shape != (len(a["lsh_keys"]), index.lsh.b):
                raise ValueError(f"band keys of shape {bands.shape}")
            for key, row, cluster in zip(a["lsh_keys"].tolist(), bands, a["lsh_clusters"].tolist(), strict=True):
                raw = row.astype("<u8").tobytes()
                hs = [raw[i:i + 8] for i in range(0, len(raw), 8)]
                index.lsh.keys.insert(key, *hs)  # what MinHashLSH.insert stores, from the saved band keys
                for h, table in zip(hs, index.lsh.hashtables, strict=True):
                    table.insert(h, key)
                index.cluster_of[key] = cluster
            index.by_exact = dict(zip(a["exact_keys"].tolist(), a["exact_clusters"].tolist(), strict=True))
            index.sizes = Counter(dict(zip(a["size_clusters"].tolist(), a["sizes"].tolist(), strict=True)))
            for cluster, month in zip(a["month_clusters"].tolist(), a["month_months"].tolist(), strict=True):
                index.cluster_months[cluster].add(month)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            return None
        return index


_SAVED_ARRAYS = ("months", "lsh_keys", "lsh_bands", "lsh_clusters", "exact_keys", "exact_clusters",
                 "size_clusters", "sizes", "month_clusters", "month_months")


def _strings(values) -> np.ndarray:
    return np.array(list(values), dtype=np.str_)


def prompt_key(month: str, conversation_id: str, round_index: int) -> str:
    """Sortable by month first, so the earliest prompt of a cluster names it."""
    return f"{month}/{conversation_id}/{round_index:04d}"


def index_for(
    saved: TemplateIndex | None, earlier: list[str], load: Callable[[str], list[dict]]
) -> tuple[TemplateIndex, str]:
    """The index holding exactly the `earlier` months (in order): the saved one when it does (the
    incremental case), else one rebuilt from their stored rows (`load(month)`), signatures not text."""
    if saved is not None and saved.months == earlier:
        return saved, "incremental"
    index = TemplateIndex()
    for month in earlier:
        for row in load(month):
            index.add(month, row["prompt_key"], row["exact_key"], row["minhash"])
        index.months.append(month)
    return index, f"rebuilt from {len(earlier)} earlier months"


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


def flag_month(index: TemplateIndex, month: str, prompts: list[dict]) -> list[dict]:
    """Add the month's prompts (dicts with prompt_key and text) to the index; each gets its exact-text
    key, signature (null for prompts under MIN_WORDS words) and cluster id, without its text."""
    out = []
    for prompt in sorted(prompts, key=lambda p: p["prompt_key"]):
        text = prompt.pop("text") or ""
        words = len(_WORD.findall(text.lower()))
        values = signature(text) if words >= MIN_WORDS else None
        exact = exact_key(text)
        cluster = index.add(month, prompt["prompt_key"], exact, values)
        out.append({**prompt, "exact_key": exact, "words": words, "cluster_id": cluster,
                    "minhash": None if values is None else values.tolist()})
    index.months.append(month)
    for row in out:
        row["cluster_size"] = index.sizes[row["cluster_id"]]
    return out


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
