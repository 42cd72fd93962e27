"""Proposals for a month's distinct texts, in the run's warm workers when there is enough work.

One batch of very many distinct texts (a month redacted as one batch) is
spread over the run's pool (`core/parallel`: started once, kept warm), past
`parallel_min_texts` texts that pass the prefilter. Each worker builds the
redactor once from its config; the entity types reach it inside the pickled
policy (registered types included: the workers import the modules that
define their hooks). The stage's usual batches go to the pool whole instead
(assets/redaction/batches.py), and a worker never starts a pool of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from wildchat_dagster.core.parallel.pool import run_pool
from wildchat_dagster.core.parallel.spec import Shared, WorkerSpec
from wildchat_dagster.core.redaction.engine import PresidioRedactor, Proposal, ProposalStats

ProgressFn = Callable[[str], None]


def _proposer(redactor: PresidioRedactor, log: ProgressFn | None = None) -> Callable:
    """In a worker: (text, code) items -> proposals and stats, by this process's redactor."""
    return redactor.propose_fast


def propose_distinct(
    distinct: list[tuple[str, str]],
    redactor: PresidioRedactor,
    workers: int,
    parallel_min_texts: int,
    stats: ProposalStats,
    progress: ProgressFn | None,
) -> tuple[list[list[Proposal]], int]:
    """Proposals for every distinct (text, code), and the number of processes used: this one or,
    when there is enough work to pay the workers' start-up, a pool fed only the texts that pass
    the prefilter. `stats` accumulates the analysis counts."""
    proposals: list[list[Proposal]] = [[] for _ in distinct]
    todo = list(range(len(distinct)))
    pooled = workers > 1 and len(distinct) >= parallel_min_texts
    if pooled:
        ner = redactor.ner_codes
        todo = [
            i for i, (text, code) in enumerate(distinct) if redactor.prefilter.possible_types(text, code, code in ner)
        ]
        stats.texts += len(distinct) - len(todo)
        pooled = len(todo) >= parallel_min_texts
    # Several batches per worker keep both busy to the end.
    chunk = min(2000, max(25, -(-len(todo) // (workers * 4)))) if pooled else 2000
    batches = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]

    def collect(n: int, batch: list[int], found: list[list[Proposal]], batch_stats: ProposalStats) -> None:
        for i, props in zip(batch, found, strict=True):
            proposals[i] = props
        stats.add(batch_stats)
        if progress and (n % 10 == 0 or n == len(batches)):
            progress(f"analysed {n}/{len(batches)} batches of distinct texts")

    pool = run_pool(workers, [__name__]) if pooled else None
    if pool is None:
        for n, batch in enumerate(batches, 1):
            collect(n, batch, *redactor.propose_fast([distinct[i] for i in batch]))
        return proposals, 1
    spec = WorkerSpec(_proposer, (Shared.of(PresidioRedactor, config=redactor.config),))
    results = pool.map(spec, batches, lambda batch: [distinct[i] for i in batch])
    for n, (batch, (found, batch_stats)) in enumerate(results, 1):
        collect(n, batch, found, batch_stats)
    return proposals, pool.workers
