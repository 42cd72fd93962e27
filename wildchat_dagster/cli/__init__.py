"""The command-line side: the `wildchat-dagster` command (commands.py) and what it drives outside the
code location: the in-process runner, freshness planning, preflight checks, the generated Dagster
instance and its guard, the `ui` dev server, and the one adapter over private Dagster API."""

from wildchat_dagster.cli.commands import main

__all__ = ["main"]
