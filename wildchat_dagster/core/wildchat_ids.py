"""WildChat's identifiers, shared by the release rows and the template index.

- `conversation_hash`: the first 32 hex digits of sha256 over
  `json.dumps([{"content": c, "role": r}, ...])` with Python's default
  separators and `ensure_ascii` (the authors' formula; it recomputes on real
  WildChat rows). Equal content gives equal hashes: it is not a unique key.
- `turn_identifier`: one int64 per user-assistant round, shared by the
  round's user and assistant utterance (as in WildChat). It is derived from
  the round's request `log_id`, so it is stable across re-runs and identifies
  that request: a round shared by two conversations (the common history of a
  regenerated branch) carries the same identifier in both. A round whose own
  log was lost (log_id null) gets one derived from conversation_id and the
  round's index. The value is the first 63 bits of a sha256, never 0. With n
  identifiers the chance that any two collide is about n²/2⁶⁴: 3·10⁻⁷ for
  WildChat-1M's 2.6 million rounds, 5·10⁻⁴ for 100 million.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

_INT63 = (1 << 63) - 1


def conversation_hash(messages: Iterable[Mapping[str, str] | tuple[str, str]]) -> str:
    """WildChat's content hash: messages as {role, content} dicts or (role, content) pairs."""
    pairs = [(m["role"], m["content"]) if isinstance(m, Mapping) else m for m in messages]
    payload = json.dumps([{"content": content, "role": role} for role, content in pairs])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _positive_int63(text: str) -> int:
    value = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") & _INT63
    return value or 1


def turn_identifier(log_id: str | None, conversation_id: str, round_index: int) -> int:
    """Stable positive int64 for one round: from its request log, else its place in the conversation."""
    if log_id:
        return _positive_int63(f"log:{log_id}")
    return _positive_int63(f"lost-round:{conversation_id}:{round_index}")
