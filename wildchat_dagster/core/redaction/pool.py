"""Proposals for a month's distinct texts, in worker processes when there is enough work.

Importing Presidio and spaCy takes seconds, so workers pay off only past
`parallel_min_texts` texts that pass the prefilter; they fork from a
forkserver that has this module (and so Presidio) loaded once. The entity
types reach them inside the pickled policy (registered types included: the
workers import the modules that define their hooks).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from wildchat_dagster.core.redaction.engine import PresidioRedactor, Proposal, ProposalStats, RedactorConfig

ProgressFn = Callable[[str], None]

_worker_redactor: PresidioRedactor | None = None


def _start_worker(config: RedactorConfig) -> None:
    global _worker_redactor
    _worker_redactor = PresidioRedactor(config)


def _propose_in_worker(items: list[tuple[str, str]]) -> tuple[list[list[Proposal]], ProposalStats]:
    assert _worker_redactor is not None
    return _worker_redactor.propose_fast(items)


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver, with this module (Presidio, spaCy: seconds to import) imported once in the
    server so every worker forks with it loaded; spawn where forkserver does not exist."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


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

    if not pooled:
        for n, batch in enumerate(batches, 1):
            collect(n, batch, *redactor.propose_fast([distinct[i] for i in batch]))
        return proposals, 1
    with ProcessPoolExecutor(
        workers, mp_context=_pool_context(), initializer=_start_worker, initargs=(redactor.config,)
    ) as pool:
        results = pool.map(_propose_in_worker, [[distinct[i] for i in batch] for batch in batches])
        for n, (batch, (found, batch_stats)) in enumerate(zip(batches, results, strict=True), 1):
            collect(n, batch, found, batch_stats)
    return proposals, workers
