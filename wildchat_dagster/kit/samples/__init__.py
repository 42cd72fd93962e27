"""Real WildChat-1M rows shipped with the project (ODC-BY 1.0; attribution in real_wildchat/NOTICE.md)."""

from pathlib import Path

REAL_WILDCHAT = Path(__file__).resolve().parent / "real_wildchat"
