"""Moderating conversations: OpenAI, Detoxify and an offline profanity model.

WildChat-1M stores, per utterance, the OpenAI moderation result with 18
category keys (the API's slash spellings and the Python client's underscore
spellings, same values) and Detoxify's 7 scores; a turn is toxic when OpenAI
flagged it or Detoxify's toxicity exceeds 0.1, and a conversation with any
sexual/minors flag is left out of every release. This module holds those rules
and the text handling around the moderators (splitting over-long texts,
combining part results, length-sorted batching, the result cache), with the
moderators themselves injected so nothing here touches a network or a model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from wildchat_dagster.core.moderation.cache import ModerationCache
from wildchat_dagster.schema import DETOXIFY_SCORES, OPENAI_CATEGORIES

OPENAI = "openai"
DETOXIFY = "detoxify"
PROFANITY = "profanity"
MODERATOR_NAMES = (OPENAI, DETOXIFY, PROFANITY)

DEFAULT_DETOXIFY_THRESHOLD = 0.1  # WildChat's toxicity cut-off

# alt-profanity-check probability above which the offline moderator calls a text
# toxic. Evaluated (tests/test_moderation_profanity.py) on 50 hand-written toxic
# chat messages (tests/moderation_toxic_messages.txt) and 4,810 real WildChat
# turns (kit/samples/real_wildchat, taken as clean: every sample there that
# carries WildChat's toxic flag has it false):
#   threshold  0.3     0.5     0.6     0.7     0.8     0.9
#   toxic hit  48/50   47/50   47/50   47/50   46/50   44/50
#   clean hit  43      11      5       4       2       1     (of 4,810)
# 0.7 keeps recall at its plateau with 0.08% false alarms (short words such as
# "mom" and German "die"). Misses: hate or threats phrased without profanity,
# and any toxicity not in English.
PROFANITY_THRESHOLD = 0.7

SEXUAL_MINORS = "sexual/minors"
_SEXUAL_MINORS_KEYS = ("sexual/minors", "sexual_minors")


class Moderator(Protocol):
    """A moderation system the core can drive; results must be JSON-serialisable."""

    name: str  # one of MODERATOR_NAMES
    version: str  # model and version: part of the cache key

    def moderate(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[Any]]]:
        """Yield (indices into texts, results) as each batch returns, in any order."""
        ...

    def usage(self) -> dict[str, int]:
        """Work done so far (requests, retries, model runs...), for metadata."""
        ...


@dataclass
class LoadedModerator:
    """A moderator ready to run, or why there is none (no key, no weights, disabled)."""

    moderator: Moderator | None
    reason: str

    @property
    def available(self) -> bool:
        return self.moderator is not None


def is_empty(content: str | None) -> bool:
    """Nothing to moderate: WildChat stores an empty result for such turns (nulls here)."""
    return content is None or not content.strip()


# --- OpenAI results -------------------------------------------------------


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


# --- Detoxify: windows, batches, scores -----------------------------------


def split_at_token_windows(text: str, token_starts: Sequence[int], max_tokens: int) -> list[tuple[str, int]]:
    """(piece, tokens) windows of at most max_tokens tokens covering the whole text.

    Cuts fall on token starts, preferably after whitespace in the window's second
    half, so a long message is scored in full instead of being truncated.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    total = len(token_starts)
    if total <= max_tokens:
        return [(text, total)]
    pieces: list[tuple[str, int]] = []
    first, char_start = 0, 0
    while total - first > max_tokens:
        cut = first + max_tokens
        for j in range(cut, first + max_tokens // 2, -1):
            position = token_starts[j]
            if position > 0 and text[position - 1].isspace():
                cut = j
                break
        pieces.append((text[char_start : token_starts[cut]], cut - first))
        first, char_start = cut, token_starts[cut]
    pieces.append((text[char_start:], total - first))
    return pieces


def length_sorted_batches(
    lengths: Sequence[int], batch_size: int, max_batch_tokens: int | None = None
) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first), so padding is small.

    With `max_batch_tokens`, a batch also holds at most that many padded tokens
    (texts x longest text): long texts go in small batches, short ones in full
    ones, and memory stays bounded.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    for index in order:
        if batches:
            batch = batches[-1]
            padded = (len(batch) + 1) * max(lengths[batch[0]], 1)  # the first is the longest
            if len(batch) < batch_size and (max_batch_tokens is None or padded <= max_batch_tokens):
                batch.append(index)
                continue
        batches.append([index])
    return batches


