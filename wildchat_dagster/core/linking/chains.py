"""Link raw request logs into conversations, then deduplicate them (Dagster-free).

A chatbot request carries the whole conversation so far (`history`) plus the
new `prompt`; the logged `response` completes it. Linking follows the WildChat
authors (hash every request's full conversation, join a request's history
hash to it) with the cases their code drops kept. Every step is a hash join
(dicts keyed by content hashes) plus sorts and binary searches: O(n log n)
in the number of logs, plus one pass over each log's text.

Definitions. A client is (fingerprint, model, canonical IP); the fingerprint
is sha256(user-agent + accept-language). A message list is keyed by one
running sha256 over its length-framed messages, so the key of every
even-length prefix falls out of hashing a request's history once.

1. Retries. Logs with the same fingerprint, model, IP, history, prompt *and
   response*, each within `retry_window` of the previous one, are one
   request: the earliest is kept, the others are retries. The response must
   match: the same request answered differently is a regeneration, which
   rule 5 keeps as a conversation of its own. Retries never become parents,
   so children attach to the kept log.
2. Parents. A kept log's parent is a kept log with an earlier request
   timestamp, the same fingerprint and model, whose full conversation equals
   the log's history; among several, the latest with the same IP, else the
   latest with any IP (mobile clients change IP) unless the log's own IP
   sent an earlier round of the same history more recently than that
   candidate's lineage did (then the candidate is another client with the
   same opening, and this log starts a chain whose lost rounds absorption
   fills from its own client's log). Different fingerprints never link
   (NAT), so identical openings of different clients stay apart.
3. Chain ends. A kept log that is nobody's parent ends a conversation
   (linked_conversations holds one row per chain end). Its id is the end
   log's log_id, its `timestamp` the end log's response time, its month that
   timestamp's UTC month. Rounds before the chain's first log (their log was
   lost; the content comes from a later request's history) get null
   per-turn metadata.
4. Absorption. A conversation A whose content is a strict prefix of a
   conversation B of the same fingerprint and model, where A's end log's IP
   is the IP of some log of B's chain, is absorbed by B when B carried A's
   content on (its first request past A's rounds) at or after A's last
   reply; among several, by the one that continued it first (resolved
   transitively). B lists A in `absorbed_conversation_ids`, adds A's logs
   to `log_ids`, and takes A's per-turn metadata for rounds whose own log
   is missing. This keeps a conversation whose intermediate log was lost
   whole, and never swallows a chat from another IP, nor a new chat with
   the same opening started after the other had moved on.
5. Regenerations. Same history, new response: both logs are chain ends
   unless continued; neither is a prefix of the other, so both stay.

Each log of month M's landing (request timestamp in M) gets one fate, and
one home conversation: itself when it ends one; for an ancestor the
earliest-ending conversation through it; for a retry its kept log's home;
and, when that conversation was absorbed, its absorber. A log whose home conversation belongs to
another month is `belongs_to_other_month` instead. The identity asserted by
the `conservation` check:

    logs_in = ends_conversation + ancestor + absorbed_prefix + retry + belongs_to_other_month
    conversations = ends_conversation + ends_from_previous_month

(the second: a conversation of M ends on a log of M, or of M-1 whose reply
arrived after midnight of the month boundary). linked_conversations has the
same identities before absorption (no absorbed_prefix term).

Month M is linked from the logs of M-1, M and M+1, so a conversation whose
logs span at most two consecutive months is complete in exactly one month.
One spanning three or more months keeps all its content (its last log
carries the history) but has null metadata for turns two months back.
"""


from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from wildchat_dagster.core.linking.conservation import Disposition, month_counts
from wildchat_dagster.core.linking.logs import LinkLog, TimeIndex, log_order, utc_month
from wildchat_dagster.core.linking.rows import Messages, RowPlan, build_rows, log_messages, logs_by_round
from wildchat_dagster.stages import Stage

