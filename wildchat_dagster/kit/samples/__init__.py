"""Real WildChat-1M rows shipped with the project (ODC-BY 1.0; attribution in real_wildchat/NOTICE.md)."""

from pathlib import Path

REAL_WILDCHAT = Path(__file__).resolve().parent / "real_wildchat"

# The samples `demo --real` imports: every row with content and a timestamp (the others have neither).
REAL_WILDCHAT_IMPORTABLE = ("wildchat1m_fullschema_5rows.jsonl", "convotopo_wildchat1m_187_with_metadata.jsonl")
