"""The three built-in moderators as registry entries: OpenAI, Detoxify and the offline profanity model.

Registered in this order on the registry's first use; the order is the order
they run in (OpenAI first, so Detoxify may skip turns OpenAI already flagged)
and the order of their columns in moderated_conversations.
"""

from __future__ import annotations

import json

from wildchat_dagster.core.moderation.moderators import (
    DETOXIFY,
    DETOXIFY_MULTILINGUAL_LANGUAGES,
    ENGLISH,
    OPENAI,
    PROFANITY,
    LoadedModerator,
)
from wildchat_dagster.core.moderation.policy import (
    DEFAULT_DETOXIFY_THRESHOLD,
    PROFANITY_THRESHOLD,
    profanity_decision,
    profanity_flagged_sql,
    profanity_turn_threshold,
)
from wildchat_dagster.core.moderation.registry import LoadContext, ModeratorEntry, register_moderator
from wildchat_dagster.core.moderation.results import detoxify_struct, openai_struct
from wildchat_dagster.schema import DETOXIFY_COLUMNS, OPENAI_COLUMNS, PROFANITY_COLUMNS


def _openai_explain(u: dict) -> dict | None:
    result = u.get("openai_moderation")
    if result is None:
        return None
    return {"flagged": result.get("flagged"),
            "categories": sorted(k for k, v in (result.get("categories") or {}).items() if v)}


def _load_profanity(resource, context: LoadContext) -> LoadedModerator:
    use, why = profanity_decision(resource.enabled, OPENAI in context.available, DETOXIFY in context.available)
    if not use:
        return LoadedModerator(None, why)
    offline = resource.load()
    return LoadedModerator(offline.moderator, f"{offline.reason}; {why}")


register_moderator(ModeratorEntry(
    name=OPENAI,
    title="OpenAI",
    languages=None,  # omni-moderation is multilingual; older models declare English (openai_client.model_languages)
    columns=OPENAI_COLUMNS,
    store=lambda raw: {"openai_moderation": openai_struct(raw),
                       "openai_moderation_raw": json.dumps(raw, sort_keys=True)},
    flagged=lambda u, _threshold: bool(u["openai_moderation"].get("flagged")),
    reason=lambda _threshold: "openai_flagged",
    resource_key="openai_moderation",
    resource="wildchat_dagster.resources.openai_moderation:OpenAIModerationResource.from_defaults",
    load=lambda resource, _context: resource.load(),
    scored_sql="u.openai_moderation IS NOT NULL",
    flagged_sql=lambda _threshold: "coalesce(u.openai_moderation.flagged, false)",
    explain=_openai_explain,
    explain_key="openai",
    explain_text=lambda m: f"openai flagged={m['flagged']} {','.join(m['categories'])}".rstrip(),
))

register_moderator(ModeratorEntry(
    name=DETOXIFY,
    title="Detoxify",
    languages=DETOXIFY_MULTILINGUAL_LANGUAGES,  # `multilingual`; the English checkpoints declare English only
    columns=DETOXIFY_COLUMNS,
    store=lambda scores: {"detoxify_moderation": detoxify_struct(scores)},
    flagged=lambda u, threshold: (t := u["detoxify_moderation"].get("toxicity")) is not None and t > threshold,
    reason=lambda threshold: f"detoxify_toxicity>{threshold:g}",
    threshold=DEFAULT_DETOXIFY_THRESHOLD,
    threshold_name="detoxify_toxicity",
    resource_key="detoxify",
    resource="wildchat_dagster.resources.detoxify:DetoxifyResource.from_defaults",
    load=lambda resource, context: resource.load(context.cache_dir),
    scored_sql="u.detoxify_moderation IS NOT NULL",
    flagged_sql=lambda threshold: f"coalesce(u.detoxify_moderation.toxicity > {threshold}, false)",
    explain=lambda u: None if u.get("detoxify_moderation") is None
    else {k: round(v, 4) for k, v in u["detoxify_moderation"].items() if v is not None},
    explain_key="detoxify",
    explain_text=lambda m: f"detoxify toxicity={m.get('toxicity')}",
))

register_moderator(ModeratorEntry(
    name=PROFANITY,
    languages=ENGLISH,  # an English bag-of-words model: German "die" reads as a threat
    columns=PROFANITY_COLUMNS,
    store=lambda probability: {"profanity_score": float(probability)},
    # Stricter on short turns (policy.profanity_turn_threshold): `u` carries the utterance's content.
    flagged=lambda u, threshold: u["profanity_score"] > profanity_turn_threshold(u.get("content"), threshold),
    reason=lambda threshold: f"profanity>{threshold:g}",  # true of short turns too (their threshold is higher)
    threshold=PROFANITY_THRESHOLD,
    resource_key="profanity",
    resource="wildchat_dagster.resources.profanity:ProfanityResource.from_defaults",
    load=_load_profanity,
    fallback=True,  # by default on only when neither OpenAI nor Detoxify is available
    scored_sql="u.profanity_score IS NOT NULL",
    flagged_sql=profanity_flagged_sql,
    explain=lambda u: None if u.get("profanity_score") is None else round(u["profanity_score"], 4),
    explain_key="profanity_score",
    explain_text=lambda score: f"profanity={score}",
))