# Reads the messages (history, prompt, response) of end logs back, in order.
TextSource = Callable[[list[LinkLog]], list[Messages]]

RETRY_WINDOW = dt.timedelta(seconds=60)


@dataclass
class MonthLinks:
    """The result of linking one month: plans of its rows in (timestamp, conversation_id) order,
    which `rows`/`batches` turn into conversation rows with the end logs' texts."""

    month: str
    linked_plans: list[RowPlan]
    deduplicated_plans: list[RowPlan]
    counts: dict[str, int]
    dispositions: dict[str, Disposition]  # month M's logs, after absorption
    linked_dispositions: dict[str, Disposition] = field(default_factory=dict)  # before absorption
    retries: dict[int, list[LinkLog]] = field(default_factory=dict)
    texts: TextSource | None = None  # where the end logs' messages are read back

    def plans(self, stage: str) -> list[RowPlan]:
        return self.linked_plans if stage == Stage.LINKED_CONVERSATIONS else self.deduplicated_plans

    def batches(self, stage: str, batch_rows: int, texts: TextSource | None = None) -> Iterator[list[dict]]:
        """The stage's rows, `batch_rows` at a time, texts joined back batch by batch."""
        plans = self.plans(stage)
        for start in range(0, len(plans), batch_rows):
            with _cyclic_gc_paused():  # the month's LinkLogs are still alive: no rescans of them per batch
                rows = build_rows(plans[start : start + batch_rows], texts or self.texts, self.retries)
            yield rows

    @property
    def linked(self) -> list[dict]:
        return [row for batch in self.batches(Stage.LINKED_CONVERSATIONS, 1 << 62) for row in batch]

    @property
    def deduplicated(self) -> list[dict]:
        return [row for batch in self.batches(Stage.DEDUPLICATED_CONVERSATIONS, 1 << 62) for row in batch]


def _mark_retries(logs: list[LinkLog], retry_window: dt.timedelta) -> dict[int, list[LinkLog]]:
    last_seen: dict[tuple, tuple[LinkLog, dt.datetime]] = {}
    retries: dict[int, list[LinkLog]] = defaultdict(list)
    for log in logs:
        key = (log.fp, log.model, log.ip, log.full_key)
        previous = last_seen.get(key)
        if previous is not None and log.ts - previous[1] <= retry_window:
            log.kept = previous[0]
            retries[log.kept.index].append(log)
            last_seen[key] = (log.kept, log.ts)
        else:
            last_seen[key] = (log, log.ts)
    return retries


def _link_parents(logs: list[LinkLog]) -> None:
    by_content: dict[tuple, TimeIndex] = defaultdict(TimeIndex)
    by_content_ip: dict[tuple, TimeIndex] = defaultdict(TimeIndex)
    for log in logs:  # time order: every candidate parent is indexed before its children
        if log.kept is not None:
            continue
        if log.round:
            key = (log.fp, log.model, log.hist_key)
            same_ip = by_content_ip.get(key + (log.ip,))
            parent = same_ip.latest_before(log.ts) if same_ip else None
            if parent is None and (any_ip := by_content.get(key)):
                parent = any_ip.latest_before(log.ts)
                if parent is not None and _own_lineage_is_newer(log, parent, by_content_ip):
                    log.refused, parent = parent, None
            if parent is not None:
                log.parent = parent
                parent.has_child = True
        key = (log.fp, log.model, log.full_key)
        by_content[key].add(log.ts, log)
        by_content_ip[key + (log.ip,)].add(log.ts, log)


