"""Synthetic raw request logs with ground truth: the embedded default data.

`generate_landing` writes `landing/<YYYY-MM>/requests-NNN.jsonl[.gz]` the way
a chatbot front end would log requests (one JSON object per request, the
folder naming the UTC month of the request's `timestamp`) and, beside it in
`ground_truth/`, what a correct pipeline must recover from them: every
conversation with its turns, its month, its country and language, the PII and
secrets planted in it, the retries, the absorbed prefixes and every line that
breaks the raw-log contract. The hard cases of the linking rules (issue 2)
are planted on purpose, several times per month; everything else is drawn
from WildChat-like distributions. Output is a pure function of the seed.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

from wildchat_dagster.core.months import parse_month, shift_month
from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.kit.synthetic.conversations import Generator
from wildchat_dagster.kit.synthetic.geo_pool import geo_pool
from wildchat_dagster.kit.synthetic.records import Log, format_time, utc_month
from wildchat_dagster.kit.synthetic.shares import _CASE_RATES, HARD_CASES, PII_TYPES, REJECTION_REASONS, SECRET_KINDS

__all__ = ["HARD_CASES", "PII_TYPES", "REJECTION_REASONS", "SECRET_KINDS", "generate_landing"]
_LINES_PER_FILE = 25_000


# --- writing --------------------------------------------------------------------


def _render(log: Log) -> str:
    branch = log.branch
    k = log.round
    return (
        f'{{"log_id": "{log.log_id}", "timestamp": "{format_time(log.ts, log.browser)}", '
        f'"response_timestamp": "{format_time(log.rts, log.browser)}", "model": "{log.model}", '
        f'"ip": "{log.ip}", "headers": {log.browser.headers_json}, "history": {branch.history_json(k)}, '
        f'"prompt": {branch.encoded(2 * k)}, "response": {branch.encoded(2 * k + 1)}}}'
    )


def _write_month(
    gen: Generator, data_dir: Path, month: str, logs: list[Log], retry_copies: set[str]
) -> tuple[list[dict], int, int]:
    """Write one landing folder; returns (rejected rows, files written, bytes written)."""
    rng = gen.rng
    logs.sort(key=lambda log: (log.rts, log.log_id))  # a front end logs a request when its reply completes
    entries: list[tuple[str | None, str | bytes]] = [(None, _render(log)) for log in logs]
    for _ in range(gen.duplicates.get(month, 0)):
        # A log shipper that wrote the same line twice.
        candidates = [i for i in range(len(logs)) if logs[i].log_id not in retry_copies]
        if not candidates:
            break
        i = rng.choice(candidates)
        entries.insert(i + 1, ("duplicate_log_id", entries[i][1]))
        logs.insert(i + 1, logs[i])
    for reason, line in gen.junk.get(month, []):
        entries.insert(rng.randrange(len(entries) + 1), (reason, line))
    folder = DataLayout(data_dir).landing_month_dir(month)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("requests-*.jsonl*"):
        stale.unlink()
    n_files = max(2, -(-len(entries) // _LINES_PER_FILE))
    size = -(-len(entries) // n_files) if entries else 0
    rejected: list[dict] = []
    written = 0
    for f in range(n_files):
        chunk = entries[f * size : (f + 1) * size]
        name = f"requests-{f:03d}.jsonl" + (".gz" if f % 3 == 1 else "")
        relative = f"landing/{month}/{name}"
        parts: list[bytes] = []
        pending: list[str] = []
        for line_number, (reason, line) in enumerate(chunk, start=1):
            if reason is not None:
                rejected.append({"source_file": relative, "line_number": line_number, "reason": reason})
            if isinstance(line, bytes):
                if pending:
                    parts.append(("\n".join(pending) + "\n").encode())
                    pending = []
                parts.append(line + b"\n")
            else:
                pending.append(line)
        if pending:
            parts.append(("\n".join(pending) + "\n").encode())
        payload = b"".join(parts)
        if name.endswith(".gz"):
            payload = gzip.compress(payload, compresslevel=1, mtime=0)
        (folder / name).write_bytes(payload)
        written += len(payload)
    return rejected, n_files, written


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _validated_months(months: list[str]) -> list[str]:
    if not months:
        raise ValueError("no months given")
    for m in months:
        try:
            parse_month(m)
        except ValueError:
            raise ValueError(f"month {m!r} is not YYYY-MM") from None
        if len(m) != 7:
            raise ValueError(f"month {m!r} is not YYYY-MM")
    out = sorted(set(months))
    return out


def _plant_month(gen: Generator, month: str, n: int, base: int, has_previous: bool) -> None:
    """Plant `month`'s hard cases, then ordinary conversations up to exactly `n`, then its junk lines."""
    before = len(gen.expected)
    for case in HARD_CASES:
        if case in ("cross_month", "reply_crosses_month") and not has_previous:
            continue
        groups = max(base, round(_CASE_RATES[case] * n)) if base else 0
        for _ in range(groups):
            getattr(gen, f"case_{case}")(month)
    for features, language in gen.forced_features(base):
        if len(gen.expected) - before >= n:
            break
        gen.ordinary(month, features, language)
    while len(gen.expected) - before < n:
        gen.ordinary(month)
    if len(gen.expected) - before > n:
        raise ValueError(f"{n} conversations per month are too few for the planted cases")
    per_reason = max(2, round(n * 0.0002))
    gen.plant_junk(month, per_reason, 1 if n < 10_000 else 2)


