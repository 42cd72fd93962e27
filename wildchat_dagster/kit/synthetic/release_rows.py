"""Published release files of any size, in WildChat-1M's schema, with the generator's realistic text.

For the explorer's tests and `bench explore`, which need a release of
hundreds of thousands of conversations without running the pipeline over
them: languages in the generator's shares, WildChat's turn counts, message
lengths from the generator (user ~620 characters with a long tail, replies
~1,300), some redaction placeholders and some toxic conversations.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wildchat_dagster.core.storage.layout import DataLayout
from wildchat_dagster.kit.synthetic import text
from wildchat_dagster.kit.synthetic.writing import Writing
from wildchat_dagster.schema import WILDCHAT_1M, placeholder

COUNTRIES = ("United States", "China", "Russia", "France", "Germany", "Brazil", "Japan", "India", None)
MODELS = ("gpt-3.5-turbo-0613", "gpt-4-0314", "gpt-4-1106-preview")
ROW_GROUP = 2_000


class ReleaseWriter(Writing):
    """Draws release rows; output is a pure function of the seed."""

    def __init__(self, seed: int, realistic: bool = True):
        self.rng = random.Random(seed)
        self.realistic = realistic
        self._weights = list(itertools.accumulate(b.share for b in text.LANGUAGES))

    def _bank(self) -> text.LanguageBank:
        return self.rng.choices(text.LANGUAGES, cum_weights=self._weights)[0]

    def conversation(self, month: str, number: int) -> dict:
        rng, bank = self.rng, self._bank()
        rounds = min(1 + int(rng.expovariate(0.6)), 30)
        start = datetime.fromisoformat(f"{month}-01T00:00:00+00:00") + timedelta(seconds=rng.randrange(27 * 86400))
        country = rng.choice(COUNTRIES)
        hashed_ip = hashlib.sha256(f"ip{rng.randrange(number // 3 + 1)}".encode()).hexdigest()
        toxic = rng.random() < 0.05
        redacted = rng.random() < 0.1
        turns, when = [], start
        for r in range(rounds):
            user = self.user_opening(bank) if r == 0 else self.followup(bank)
            if redacted and r == 0:
                user += " " + placeholder("EMAIL_ADDRESS")
            identifier = int.from_bytes(hashlib.sha256(f"{month}/{number}/{r}".encode()).digest()[:8]) >> 1 or 1
            when += timedelta(seconds=rng.randrange(20, 600))
            common = {"header": None, "language": bank.name, "redacted": redacted and r == 0,
                      "toxic": toxic and r == 0, "turn_identifier": identifier}
            turns.append({**common, "content": user, "role": "user", "country": country, "state": None,
                          "hashed_ip": hashed_ip, "timestamp": None,
                          "header": {"accept-language": "en-US,en;q=0.9", "user-agent": "Mozilla/5.0"}})
            turns.append({**common, "content": self.answer(bank), "role": "assistant", "country": None,
                          "state": None, "hashed_ip": None, "timestamp": when, "redacted": False})
        content = json.dumps([{"content": t["content"], "role": t["role"]} for t in turns])
        return {
            "conversation_hash": hashlib.sha256(content.encode()).hexdigest()[:32],
            "model": rng.choice(MODELS), "timestamp": when, "conversation": turns, "turn": rounds,
            "language": bank.name, "openai_moderation": None,
            "detoxify_moderation": [{"identity_attack": 0.0, "insult": 0.0, "obscene": 0.0, "severe_toxicity": 0.0,
                                     "sexual_explicit": 0.0, "threat": 0.0, "toxicity": 0.9 if t["toxic"] else 0.01}
                                    for t in turns],
            "toxic": toxic, "redacted": redacted, "state": None, "country": country,
            "hashed_ip": hashed_ip, "header": turns[0]["header"],
        }


def write_release(layout: DataLayout, months: list[str], conversations_per_month: int, seed: int = 0) -> int:
    """Write release/<split>/<month>.parquet for each month; returns the conversations written."""
    writer = ReleaseWriter(seed)
    detoxify_fields = {f.name for f in WILDCHAT_1M.field("detoxify_moderation").type.value_type}
    written = 0
    for month in months:
        writers: dict[str, pq.ParquetWriter] = {}
        buffers: dict[str, list[dict]] = {"nontoxic": [], "toxic": []}
        try:
            for number in range(conversations_per_month):
                row = writer.conversation(month, number)
                row["detoxify_moderation"] = [{k: v for k, v in d.items() if k in detoxify_fields}
                                              for d in row["detoxify_moderation"]]
                split = "toxic" if row["toxic"] else "nontoxic"
                buffers[split].append(row)
                if len(buffers[split]) == ROW_GROUP:
                    _flush(layout, month, split, buffers, writers)
                written += 1
            for split in buffers:
                _flush(layout, month, split, buffers, writers)
        finally:
            for open_writer in writers.values():
                open_writer.close()
    return written


def _flush(layout: DataLayout, month: str, split: str, buffers: dict, writers: dict) -> None:
    if not buffers[split]:
        return
    if split not in writers:
        path = Path(layout.published(split, month))
        path.parent.mkdir(parents=True, exist_ok=True)
        writers[split] = pq.ParquetWriter(path, WILDCHAT_1M)
    writers[split].write_table(pa.Table.from_pylist(buffers[split], schema=WILDCHAT_1M))
    buffers[split] = []