def _own_lineage_is_newer(log: LinkLog, parent: LinkLog, by_content_ip: dict[tuple, TimeIndex]) -> bool:
    """Whether the request's own IP holds an earlier round of its history that is newer than the other-IP parent's.

    Then the other-IP candidate is another client with the same opening, not
    this client after an IP change: its lineage would graft this request onto
    someone else's conversation, while its own earlier log (whose successor
    was lost) is absorbed instead.
    """
    for rounds in range(len(log.prefix_keys) - 1, 0, -1):  # strict prefixes of the history, longest first
        own = by_content_ip.get((log.fp, log.model, log.prefix_keys[rounds - 1], log.ip))
        mine = own.latest_before(log.ts) if own else None
        if mine is None:
            continue
        theirs: LinkLog | None = parent
        while theirs is not None and theirs.round > mine.round:
            theirs = theirs.parent
        return theirs is None or theirs.round != mine.round or mine.ts > theirs.ts
    return False


def _chain(end: LinkLog) -> list[LinkLog]:
    chain = []
    log: LinkLog | None = end
    while log is not None:
        chain.append(log)
        log = log.parent
    chain.reverse()
    return chain


def _end_order(log: LinkLog) -> tuple:
    return (log.rts, log.row["log_id"], log.index)


def _absorbers(ends: list[LinkLog], chains: dict[int, list[LinkLog]]) -> dict[int, LinkLog]:
    """For each absorbed end (by index), the end of the conversation that absorbs it, resolved transitively."""
    continuations: dict[tuple, list[tuple]] = defaultdict(list)
    for order, end in enumerate(ends):
        chain = chains[end.index]
        ips = {log.ip for log in chain}
        for rounds, key in enumerate(end.prefix_keys, start=1):
            # The request that carried this prefix on: the first chain log past it.
            continuation = chain[max(0, rounds - chain[0].round)]
            for ip in ips:
                continuations[(end.fp, end.model, ip, key)].append((continuation.ts, order, end))
    indexes: dict[tuple, TimeIndex] = {}
    direct: dict[int, LinkLog] = {}
    for end in ends:
        key = (end.fp, end.model, end.ip, end.full_key)
        candidates = continuations.get(key)
        if not candidates:
            continue
        index = indexes.get(key)
        if index is None:
            index = indexes[key] = TimeIndex()
            for continued_at, _, candidate in sorted(candidates, key=lambda c: c[:2]):
                index.add(continued_at, candidate)
        # Only a request sent after this conversation's last reply can have continued it.
        absorber = index.first_at_or_after(end.rts)
        if absorber is not None:
            direct[end.index] = absorber
    resolved: dict[int, LinkLog] = {}
    for index, absorber in direct.items():
        while absorber.index in direct:
            absorber = direct[absorber.index]
        resolved[index] = absorber
    return resolved



@contextmanager
def _cyclic_gc_paused():
    """Linking allocates millions of small objects and frees none; the cyclic
    collector would rescan them over and over (2.4x slower at 100,000 conversations)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def window_logs(logs_by_month: dict[str, list[dict]], month: str) -> tuple[list[dict], int]:
    """The logs of months M-1..M+1 with one row per log_id, and how many neighbour rows were dropped.

    log_ids are checked unique within a month at ingestion; a source that reuses ids across
    months would make two requests one. The month's own copy wins (the neighbour's copy is
    linked in its own month), then the earlier month's.
    """
    order = [month] + sorted(m for m in logs_by_month if m != month)
    seen: set[str] = set()
    kept: list[dict] = []
    dropped = 0
    for m in order:
        for row in logs_by_month.get(m, []):
            if row["log_id"] in seen:
                dropped += 1
                continue
            seen.add(row["log_id"])
            kept.append(row)
    return kept, dropped


def link_month(logs: list[dict], month: str, retry_window: dt.timedelta = RETRY_WINDOW) -> MonthLinks:
    """Link and deduplicate the conversations of `month` from RAW_LOGS rows of months M-1..M+1 (any order)."""
    with _cyclic_gc_paused():
        fingerprints: dict = {}
        ips: dict = {}
        link_logs = [LinkLog(row, -1, fingerprints, ips, at=i) for i, row in enumerate(logs)]
        return _link_month(link_logs, month, lambda ends: [log_messages(logs[e.at]) for e in ends], retry_window)


def link_logs_of_month(logs: list[LinkLog], month: str, texts: TextSource | None,
                       retry_window: dt.timedelta = RETRY_WINDOW) -> MonthLinks:
    """Link the month from compact LinkLogs (any order); `texts` reads end logs' messages back."""
    with _cyclic_gc_paused():
        return _link_month(logs, month, texts, retry_window)


