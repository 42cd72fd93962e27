"""A derived split with the largest template clusters down-sampled.

A conversation belongs to the template cluster of its first user prompt. In
each cluster flagged as a template (at least `min_cluster_size` prompts), at
most `max_per_cluster` of the month's conversations are kept: a deterministic
sample (lowest sha256 of conversation_hash), so re-runs keep the same ones.
The full non-toxic split is unchanged; this one is published beside it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import pyarrow as pa

DERIVED_SPLIT = "nontoxic_template_capped"


def cap_template_clusters(release: pa.Table, prompts: list[dict], max_per_cluster: int,
                          min_cluster_size: int) -> tuple[pa.Table, int]:
    """(the release rows kept, how many were sampled out)."""
    cluster_of: dict[str, tuple[str, int]] = {}
    for prompt in prompts:
        if prompt["round"] == 0:
            cluster_of.setdefault(prompt["conversation_hash"], (prompt["cluster_id"], prompt["cluster_size"]))
    members: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for index, conversation in enumerate(release.column("conversation_hash").to_pylist()):
        cluster, size = cluster_of.get(conversation, (None, 0))
        if cluster is not None and size >= min_cluster_size:
            members[cluster].append((hashlib.sha256(conversation.encode()).hexdigest(), index))
    dropped = set()
    for rows in members.values():
        dropped.update(index for _, index in sorted(rows)[max_per_cluster:])
    keep = [i for i in range(release.num_rows) if i not in dropped]
    return release.take(pa.array(keep, type=pa.int64())), len(dropped)
