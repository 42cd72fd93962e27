"""The moderation policy in force: one configuration read by moderation, statistics and report.

The thresholds decide which turns are toxic (the moderation stage) and which
turns count as flagged in the figures (monthly stats, report), so both read
them from this one resource rather than from each other's event-log records.
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from wildchat_dagster.core.moderation.moderators import DETOXIFY, PROFANITY
from wildchat_dagster.core.moderation.policy import (
    DEFAULT_DETOXIFY_THRESHOLD,
    PROFANITY_THRESHOLD,
    ModerationThresholds,
)
from wildchat_dagster.core.moderation.registry import moderators_fingerprint

SOURCE = "moderation_policy configuration"


class ModerationPolicyResource(dg.ConfigurableResource):
    """Score thresholds above which a turn is toxic."""

    detoxify_threshold: float = Field(
        default=DEFAULT_DETOXIFY_THRESHOLD, description="Detoxify toxicity above which a turn is toxic (WildChat: 0.1)."
    )
    profanity_threshold: float = Field(
        default=PROFANITY_THRESHOLD,
        description="alt-profanity-check probability above which a turn is toxic; turns of at most 3 words need "
                    "the higher of it and 0.8 (evaluation in core/moderation/policy.py).",
    )
    other_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Thresholds of added moderators, by registry name (unnamed: their registry default).",
    )

    detoxify_only_undecided: bool = Field(
        default=False,
        description="Skip Detoxify for turns OpenAI flagged (already toxic); their Detoxify fields stay null. "
        "False keeps WildChat's Detoxify scores on every turn.",
    )

    def fingerprint(self) -> dict[str, str]:
        """The thresholds in force: a new threshold re-decides the toxic split."""
        screened = "undecided" if self.detoxify_only_undecided else "all"
        thresholds = ",".join(f"{name}>{value}" for name, value in sorted(self.thresholds().in_force().items()))
        return {"moderation-policy": f"{thresholds},{screened}", "moderators": moderators_fingerprint()}

    def thresholds(self) -> ModerationThresholds:
        scores = {**self.other_thresholds, DETOXIFY: self.detoxify_threshold, PROFANITY: self.profanity_threshold}
        return ModerationThresholds(scores, self.detoxify_only_undecided)