def _link_month(logs: list[LinkLog], month: str, texts: TextSource | None, retry_window: dt.timedelta) -> MonthLinks:
    ordered = sorted(logs, key=lambda log: log_order(log.row))
    for i, log in enumerate(ordered):
        log.index = i

    retries = _mark_retries(ordered, retry_window)
    _link_parents(ordered)

    ends = sorted((log for log in ordered if log.kept is None and not log.has_child), key=_end_order)
    chains = {end.index: _chain(end) for end in ends}
    for end in ends:  # earliest-ending first: an ancestor's home is the first conversation through it
        for log in chains[end.index]:
            if log.home is None:
                log.home = end
    absorbed_by = _absorbers(ends, chains)

    def final(end: LinkLog) -> LinkLog:
        return absorbed_by.get(end.index, end)

    # linked_conversations: every chain end of the month, before deduplication.
    linked = []
    for end in ends:
        if utc_month(end.rts) == month:
            chain = chains[end.index]
            linked.append(RowPlan(end, logs_by_round(end, chain), chain))

    # deduplicated_conversations: the ends nobody absorbed, completed by what they absorbed.
    absorbed_into: dict[int, list[LinkLog]] = defaultdict(list)
    for end in ends:  # in _end_order, so absorbed lists are too
        if end.index in absorbed_by:
            absorbed_into[absorbed_by[end.index].index].append(end)
    deduplicated = []
    for end in ends:
        if end.index in absorbed_by or utc_month(end.rts) != month:
            continue
        absorbed = absorbed_into.get(end.index, [])
        by_round = logs_by_round(end, chains[end.index])
        members = {log.index: log for log in chains[end.index]}
        for prefix in absorbed:
            for round_index, log in enumerate(logs_by_round(prefix, chains[prefix.index])):
                if by_round[round_index] is None and log is not None:
                    by_round[round_index] = log
            members.update((log.index, log) for log in chains[prefix.index])
        member_logs = [members[i] for i in sorted(members)]
        came_with = {log.index: prefix for prefix in absorbed for log in chains[prefix.index]}
        retry_logs = sorted((r for log in member_logs for r in retries.get(log.index, [])), key=lambda r: r.index)
        deduplicated.append(RowPlan(end, by_round, member_logs, chains[end.index], absorbed, came_with, retry_logs))

    linked.sort(key=lambda plan: plan.order)
    deduplicated.sort(key=lambda plan: plan.order)

    dispositions: dict[str, Disposition] = {}
    linked_dispositions: dict[str, Disposition] = {}
    for log in ordered:
        if log.month != month:
            continue
        kept = log.kept or log
        if log.kept is not None:
            fate = linked_fate = "retry"
        elif log.has_child:
            fate = linked_fate = "ancestor"
        else:
            linked_fate = "ends_conversation"
            fate = "absorbed_prefix" if log.index in absorbed_by else "ends_conversation"
        linked_home, home = kept.home, final(kept.home)
        if utc_month(linked_home.rts) != month:
            linked_fate = "belongs_to_other_month"
        if utc_month(home.rts) != month:
            fate = "belongs_to_other_month"
        log_id = log.row["log_id"]
        dispositions[log_id] = Disposition(fate, home.row["log_id"])
        linked_dispositions[log_id] = Disposition(linked_fate, linked_home.row["log_id"])

    counts = month_counts(month, ordered, linked, deduplicated, dispositions, linked_dispositions)
    return MonthLinks(month, linked, deduplicated, counts, dispositions, linked_dispositions, dict(retries), texts)