def max_scores(score_dicts: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per-key maximum: a text is as toxic as its most toxic part."""
    combined: dict[str, float] = {}
    for scores in score_dicts:
        for key, value in scores.items():
            combined[key] = value if key not in combined else max(combined[key], value)
    return combined


def windowed_batch_scores(
    texts: Sequence[str],
    token_starts: Callable[[list[str]], list[list[int]]],
    predict: Callable[[list[str]], list[dict[str, float]]],
    max_tokens: int,
    batch_size: int,
    max_batch_tokens: int | None = None,
    slab_size: int = 1024,
) -> Iterator[tuple[list[int], list[dict[str, float]]]]:
    """Score texts with a window-limited model: every text in full, in length-sorted batches.

    Texts are taken `slab_size` at a time (sorting a slab is enough to keep
    padding small); each is cut into windows, windows are batched by length,
    and a text's scores (the maximum over its windows) are yielded as soon as
    its last window is scored, so a caller can store them at once.
    """
    for slab_start in range(0, len(texts), slab_size):
        slab = list(texts[slab_start : slab_start + slab_size])
        pieces: list[tuple[int, str, int]] = []
        for offset, (text, starts) in enumerate(zip(slab, token_starts(slab), strict=True)):
            for piece, n_tokens in split_at_token_windows(text, starts, max_tokens):
                pieces.append((slab_start + offset, piece, n_tokens))
        remaining: dict[int, int] = {}
        for index, _, _ in pieces:
            remaining[index] = remaining.get(index, 0) + 1
        partial: dict[int, list[dict[str, float]]] = {}
        for batch in length_sorted_batches([n for _, _, n in pieces], batch_size, max_batch_tokens):
            scores = predict([pieces[k][1] for k in batch])
            if len(scores) != len(batch):
                raise ValueError(f"model returned {len(scores)} results for {len(batch)} texts")
            done: list[int] = []
            for k, piece_scores in zip(batch, scores):
                index = pieces[k][0]
                partial.setdefault(index, []).append(piece_scores)
                remaining[index] -= 1
                if remaining[index] == 0:
                    done.append(index)
            if done:
                yield done, [max_scores(partial.pop(i)) for i in done]


def detoxify_struct(scores: dict) -> dict:
    """The release struct: WildChat's 7 Detoxify scores (a score the model lacks stays null)."""
    return {s: _as_float(scores.get(s)) for s in DETOXIFY_SCORES}


# --- the decision ---------------------------------------------------------


@dataclass(frozen=True)
class ToxicitySettings:
    detoxify_threshold: float = DEFAULT_DETOXIFY_THRESHOLD
    profanity_threshold: float = PROFANITY_THRESHOLD


def utterance_toxic(
    openai: dict | None, detoxify: dict | None, profanity_score: float | None, settings: ToxicitySettings
) -> bool:
    """OpenAI flagged, or Detoxify toxicity over its threshold, or (when the offline
    moderator ran) a profanity probability over its threshold."""
    if openai is not None and openai.get("flagged"):
        return True
    toxicity = (detoxify or {}).get("toxicity")
    if toxicity is not None and toxicity > settings.detoxify_threshold:
        return True
    return profanity_score is not None and profanity_score > settings.profanity_threshold


def exclusion_reason(openai_results: Sequence[dict | None]) -> str | None:
    """WildChat leaves every conversation with a sexual/minors flag out of all releases."""
    for result in openai_results:
        categories = (result or {}).get("categories") or {}
        if any(categories.get(key) for key in _SEXUAL_MINORS_KEYS):
            return SEXUAL_MINORS
    return None


def profanity_decision(enabled: bool | None, openai_available: bool, detoxify_available: bool) -> tuple[bool, str]:
    """Whether the offline moderator runs, and why: by default only when neither
    OpenAI nor Detoxify can, so a demo without key or weights still moderates."""
    if enabled is not None:
        return enabled, "enabled in configuration" if enabled else "disabled in configuration"
    if openai_available or detoxify_available:
        return False, "off by default while OpenAI or Detoxify is available"
    return True, "on by default: neither OpenAI nor Detoxify is available"


# --- driving the moderators -----------------------------------------------


@dataclass
class ModeratorRun:
    """What one moderator did for one set of texts."""

    name: str
    version: str
    texts: int = 0
    cache_hits: int = 0
    computed: int = 0


def moderate_texts(
    texts: Sequence[str],
    moderator: Moderator,
    cache: ModerationCache | None,
    log: Callable[[str], None] | None = None,
    log_every: int = 1000,
) -> tuple[dict[str, Any], ModeratorRun]:
    """{text: result} for distinct texts: cached ones read, the rest moderated and
    stored batch by batch as they return."""
    unique = list(dict.fromkeys(texts))
    run = ModeratorRun(moderator.name, moderator.version, texts=len(unique))
    results: dict[str, Any] = cache.get_many(moderator.name, moderator.version, unique) if cache else {}
    run.cache_hits = len(results)
    missing = [t for t in unique if t not in results]
    if log:
        log(f"{moderator.name} ({moderator.version}): {run.cache_hits} cached, {len(missing)} to moderate")
    next_report = log_every
    for indices, batch_results in moderator.moderate(missing):
        if len(indices) != len(batch_results):
            raise ValueError(f"{moderator.name} returned {len(batch_results)} results for {len(indices)} texts")
        pairs = [(missing[i], r) for i, r in zip(indices, batch_results)]
        if cache:
            cache.put_many(moderator.name, moderator.version, pairs)
        results.update(pairs)
        run.computed += len(pairs)
        if log and run.computed >= next_report:
            log(f"{moderator.name}: {run.computed}/{len(missing)} texts moderated")
            next_report += log_every
    lost = [t for t in missing if t not in results]
    if lost:
        raise RuntimeError(f"{moderator.name} returned no result for {len(lost)} texts")
    return results, run


def moderate_conversations(
    rows: Sequence[dict],
    moderators: Sequence[Moderator],
    cache: ModerationCache | None,
    settings: ToxicitySettings = ToxicitySettings(),
    log: Callable[[str], None] | None = None,
) -> tuple[list[dict], dict[str, Any]]:
    """MODERATED_CONVERSATIONS rows from REDACTED_CONVERSATIONS rows, and counts.

    Every non-empty utterance (user and assistant) gets a result from every
    moderator given; fields of moderators not given, and of empty utterances,
    stay null.
    """
    names = [m.name for m in moderators]
    unknown = set(names) - set(MODERATOR_NAMES)
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"moderators must be distinct members of {MODERATOR_NAMES}, got {names}")
    if not moderators:
        raise ValueError(
            "no moderator enabled: configure OpenAI or Detoxify, or enable the offline profanity moderator"
        )

    texts = [u["content"] for row in rows for u in row["conversation"] if not is_empty(u["content"])]
    results: dict[str, dict[str, Any]] = {}
    counts: dict[str, Any] = {}
    for moderator in moderators:
        results[moderator.name], run = moderate_texts(texts, moderator, cache, log)
        counts[f"{moderator.name}_cache_hits"] = run.cache_hits
        counts[f"{moderator.name}_cache_misses"] = run.computed
        counts[f"{moderator.name}_flagged_utterances"] = 0

    out_rows: list[dict] = []
    utterances = empty = toxic_utterances = toxic_conversations = excluded = 0
    for row in rows:
        conversation = []
        for utterance in row["conversation"]:
            moderated = _moderate_utterance(utterance, results, settings, counts)
            utterances += 1
            empty += is_empty(utterance["content"])
            toxic_utterances += moderated["toxic"]
            conversation.append(moderated)
        reason = exclusion_reason([u["openai_moderation"] for u in conversation])
        toxic = any(u["toxic"] for u in conversation)
        toxic_conversations += toxic
        excluded += reason is not None
        out_rows.append({**row, "conversation": conversation, "toxic": toxic, "excluded_reason": reason})

    counts.update(
        conversations=len(rows),
        utterances=utterances,
        empty_utterances=empty,
        distinct_texts=len(set(texts)),
        toxic_utterances=toxic_utterances,
        toxic_conversations=toxic_conversations,
        excluded_sexual_minors=excluded,
    )
    return out_rows, counts


