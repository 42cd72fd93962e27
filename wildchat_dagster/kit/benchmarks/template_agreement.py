"""Agreement of template clusters with the datasketch version (the bench's reference; datasketch is
the `bench` extra, no longer a dependency of the pipeline).

The reference is what core/reporting/templates.py did with datasketch 1.6.5:
each prompt's word 3-gram shingle set into a MinHash (128 permutations, seed
1), MinHashLSH (threshold 0.5: 25 bands of 5) queried then inserted prompt by
prompt, the smallest candidate cluster joined; exact repeats join first.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np

from wildchat_dagster.core.reporting.template_index import TemplateIndex
from wildchat_dagster.core.reporting.template_signatures import NUM_PERM, THRESHOLD
from wildchat_dagster.core.reporting.templates import _WORD, MIN_WORDS, exact_key, flag_month


def _prompts(texts: list[str]) -> list[dict]:
    return [{"prompt_key": f"2023-04/c{i:07d}/0000", "month": "2023-04", "conversation_id": f"c{i}", "round": 0,
             "conversation_hash": None, "turn_identifier": None, "hashed_ip": None, "text": t, "example": None}
            for i, t in enumerate(texts)]


def datasketch_clusters(texts: list[str], seed: int = 1) -> tuple[list[int], float]:
    """Each prompt's cluster (the position of its first prompt) as the datasketch version gave it (seed
    1; another seed: how much two draws of MinHash permutations disagree); CPU s."""
    from datasketch import MinHash, MinHashLSH

    started = time.process_time()
    permutations = MinHash(num_perm=NUM_PERM, seed=seed).permutations
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    cluster_of: dict[int, int] = {}
    by_exact: dict[str, int] = {}
    clusters = []
    for i, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        exact = exact_key(text)
        cluster = by_exact.get(exact)
        if cluster is None and len(words) >= MIN_WORDS:
            minhash = MinHash(num_perm=NUM_PERM, seed=seed, permutations=permutations)
            minhash.update_batch(list({" ".join(words[k:k + 3]).encode() for k in range(len(words) - 2)}))
            cluster = min((cluster_of[k] for k in lsh.query(minhash)), default=i)
            lsh.insert(i, minhash, check_duplication=False)
            cluster_of[i] = cluster
        cluster = i if cluster is None else cluster
        by_exact.setdefault(exact, cluster)
        clusters.append(cluster)
    return clusters, time.process_time() - started


def _pairs(counts) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def rensa_clusters(texts: list[str]) -> tuple[list[int], float]:
    """Each prompt's cluster (the position of its first prompt) as template_prompts gives it; CPU s."""
    started = time.process_time()
    with flag_month(TemplateIndex(), "2023-04", [_prompts(texts)]) as flagged:
        table = flagged.table()
    cpu = time.process_time() - started
    position = {key: i for i, key in enumerate(table.column("prompt_key").to_pylist())}
    return [position[c] for c in table.column("cluster_id").to_pylist()], cpu


def agreement(clusters: tuple[list[int], float], reference: tuple[list[int], float]) -> dict:
    """Clusters of the same prompts against the reference's: pair-wise precision and recall of "same
    cluster" pairs, and the share of prompts whose cluster has exactly the same members."""
    (new, cpu), (old, old_cpu) = clusters, reference
    both = Counter(zip(old, new, strict=True))
    old_sizes, new_sizes = Counter(old), Counter(new)
    pairs_old, pairs_new, pairs_both = _pairs(old_sizes.values()), _pairs(new_sizes.values()), _pairs(both.values())
    same = np.mean([both[o, n] == old_sizes[o] == new_sizes[n] for o, n in zip(old, new, strict=True)])
    return {"prompts": len(old), "pairs_old": pairs_old, "pairs_new": pairs_new, "pairs_both": pairs_both,
            "precision": pairs_both / pairs_new if pairs_new else 1.0,
            "recall": pairs_both / pairs_old if pairs_old else 1.0,
            "same_membership": float(same), "cpu_new_s": round(cpu, 2), "cpu_old_s": round(old_cpu, 2)}
