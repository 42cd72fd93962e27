"""Moderation results as WildChat-1M stores them: the OpenAI struct and Detoxify's scores.

WildChat-1M stores, per utterance, the OpenAI moderation result with 18
category keys (the API's slash spellings and the Python client's underscore
spellings, same values) and Detoxify's 7 scores. A text the API finds too long
is moderated in parts whose results are combined here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from wildchat_dagster.schema import DETOXIFY_SCORES, OPENAI_CATEGORIES


def _canonical(category: str) -> str:
    return category.replace("/", "_").replace("-", "_")


def _by_canonical_key(values: dict | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        out.setdefault(_canonical(key), value)
    return out


def openai_struct(result: dict) -> dict:
    """The release struct: the 18 WildChat keys, slash and underscore spellings alike.

    A category the result lacks stays null rather than being guessed.
    """
    categories = _by_canonical_key(result.get("categories"))
    scores = _by_canonical_key(result.get("category_scores"))
    return {
        "categories": {c: _as_bool(categories.get(_canonical(c))) for c in OPENAI_CATEGORIES},
        "category_scores": {c: _as_float(scores.get(_canonical(c))) for c in OPENAI_CATEGORIES},
        "flagged": _as_bool(result.get("flagged")),
    }


def validate_openai_result(result: Any) -> dict:
    """The fields we rely on, checked: the client does not validate responses."""
    if not isinstance(result, dict):
        raise ValueError(f"moderation result is not an object: {type(result).__name__}")
    if not isinstance(result.get("flagged"), bool):
        raise ValueError("moderation result has no boolean 'flagged'")
    for field in ("categories", "category_scores"):
        if not isinstance(result.get(field), dict):
            raise ValueError(f"moderation result has no '{field}' object")
    return result


def combine_openai_results(parts: Sequence[dict]) -> dict:
    """One result for a text moderated in parts: flags OR-ed, scores max-ed (as WildChat did)."""
    if len(parts) == 1:
        return parts[0]
    combined: dict[str, Any] = {}
    for part in parts:  # keep every other field the parts carry (first value wins)
        for key, value in part.items():
            combined.setdefault(key, value)
    combined["flagged"] = any(bool(p.get("flagged")) for p in parts)
    combined["categories"] = _merge(parts, "categories", lambda a, b: bool(a) or bool(b))
    combined["category_scores"] = _merge(parts, "category_scores", max)
    if any(isinstance(p.get("category_applied_input_types"), dict) for p in parts):
        combined["category_applied_input_types"] = _merge(
            parts, "category_applied_input_types", lambda a, b: sorted(set(a or []) | set(b or []))
        )
    combined["combined_from_parts"] = sum(p.get("combined_from_parts", 1) for p in parts)
    return combined


def _merge(parts: Sequence[dict], field: str, join: Callable[[Any, Any], Any]) -> dict:
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in (part.get(field) or {}).items():
            if value is None:
                merged.setdefault(key, None)
            elif merged.get(key) is None:
                merged[key] = value
            else:
                merged[key] = join(merged[key], value)
    return merged


def split_in_halves(text: str) -> list[str]:
    """Two parts of a text the API rejected as too long, cut at whitespace near the middle."""
    if len(text) < 2:
        return [text]
    middle = len(text) // 2
    window = max(1, len(text) // 4)
    for offset in range(window):
        for cut in (middle - offset, middle + offset):
            if 0 < cut < len(text) and text[cut - 1].isspace():
                return [text[:cut], text[cut:]]
    return [text[:middle], text[middle:]]


def estimate_tokens(text: str) -> int:
    """Tokens an API will count, erring high: ~4 ASCII characters per token, 1 per other character."""
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars) + 1


def detoxify_struct(scores: dict) -> dict:
    """The release struct: WildChat's 7 Detoxify scores (a score the model lacks stays null)."""
    return {s: _as_float(scores.get(s)) for s in DETOXIFY_SCORES}



def _as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)
