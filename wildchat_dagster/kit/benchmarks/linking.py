"""Linking speed: `link_month` on the three-month window of `size` synthetic conversations.

The logs are built in memory (no files, no Dagster) with WildChat-like turn
counts and the hard cases linking must handle: retries, regenerations, lost
logs, IP changes, identical openings and conversations crossing a month
boundary. Prints logs per second and peak memory.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
import tracemalloc

from wildchat_dagster.core.linking.chains import link_month

MONTHS = ("2023-04", "2023-05", "2023-06")
START = dt.datetime(2023, 4, 1, tzinfo=dt.UTC)
SPAN = dt.datetime(2023, 7, 1, tzinfo=dt.UTC) - START
WORDS = [
    "the",
    "model",
    "answer",
    "question",
    "python",
    "code",
    "write",
    "story",
    "please",
    "explain",
    "how",
    "why",
    "translate",
    "list",
    "table",
    "function",
    "data",
    "error",
    "help",
    "example",
    "summary",
    "poem",
    "email",
    "letter",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words))


def _turns(rng: random.Random) -> int:
    """Mean about 2.5, about 41% multi-turn, a tail beyond 10."""
    if rng.random() < 0.59:
        return 1
    return min(40, 2 + int(rng.expovariate(1 / 2.6)))


def synthetic_logs(size: int, seed: int = 0) -> list[dict]:
    """RAW_LOGS-shaped rows of `size` conversations spread over three months."""
    rng = random.Random(seed)
    agents = [f"Mozilla/5.0 (Browser {i}) Chrome/{100 + i % 20}.0" for i in range(200)]
    languages = ["en-US,en;q=0.9", "zh-CN,zh;q=0.9", "ru-RU,ru;q=0.9", "fr-FR", "es-ES", "de-DE"]
    logs: list[dict] = []
    for n in range(size):
        ua, lang = rng.choice(agents), rng.choice(languages)
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        model = "gpt-4-0314" if rng.random() < 0.24 else "gpt-3.5-turbo-0301"
        if rng.random() < 0.02:  # near a month boundary, so it may cross it
            boundary = rng.choice([dt.datetime(2023, 5, 1, tzinfo=dt.UTC), dt.datetime(2023, 6, 1, tzinfo=dt.UTC)])
            sent = boundary - dt.timedelta(minutes=rng.uniform(1, 20))
        else:
            sent = START + SPAN * rng.random() * 0.99
        history: list[dict] = []
        opening = rng.random() < 0.2
        for turn in range(_turns(rng)):
            prompt = "hi" if opening and turn == 0 else _text(rng, rng.randint(3, 60))
            response = "Hello! How can I help you today?" if opening and turn == 0 else _text(rng, rng.randint(10, 200))
            if rng.random() < 0.03:
                ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"  # mobile IP change
            reply = sent + dt.timedelta(seconds=rng.uniform(2, 40))
            log = {
                "log_id": f"c{n}-t{turn}",
                "timestamp": sent,
                "response_timestamp": reply,
                "model": model,
                "ip": ip,
                "user_agent": ua,
                "accept_language": lang,
                "headers_json": "{}",
                "history": list(history),
                "prompt": prompt,
                "response": response,
                "extra_json": None,
                "source_file": "bench",
                "line_number": len(logs) + 1,
            }
            if rng.random() > 0.02 or turn == 0:  # about 2% of later requests' logs are lost
                logs.append(log)
            if rng.random() < 0.02:
                logs.append(log | {"log_id": f"c{n}-t{turn}-retry", "timestamp": sent + dt.timedelta(seconds=3)})
            if rng.random() < 0.03:
                logs.append(log | {"log_id": f"c{n}-t{turn}-regen", "timestamp": reply + dt.timedelta(seconds=5),
                                   "response_timestamp": reply + dt.timedelta(seconds=25), "response": _text(rng, 30)})
            history += [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
            sent = reply + dt.timedelta(seconds=rng.uniform(5, 900))
    return logs


def run(size: int) -> dict:
    logs = synthetic_logs(size)
    month = MONTHS[1]
    started = time.perf_counter()
    links = link_month(logs, month)
    seconds = time.perf_counter() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Linking's own allocations, measured in a second (slower, traced) run on the same logs.
    tracemalloc.start()
    link_month(logs, month)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    figures = {
        "conversations_generated": size,
        "window_logs": len(logs),
        "month": month,
        "month_logs": links.counts["logs_in"],
        "month_conversations": links.counts["conversations"],
        "seconds": round(seconds, 3),
        "logs_per_second": round(len(logs) / seconds),
        "linking_peak_mb": round(traced_peak / 2**20, 1),
        "process_peak_rss_mb": round(peak_rss_mb, 1),
        "retries": links.counts["retry"],
        "prefixes_absorbed": links.counts["prefixes_absorbed"],
        "cross_month_in": links.counts["cross_month_in"],
        "cross_month_out": links.counts["cross_month_out"],
    }
    print(
        f"link_month({month}): {len(logs):,} window logs of {size:,} conversations in {seconds:.2f} s "
        f"= {figures['logs_per_second']:,} logs/s; linking peak {figures['linking_peak_mb']} MB "
        f"(process peak RSS {figures['process_peak_rss_mb']} MB)"
    )
    print({k: v for k, v in figures.items() if k not in ("seconds", "logs_per_second")})
    return figures


if __name__ == "__main__":
    import sys

    run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
