"""OpenAI's moderation endpoint as a Dagster resource: configuration and the key, nothing else."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from wildchat_dagster.core.moderation.moderators import LoadedModerator
from wildchat_dagster.core.moderation.openai_client import OpenAISettings, openai_moderator
from wildchat_dagster.settings import OPENAI_API_KEY_ENV, Settings

_DEFAULTS = OpenAISettings()


class OpenAIModerationResource(dg.ConfigurableResource):
    """OpenAI's moderation endpoint (or any server speaking POST /v1/moderations)."""

    api_key: str | None = Field(default=None, description="From dg.EnvVar('OPENAI_API_KEY'); unset: OpenAI skipped.")
    base_url: str | None = Field(default=None, description="None: the client's default (api.openai.com/v1).")
    model: str = _DEFAULTS.model
    inputs_per_request: int = _DEFAULTS.inputs_per_request
    max_concurrency: int = _DEFAULTS.max_concurrency
    requests_per_minute: int = _DEFAULTS.requests_per_minute
    tokens_per_minute: int = _DEFAULTS.tokens_per_minute
    timeout_seconds: float = _DEFAULTS.timeout_seconds
    max_attempts: int = _DEFAULTS.max_attempts
    initial_backoff_seconds: float = _DEFAULTS.initial_backoff_seconds
    max_backoff_seconds: float = _DEFAULTS.max_backoff_seconds

    @classmethod
    def from_defaults(cls, settings: Settings | None = None) -> OpenAIModerationResource:
        """The key as `dg.EnvVar` when the settings (default: the environment's) have one;
        without it the stage skips OpenAI."""
        settings = Settings.from_environ() if settings is None else settings
        if settings.openai_api_key:
            return cls(api_key=dg.EnvVar(OPENAI_API_KEY_ENV))
        return cls()

    def settings(self) -> OpenAISettings:
        return OpenAISettings(
            model=self.model,
            inputs_per_request=self.inputs_per_request,
            max_concurrency=self.max_concurrency,
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            initial_backoff_seconds=self.initial_backoff_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
        )

    def load(self) -> LoadedModerator:
        # Inside a run Dagster has resolved an EnvVar already; outside one (CLI, benchmark) resolve it here.
        api_key = self.api_key.get_value() if isinstance(self.api_key, dg.EnvVar) else self.api_key
        if not api_key:
            return LoadedModerator(None, f"no API key configured (set {OPENAI_API_KEY_ENV}): OpenAI moderation skipped")
        return LoadedModerator(openai_moderator(api_key, self.base_url, self.settings()), f"enabled ({self.model})")

    def fingerprint(self) -> dict[str, str]:
        """Whether OpenAI moderates, and with which model (never the key): exporting a key reruns moderation."""
        api_key = self.api_key.get_value() if isinstance(self.api_key, dg.EnvVar) else self.api_key
        return {"openai": f"on:{self.model}" if api_key else "off"}

    def configuration(self) -> dict[str, Any]:
        """What is in force, for metadata (never the key)."""
        return {
            "model": self.model,
            "base_url": self.base_url or "default (api.openai.com)",
            "inputs_per_request": self.inputs_per_request,
            "max_concurrency": self.max_concurrency,
            "requests_per_minute": self.requests_per_minute,
            "tokens_per_minute": self.tokens_per_minute,
        }
