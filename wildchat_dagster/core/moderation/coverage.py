"""Screening coverage: which utterances each moderator scored, by role and language, read from the rows.

Per utterance: `screened_by`, `is_unscreened` (no enabled moderator supports its language);
per conversation: `unscreened_utterances`; before scoring: `unsupported_languages`.

A moderator's field is non-null exactly when it scored the turn, so coverage is
data: the same function counts it for the moderation stage's metadata and for
the release provenance behind the manifest. A turn no moderator supports is
unscreened (its `toxic` is false for want of a verdict, not because it was
found clean), and the summary names those languages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wildchat_dagster.core.moderation.moderators import DETOXIFY, is_empty, supports
from wildchat_dagster.core.moderation.registry import moderator_entry, moderator_names

UNKNOWN_LANGUAGE = "unknown"


def screened_by(utterance: dict, moderators: Sequence[str] | None = None) -> list[str]:
    """The moderators (of those named; default: every registered one) whose result the stored utterance holds."""
    names = moderator_names() if moderators is None else moderators
    return [m for m in names if utterance.get(moderator_entry(m).result_column) is not None]


def is_unscreened(utterance: dict, moderators: Sequence[str] | None = None) -> bool:
    """A non-empty utterance no moderator scored: none enabled supports its language. Its `toxic` is
    false for want of a verdict, not because it was found clean."""
    return not is_empty(utterance["content"]) and not screened_by(utterance, moderators)


def unscreened_utterances(row: dict, moderators: Sequence[str] | None = None) -> int:
    """How many of a stored conversation's utterances no moderator scored (0: fully screened)."""
    return sum(is_unscreened(u, moderators) for u in row["conversation"])


def unsupported_languages(
    languages: Sequence[str | None], enabled: Mapping[str, frozenset[str] | None]
) -> list[str | None]:
    """Of these languages, those no enabled moderator (name -> its languages) supports, before any scoring."""
    return [lang for lang in languages if not any(supports(langs, lang) for langs in enabled.values())]


def unscreened_turns(row: dict, moderators: Sequence[str] | None = None) -> list[int]:
    """Indices of a stored conversation's non-empty utterances that no moderator scored."""
    return [i for i, u in enumerate(row["conversation"]) if is_unscreened(u, moderators)]


def screening_coverage(rows: Sequence[dict], moderators: Sequence[str] | None = None) -> dict:
    """Non-empty utterances, and those each moderator scored, per (language, role); conversations with
    an unscreened utterance per conversation language; plus totals.

    {"utterances": n, "unscreened": k, "screened_by": {moderator: k}, "by_language":
    [{"language", "role", "utterances", "unscreened", <moderator>: k, ...}, ...], "conversations": n,
    "unscreened_conversations": k, "unscreened_not_toxic": k, "conversations_by_language":
    [{"language", "conversations", "unscreened", "unscreened_not_toxic"}, ...]}, the largest groups first.
    `unscreened_not_toxic` counts the conversations found toxic nowhere and not excluded: the ones the
    release holds back (or, under WILDCHAT_UNSCREENED=nontoxic, publishes as non-toxic).
    """
    moderators = list(moderator_names() if moderators is None else moderators)
    columns = _result_columns(moderators)
    registered = [column for _, column in _result_columns(moderator_names())]  # what `unscreened_utterances` reads
    groups: dict[tuple[str, str], dict] = {}
    conversations: dict[tuple[str], dict] = {}
    for row in rows:
        unscreened = False
        for utterance in row["conversation"]:
            if is_empty(utterance["content"]):
                continue
            key = (utterance.get("language") or UNKNOWN_LANGUAGE, utterance["role"])
            group = groups.get(key)
            if group is None:
                group = groups[key] = {"language": key[0], "role": key[1], "utterances": 0, "unscreened": 0} | {
                    m: 0 for m in moderators
                }
            group["utterances"] += 1
            screened = False
            for name, column in columns:
                if utterance.get(column) is not None:
                    group[name] += 1
                    screened = True
            group["unscreened"] += not screened
            unscreened = unscreened or not any(utterance.get(column) is not None for column in registered)
        language = (row.get("language") or UNKNOWN_LANGUAGE,)
        entry = conversations.setdefault(language, _conversation_group(language[0]))
        entry["conversations"] += 1
        entry["unscreened"] += unscreened
        entry["unscreened_not_toxic"] += unscreened and not row.get("toxic") and not row.get("excluded_reason")
    return _totals(list(groups.values()), list(conversations.values()), moderators)


