"""What the release's moderation screened: per month and language, which moderators ran, and what became
of the conversations no moderator could fully read (held in release/unscreened/ or published as non-toxic).

Read from each month's release provenance (its `screening` coverage, `unscreened_policy` and the
moderation stage's recorded metadata), for the manifest, the dataset card and the report. Moderators are
named as the coverage counts them, so a new moderator needs no change here.
"""

from __future__ import annotations

from collections import Counter

from wildchat_dagster.core.moderation.coverage import (
    coverage_summary,
    merge_coverage,
    unscreened_conversation_languages,
)
from wildchat_dagster.stages import Stage


def toxicity_screening(months: list[str], provenance: dict[str, dict]) -> dict:
    """Per month, the turns each moderator screened by language, and the months where some turns
    were screened by no moderator (their languages unsupported): they are named, not assumed clean."""
    by_month = {m: provenance.get(m, {}).get("screening") for m in months}
    recorded = {m: c for m, c in by_month.items() if c is not None}
    return {
        "months_fully_screened": [m for m, c in recorded.items() if c["unscreened"] == 0],
        "months_partly_screened": {m: coverage_summary(c) for m, c in recorded.items() if c["unscreened"]},
        "months_without_record": [m for m in months if m not in recorded],
        "by_month": recorded,
    }


def unscreened_publication(months: list[str], provenance: dict[str, dict]) -> dict:
    """What became of the not-toxic conversations with a turn no moderator screened, over the months:
    held in release/unscreened/ (WILDCHAT_UNSCREENED=hold) or published as non-toxic (=nontoxic), by language."""
    held: Counter[str] = Counter()
    as_nontoxic: Counter[str] = Counter()
    policies: dict[str, str] = {}
    for month in months:
        record = provenance.get(month, {})
        policies[month] = record.get("unscreened_policy", "nontoxic")  # before the policy: into nontoxic
        languages = unscreened_conversation_languages(record.get("screening") or {})
        (held if policies[month] == "hold" else as_nontoxic).update(languages)
    return {
        "policies": sorted(set(policies.values())),
        "months_held": [m for m, p in policies.items() if p == "hold"],
        "held_conversations": sum(held.values()),
        "held_by_language": dict(held.most_common()),
        "published_as_nontoxic": sum(as_nontoxic.values()),
        "published_as_nontoxic_by_language": dict(as_nontoxic.most_common()),
    }


def unscreened_sentence(unscreened: dict) -> str:
    """The manifest's `unscreened` section in one sentence: first lines of the card and the report."""
    def languages(counts: dict[str, int]) -> str:
        return ", ".join(f"{language} {n:,}" for language, n in counts.items())

    parts = []
    if unscreened["published_as_nontoxic"]:
        parts.append(f"{unscreened['published_as_nontoxic']:,} conversations with turns no moderator screened were "
                     f"published in the nontoxic split unscreened (WILDCHAT_UNSCREENED=nontoxic; by language: "
                     f"{languages(unscreened['published_as_nontoxic_by_language'])})")
    if unscreened["held_conversations"]:
        parts.append(f"{unscreened['held_conversations']:,} not-toxic conversations with turns no moderator screened "
                     f"are held in release/unscreened/, outside the nontoxic and toxic splits (by language: "
                     f"{languages(unscreened['held_by_language'])})")
    return "; ".join(parts) + "." if parts else "Every published conversation was screened by a moderator."


def moderators_used(months: list[str], provenance: dict[str, dict]) -> list[dict]:
    """Each moderator the coverage counts: the months it ran, its versions, languages, threshold and why it
    did not run where it did not (as the moderation stage recorded them)."""
    found: dict[str, dict] = {}
    for month in months:
        record = provenance.get(month, {})
        metadata = record.get("upstream", {}).get(Stage.MODERATED_CONVERSATIONS, {}).get("metadata", {})
        names = list((record.get("screening") or {}).get("screened_by", {}))
        names += [
            k.removesuffix("_enabled")
            for k in metadata
            if k.endswith("_enabled") and k.removesuffix("_enabled") not in names
        ]
        for name in names:
            entry = found.setdefault(name, {"moderator": name, "ran_in_months": [], "versions": [], "languages": [],
                                            "thresholds": [], "not_run_because": []})
            thresholds = [
                f"{k}={v}" for k, v in metadata.items() if k.startswith(f"{name}_") and k.endswith("threshold")
            ]
            if metadata.get(f"{name}_enabled"):
                entry["ran_in_months"].append(month)
                for key, value in (
                    ("versions", metadata.get(f"{name}_version")),
                    ("languages", metadata.get(f"{name}_languages")),
                    *(("thresholds", t) for t in thresholds),
                ):
                    if value and value not in entry[key]:
                        entry[key].append(value)
            elif (why := metadata.get(f"{name}_status")) and why not in entry["not_run_because"]:
                entry["not_run_because"].append(why)
    return list(found.values())


def coverage_by_language(months: list[str], provenance: dict[str, dict]) -> list[dict]:
    """Per language over the months: non-empty utterances screened and unscreened (user and assistant
    together), conversations (by conversation language) and those with an unscreened turn; most first."""
    coverage = merge_coverage([c for m in months if (c := provenance.get(m, {}).get("screening"))])
    rows: dict[str, dict] = {}

    def row(language: str) -> dict:
        return rows.setdefault(
            language,
            {
                "language": language,
                "utterances": 0,
                "screened_utterances": 0,
                "unscreened_utterances": 0,
                "conversations": 0,
                "unscreened_conversations": 0,
            },
        )

    for group in coverage["by_language"]:
        entry = row(group["language"])
        entry["utterances"] += group["utterances"]
        entry["unscreened_utterances"] += group["unscreened"]
        entry["screened_utterances"] += group["utterances"] - group["unscreened"]
    for group in coverage.get("conversations_by_language", []):
        entry = row(group["language"])
        entry["conversations"] += group["conversations"]
        entry["unscreened_conversations"] += group["unscreened"]
    return sorted(rows.values(), key=lambda r: (-r["utterances"], -r["conversations"], r["language"]))
