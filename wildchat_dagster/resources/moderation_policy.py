"""The moderation policy in force: one configuration read by moderation, statistics and report.

The thresholds decide which turns are toxic (the moderation stage) and which
turns count as flagged in the figures (monthly stats, report), so both read
them from this one resource rather than from each other's event-log records.
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from wildchat_dagster.core.moderation.policy import DEFAULT_DETOXIFY_THRESHOLD, PROFANITY_THRESHOLD, ToxicitySettings
from wildchat_dagster.core.reporting.statistics import ModerationThresholds

SOURCE = "moderation_policy configuration"


class ModerationPolicyResource(dg.ConfigurableResource):
    """Score thresholds above which a turn is toxic."""

    detoxify_threshold: float = Field(
        default=DEFAULT_DETOXIFY_THRESHOLD, description="Detoxify toxicity above which a turn is toxic (WildChat: 0.1)."
    )
    profanity_threshold: float = Field(
        default=PROFANITY_THRESHOLD,
        description="alt-profanity-check probability above which a turn is toxic (evaluation in core/moderation/policy.py).",
    )

    detoxify_only_undecided: bool = Field(
        default=False,
        description="Skip Detoxify for turns OpenAI flagged (already toxic); their Detoxify fields stay null. "
        "False keeps WildChat's Detoxify scores on every turn.",
    )

    def fingerprint(self) -> dict[str, str]:
        """The thresholds in force: a new threshold re-decides the toxic split."""
        screened = "undecided" if self.detoxify_only_undecided else "all"
        thresholds = f"detoxify>{self.detoxify_threshold},profanity>{self.profanity_threshold}"
        return {"moderation-policy": f"{thresholds},{screened}"}

    def toxicity_settings(self) -> ToxicitySettings:
        return ToxicitySettings(
            detoxify_threshold=self.detoxify_threshold,
            profanity_threshold=self.profanity_threshold,
            detoxify_only_undecided=self.detoxify_only_undecided,
        )

    def thresholds(self) -> ModerationThresholds:
        return ModerationThresholds(detoxify_toxicity=self.detoxify_threshold, profanity=self.profanity_threshold)
