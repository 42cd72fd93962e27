"""The offline profanity moderator (alt-profanity-check) as a Dagster resource."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from wildchat_dagster.core.moderation.moderators import LoadedModerator
from wildchat_dagster.core.moderation.profanity_model import load_profanity, model_version


class ProfanityResource(dg.ConfigurableResource):
    """alt-profanity-check as a third moderator (its threshold is in the moderation policy)."""

    enabled: bool | None = Field(
        default=None, description="None: on only when neither OpenAI nor Detoxify is available."
    )
    batch_size: int = 2048

    @classmethod
    def from_defaults(cls) -> ProfanityResource:
        return cls()

    def configuration(self) -> dict[str, Any]:
        return {"enabled": "auto" if self.enabled is None else self.enabled}

    def fingerprint(self) -> dict[str, str]:
        """The shipped model's version and digest ("auto": whether it runs follows OpenAI's and Detoxify's parts)."""
        if self.enabled is False:
            return {"profanity": "off"}
        return {"profanity": model_version() or "not-installed"}

    def load(self) -> LoadedModerator:
        return load_profanity(self.batch_size)