def _result_columns(moderators: Sequence[str]) -> list[tuple[str, str]]:
    """(moderator, the column its result is stored in), looked up once rather than per utterance."""
    return [(name, moderator_entry(name).result_column) for name in moderators]


def _conversation_group(language: str) -> dict:
    return {"language": language, "conversations": 0, "unscreened": 0, "unscreened_not_toxic": 0}


def merge_coverage(coverages: Sequence[dict]) -> dict:
    """The coverage of several batches of rows, as `screening_coverage` of all of them would count it."""
    if not coverages:
        return screening_coverage([])
    moderators = list(coverages[0]["screened_by"])
    groups: dict[tuple[str, str], dict] = {}
    conversations: dict[str, dict] = {}
    for coverage in coverages:
        for group in coverage["by_language"]:
            key = (group["language"], group["role"])
            if key not in groups:
                groups[key] = dict(group)
            else:
                for name in ("utterances", "unscreened", *moderators):
                    groups[key][name] += group[name]
        for group in coverage.get("conversations_by_language", []):
            entry = conversations.setdefault(group["language"], _conversation_group(group["language"]))
            for name in ("conversations", "unscreened", "unscreened_not_toxic"):
                entry[name] += group[name]
    return _totals(list(groups.values()), list(conversations.values()), moderators)


def _totals(groups: list[dict], conversations: list[dict], moderators: Sequence[str]) -> dict:
    by_language = sorted(groups, key=lambda g: (-g["utterances"], g["language"], g["role"]))
    conversations = sorted(conversations, key=lambda g: (-g["conversations"], g["language"]))
    return {
        "utterances": sum(g["utterances"] for g in by_language),
        "unscreened": sum(g["unscreened"] for g in by_language),
        "screened_by": {m: sum(g[m] for g in by_language) for m in moderators},
        "by_language": by_language,
        "conversations": sum(g["conversations"] for g in conversations),
        "unscreened_conversations": sum(g["unscreened"] for g in conversations),
        "unscreened_not_toxic": sum(g["unscreened_not_toxic"] for g in conversations),
        "conversations_by_language": conversations,
    }


def unscreened_conversation_languages(coverage: dict) -> dict[str, int]:
    """Not-toxic conversations with an unscreened utterance, per conversation language, most first."""
    groups = coverage.get("conversations_by_language", [])
    found = {g["language"]: g["unscreened_not_toxic"] for g in groups if g["unscreened_not_toxic"]}
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def unscreened_languages(coverage: dict) -> dict[str, int]:
    """Unscreened utterances per language, most first."""
    totals: dict[str, int] = {}
    for group in coverage["by_language"]:
        if group["unscreened"]:
            totals[group["language"]] = totals.get(group["language"], 0) + group["unscreened"]
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def coverage_summary(coverage: dict, top: int = 8) -> str:
    """One sentence for logs, metadata, manifest and report."""
    total, unscreened = coverage["utterances"], coverage["unscreened"]
    if not total:
        return "no non-empty utterances to screen"
    shares = ", ".join(f"{m} {k / total:.0%}" for m, k in coverage["screened_by"].items() if k)
    if not unscreened:
        return f"every one of {total:,} non-empty utterances was screened ({shares})"
    languages = unscreened_languages(coverage)
    named = ", ".join(f"{language} {count:,}" for language, count in list(languages.items())[:top])
    more = f" and {len(languages) - top} more" if len(languages) > top else ""
    return (
        f"{unscreened / total:.0%} of {total:,} non-empty utterances ({unscreened:,}) were not screened by any "
        f"moderator: languages {named}{more}" + (f"; screened by {shares}" if shares else "")
    )


def missing_results(
    rows: Sequence[dict], enabled: dict[str, frozenset[str] | None], detoxify_only_undecided: bool = False
) -> dict[str, int]:
    """Per enabled moderator, non-empty utterances in a language it supports that have no result from it
    (Detoxify is not expected where the policy skips it: utterances OpenAI flagged)."""
    missing = {name: 0 for name in enabled}
    expected = [(name, languages, moderator_entry(name).result_column) for name, languages in enabled.items()]
    for row in rows:
        for utterance in row["conversation"]:
            if is_empty(utterance["content"]):
                continue
            decided = bool((utterance.get("openai_moderation") or {}).get("flagged"))
            for name, languages, column in expected:
                if name == DETOXIFY and detoxify_only_undecided and decided:
                    continue
                if supports(languages, utterance.get("language")):
                    missing[name] += utterance.get(column) is None
    return missing