def _logs_by_month(gen: Generator, months: list[str]) -> dict[str, list[Log]]:
    """The written logs by the landing folder (UTC month of the request) they go to."""
    by_folder: dict[str, list[Log]] = {m: [] for m in months}
    for log in gen.logs:
        if log.written:
            folder = utc_month(log.ts)
            if folder not in by_folder:
                raise AssertionError(f"generator bug: a log falls in {folder}, outside the generated months")
            by_folder[folder].append(log)
    return by_folder


def _tallies(records: list[dict], months: list[str]) -> tuple[dict, dict, dict, dict]:
    """Expected conversations per month, by language, by hard case and by planted value type."""
    cases: dict[str, int] = {}
    planted: dict[str, int] = {}
    languages: dict[str, int] = {}
    per_month: dict[str, int] = {m: 0 for m in months}
    for r in records:
        per_month[r["month"]] += 1
        languages[r["language"]] = languages.get(r["language"], 0) + 1
        for c in r["cases"]:
            cases[c] = cases.get(c, 0) + 1
        for p in r["planted"]:
            planted[p["type"]] = planted.get(p["type"], 0) + 1
    return per_month, languages, cases, planted


def _write_landing(gen: Generator, data_dir: Path, months: list[str]) -> tuple[list[dict], int, int, int]:
    """Write every month's landing files: (the planted rejected lines, files, bytes, logs written)."""
    by_folder = _logs_by_month(gen, months)
    retry_copies = {copy.log_id for copy, _ in gen.retries}
    rejected: list[dict] = []
    files = 0
    size = 0
    logs_written = 0
    for month in months:
        logs_written += len(by_folder[month])
        rows, f, b = _write_month(gen, data_dir, month, by_folder[month], retry_copies)
        rejected += rows
        files += f
        size += b
    return rejected, files, size, logs_written


def generate_landing(
    data_dir: Path, months: list[str], conversations_per_month: int, seed: int, short: bool = False
) -> dict:
    """Write synthetic raw logs for `months` into `data_dir/landing` and the ground truth
    into `data_dir/ground_truth`; return a summary (also written as summary.json).

    Each month gets exactly `conversations_per_month` expected conversations
    (a conversation's month is the UTC month of its last reply). With at least
    300 per month every hard case is planted at least three times per month
    (once from 60; none below), cross-month cases only where the previous month
    is generated too. Landing files of the given months are replaced.

    ground_truth/absorbed.jsonl lists two kinds of strict prefixes that end a
    chain of their own: the surviving logs before a lost log (`lost_log`), and
    a client's one-round chat whose identical opening the same client (same
    fingerprint, model and IP) sent again hours later and continued
    (`repeated_opening`). retries.jsonl lists every second copy of a request.

    Texts have WildChat's lengths (user turns ~620 characters, replies ~1,300,
    a long tail of pasted documents and code); `short` writes the demo's
    one-to-three-sentence messages instead, for fast tests.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    months = _validated_months(months)
    if conversations_per_month < 0:
        raise ValueError("conversations_per_month must be >= 0")
    n = conversations_per_month
    gen = Generator(seed, geo_pool(), realistic=not short)
    base = 3 if n >= 300 else (1 if n >= 60 else 0)

    for i, month in enumerate(months):
        has_previous = i > 0 and months[i - 1] == shift_month(month, -1)
        _plant_month(gen, month, n, base, has_previous)

    rejected, files, size, logs_written = _write_landing(gen, data_dir, months)

    truth = DataLayout(data_dir).ground_truth_dir
    truth.mkdir(parents=True, exist_ok=True)
    records = sorted((e.record() for e in gen.expected), key=lambda r: (r["month"], r["conversation_id"]))
    _write_jsonl(truth / "conversations.jsonl", records)
    _write_jsonl(truth / "rejected.jsonl", rejected)
    _write_jsonl(truth / "retries.jsonl", [{"log_id": c.log_id, "retry_of": o.log_id} for c, o in gen.retries])
    _write_jsonl(truth / "absorbed.jsonl", [
        {"conversation_id": log_id, "absorbed_into": into.logs[-1].log_id}  # type: ignore[union-attr]
        for log_id, into in gen.absorbed
    ])

    per_month, languages, cases, planted = _tallies(records, months)
    reasons: dict[str, int] = {}
    for r in rejected:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    summary = {
        "seed": seed,
        "lengths": "short" if short else "realistic",
        "months": months,
        "conversations": len(records),
        "conversations_per_month": per_month,
        "logs_written": logs_written,
        "lost_logs": sum(1 for log in gen.logs if not log.written),
        "retries": len(gen.retries),
        "absorbed": len(gen.absorbed),
        "rejected_planted": len(rejected),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "lines_written": logs_written + len(rejected),
        "files": files,
        "bytes": size,
        "toxic": sum(1 for r in records if r["toxic"]),
        "cases": dict(sorted(cases.items())),
        "planted": dict(sorted(planted.items())),
        "languages": dict(sorted(languages.items(), key=lambda kv: -kv[1])),
        "geoip_database_build_date": gen.pool.build_date,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (truth / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
