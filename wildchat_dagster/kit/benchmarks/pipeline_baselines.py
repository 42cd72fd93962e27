"""Plain baselines for `bench pipeline --compare`, on samples of the benchmark month's own data.

Each baseline is what one would write first, run in this process beside the
stage's own core on the same input: the authors' per-request dict linking, a
plain Presidio analyze + anonymize loop (its output must equal the stage's),
one fastText predict per turn, one Detoxify.predict per text with
bert-base-sized random weights (small sample: it is slow by design), pandas
for the release splits and the statistics (table_baselines.py).
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import time
from pathlib import Path

from wildchat_dagster.core.storage.warehouse import Warehouse
from wildchat_dagster.kit.benchmarks.table_baselines import compare_release, compare_statistics
from wildchat_dagster.stages import Stage

PII_SAMPLE = 300  # utterances; the plain loop runs at tens of texts per second
LANGUAGE_SAMPLE = 5_000
DETOXIFY_SAMPLE = 24


def _digest(messages: list) -> bytes:
    return hashlib.blake2b(json.dumps(messages, ensure_ascii=False).encode(), digest_size=16).digest()


def authors_linking(logs: list[dict]) -> dict[str, str]:
    """WildChat's authors' linking: each request continues the conversation whose last
    exchange its history ends with, found by a dict lookup on the whole history."""
    open_ends: dict[bytes, str] = {}
    conversation_of: dict[str, str] = {}
    for log in sorted(logs, key=lambda row: row["timestamp"]):
        history = [[m["role"], m["content"]] for m in log["history"] or []]
        conversation = open_ends.pop(_digest(history), log["log_id"]) if history else log["log_id"]
        conversation_of[log["log_id"]] = conversation
        open_ends[_digest(history + [["user", log["prompt"]], ["assistant", log["response"]]])] = conversation
    return conversation_of


def _utterances(store: Warehouse, asset: str, month: str, n: int, seed: int = 0) -> list[tuple[str, dict]]:
    rows = store.read_records(asset, month)
    pairs = [(row["conversation_id"], u) for row in rows for u in row["conversation"]]
    return random.Random(seed).sample(pairs, min(n, len(pairs)))


def compare_linking(store: Warehouse, month: str) -> dict:
    from wildchat_dagster.core.linking.chains import link_month
    from wildchat_dagster.core.months import month_window

    logs = [row for m in month_window(month) for row in store.read_records(Stage.RAW_LOGS, m)]
    started = time.perf_counter()
    ours = link_month(logs, month)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs = authors_linking(logs)
    theirs_s = time.perf_counter() - started
    return {
        "logs": len(logs),
        "link_month_s": round(ours_s, 2),
        "authors_dict_s": round(theirs_s, 2),
        "ratio": round(theirs_s / ours_s, 2) if ours_s else None,
        "link_month_conversations": ours.counts["conversations"],
        "authors_conversations": len(set(theirs.values())),  # no retries, prefixes or month ownership
    }


def compare_pii(store: Warehouse, month: str, data_dir: Path) -> dict:
    from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts, redact_texts_plain
    from wildchat_dagster.resources.pii_redactor import PIIRedactor

    sample = _utterances(store, Stage.LANGUAGE_TAGGED_CONVERSATIONS, month, PII_SAMPLE)
    items = [TextToRedact(cid, u["content"], u["language"]) for cid, u in sample]
    redactor = PIIRedactor.from_defaults(data_dir).get_redactor()
    redactor.propose_fast([("warm up", "en")])
    fast, fast_report = redact_texts(items, redactor, workers=1)
    plain, plain_report = redact_texts_plain(items, redactor)
    return {
        "texts": len(items),
        "mean_chars": round(sum(len(it.text or "") for it in items) / max(1, len(items))),
        "cache_hits": fast_report.cache_hits,
        "stage_texts_per_s": round(fast_report.texts_per_second, 1),
        "plain_presidio_texts_per_s": round(plain_report.texts_per_second, 1),
        "ratio": round(fast_report.texts_per_second / plain_report.texts_per_second, 1),
        "mismatches": sum(a != b for a, b in zip(fast, plain, strict=True)),
    }


def compare_language(store: Warehouse, month: str) -> dict:
    from wildchat_dagster.core.language.detection import tag_languages
    from wildchat_dagster.resources.language_detector import LanguageDetector

    sample = _utterances(store, Stage.GEOTAGGED_CONVERSATIONS, month, LANGUAGE_SAMPLE)
    detector = LanguageDetector.from_defaults()
    rows = [{"conversation_id": cid, "conversation": [u]} for cid, u in sample]
    detector.predict(["warm up"])
    started = time.perf_counter()
    tagged, _ = tag_languages(rows, detector.predict)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    plain = [detector.predict([(u["content"] or "").replace("\n", " ")])[0][0][0] for _, u in sample]
    plain_s = time.perf_counter() - started
    return {
        "utterances": len(sample),
        "stage_per_s": round(len(sample) / ours_s),
        "one_predict_per_turn_per_s": round(len(sample) / plain_s),
        "ratio": round(plain_s / ours_s, 2),
        "plain_languages_found": len(set(plain)),
        "stage_languages_found": len({row["language"] for row in tagged}),
    }


def compare_detoxify() -> dict:
    from wildchat_dagster.kit.benchmarks.moderation import bench_detoxify

    with tempfile.TemporaryDirectory() as work:
        return bench_detoxify(DETOXIFY_SAMPLE, Path(work))


def compare_baselines(root: Path, month: str, quiet: bool = False) -> dict:
    store = Warehouse(root)
    out: dict = {}
    for name, compare in (
        ("linking", lambda: compare_linking(store, month)),
        ("pii", lambda: compare_pii(store, month, root)),
        ("language", lambda: compare_language(store, month)),
        ("detoxify", compare_detoxify),
        ("release", lambda: compare_release(store, month)),
        ("statistics", lambda: compare_statistics(store, month)),
    ):
        try:
            out[name] = compare()
        except Exception as error:  # a baseline that cannot run here is reported, not fatal
            out[name] = {"error": f"{type(error).__name__}: {error}"}
        if not quiet:
            print(f"baseline {name}: {out[name]}")
    return out
