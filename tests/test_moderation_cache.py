"""The persistent moderation cache: keys, durability, two processes writing at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from itertools import pairwise
from pathlib import Path

from wildchat_dagster.core.moderation.cache import ModerationCache, text_sha256

REPO = Path(__file__).resolve().parent.parent


def test_results_are_keyed_by_moderator_version_and_text(tmp_path):
    with ModerationCache(tmp_path / "cache.sqlite") as cache:
        stored = cache.put_many(
            "openai", "omni-moderation-latest", [("a", {"flagged": True}), ("b", {"flagged": False})]
        )
        assert stored == 2
        cache.put_many("detoxify", "multilingual:abc", [("a", {"toxicity": 0.5})])
        assert cache.get_many("openai", "omni-moderation-latest", ["a", "b", "c", "a"]) == {
            "a": {"flagged": True},
            "b": {"flagged": False},
        }
        assert cache.get_many("openai", "text-moderation-007", ["a"]) == {}
        assert cache.get_many("detoxify", "multilingual:abc", ["a"]) == {"a": {"toxicity": 0.5}}
        assert cache.count() == 3 and cache.count("openai") == 2


def test_stored_results_survive_reopening_and_texts_are_stored_only_as_hashes(tmp_path):
    path = tmp_path / "cache.sqlite"
    secret_text = "my email is someone@example.org"
    with ModerationCache(path) as cache:
        cache.put_many("profanity", "v1", [(secret_text, 0.25)])
    with ModerationCache(path) as cache:
        assert cache.get_many("profanity", "v1", [secret_text]) == {secret_text: 0.25}
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("SELECT text_sha256 FROM moderation_results").fetchone()[0] == text_sha256(secret_text)
    raw.close()
    assert b"someone@example.org" not in path.read_bytes()


def test_many_keys_are_looked_up_in_chunks(tmp_path):
    texts = [f"text {i}" for i in range(1234)]
    with ModerationCache(tmp_path / "cache.sqlite") as cache:
        cache.put_many("profanity", "v1", [(t, i) for i, t in enumerate(texts)])
        found = cache.get_many("profanity", "v1", texts)
    assert len(found) == 1234 and found["text 1000"] == 1000


WRITER = textwrap.dedent(
    """
    import pathlib, sys, time
    from wildchat_dagster.core.moderation.cache import ModerationCache
    path, name, go = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    while not go.exists():  # start together, so the writes really interleave
        time.sleep(0.005)
    cache = ModerationCache(path)
    for batch in range(100):
        cache.put_many("openai", "m", [(f"{name}-{batch}-{i}", {"by": name}) for i in range(25)])
        cache.put_many("openai", "m", [(f"shared-{batch}-{i}", {"by": "either"}) for i in range(5)])
        assert len(cache.get_many("openai", "m", [f"{name}-{batch}-{i}" for i in range(25)])) == 25
        time.sleep(0.002)  # let the other process in between batches
    cache.close()
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "cache" / "moderation.sqlite"
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(go)], cwd=REPO, stderr=subprocess.PIPE, text=True
        )
        for name in ("march", "april")
    ]
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
    with ModerationCache(path) as cache:
        assert cache.count("openai") == 2 * 100 * 25 + 100 * 5
        march = cache.get_many("openai", "m", [f"march-{b}-{i}" for b in range(100) for i in range(25)])
        assert len(march) == 2500 and all(r == {"by": "march"} for r in march.values())
    raw = sqlite3.connect(path)
    writers_in_order = [
        by
        for (by,) in raw.execute("SELECT json_extract(result_json, '$.by') FROM moderation_results ORDER BY stored_at")
        if by != "either"
    ]
    raw.close()
    switches = sum(a != b for a, b in pairwise(writers_in_order))
    assert switches > 10  # the two processes really wrote in turns, not one after the other


def test_the_cache_database_is_owner_only_whatever_the_umask(tmp_path):
    import os
    import stat

    folder = tmp_path / "cache"
    old = os.umask(0o022)
    try:
        cache = ModerationCache(folder / "moderation.sqlite")
        cache.put_many("openai", "omni-moderation-latest", [("hello", {"flagged": False})])
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [p for p in folder.iterdir() if p.name.startswith("moderation.sqlite")]
    assert files and {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}


def test_digests_given_by_the_caller_key_the_same_rows(tmp_path):
    texts = ["first text", "second text"]
    digests = {t: text_sha256(t) for t in texts}
    with ModerationCache(tmp_path / "cache.sqlite") as cache:
        assert cache.put_many("profanity", "v1", [(t, i) for i, t in enumerate(texts)], digests) == 2
        assert cache.get_many("profanity", "v1", texts) == {"first text": 0, "second text": 1}
        assert cache.get_many("profanity", "v1", texts[::-1], digests) == {"first text": 0, "second text": 1}
        cache.put_many("profanity", "v1", [("first text", 5)])  # without digests: the same key, replaced
        assert cache.count() == 2 and cache.get_many("profanity", "v1", texts[:1], digests) == {"first text": 5}