def _moderate_utterance(
    utterance: dict, results: dict[str, dict[str, Any]], settings: ToxicitySettings, counts: dict[str, Any]
) -> dict:
    content = utterance["content"]
    fields: dict[str, Any] = {
        "openai_moderation": None,
        "openai_moderation_raw": None,
        "detoxify_moderation": None,
        "profanity_score": None,
    }
    if not is_empty(content):
        if OPENAI in results:
            raw = results[OPENAI][content]
            fields["openai_moderation"] = openai_struct(raw)
            fields["openai_moderation_raw"] = json.dumps(raw, sort_keys=True)
            counts[f"{OPENAI}_flagged_utterances"] += bool(raw.get("flagged"))
        if DETOXIFY in results:
            fields["detoxify_moderation"] = detoxify_struct(results[DETOXIFY][content])
            toxicity = fields["detoxify_moderation"]["toxicity"]
            counts[f"{DETOXIFY}_flagged_utterances"] += toxicity is not None and toxicity > settings.detoxify_threshold
        if PROFANITY in results:
            fields["profanity_score"] = float(results[PROFANITY][content])
            counts[f"{PROFANITY}_flagged_utterances"] += fields["profanity_score"] > settings.profanity_threshold
    toxic = utterance_toxic(
        fields["openai_moderation"], fields["detoxify_moderation"], fields["profanity_score"], settings
    )
    return {**utterance, **fields, "toxic": toxic}


def _as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- checks over stored rows ----------------------------------------------

RESULT_FIELDS = {OPENAI: "openai_moderation", DETOXIFY: "detoxify_moderation", PROFANITY: "profanity_score"}


def missing_results(rows: Sequence[dict], enabled: Sequence[str]) -> dict[str, int]:
    """Per enabled moderator, non-empty utterances that have no result from it."""
    missing = {name: 0 for name in enabled}
    for row in rows:
        for utterance in row["conversation"]:
            if is_empty(utterance["content"]):
                continue
            for name in enabled:
                missing[name] += utterance[RESULT_FIELDS[name]] is None
    return missing


def count_sexual_minors(rows: Sequence[dict]) -> int:
    """Conversations whose raw OpenAI answers (`openai_moderation_raw`, as the API sent them)
    carry a sexual/minors flag: a count independent of the 18-key mapping the exclusion uses."""

    def flagged(raw: str | None) -> bool:
        categories = (json.loads(raw) if raw else {}).get("categories") or {}
        return any(categories.get(key) for key in _SEXUAL_MINORS_KEYS)

    return sum(any(flagged(u["openai_moderation_raw"]) for u in row["conversation"]) for row in rows)
