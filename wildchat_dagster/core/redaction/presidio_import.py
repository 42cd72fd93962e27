"""Presidio imported without Hugging Face transformers, which it loads for an NLP engine we never use.

Importing presidio_analyzer imports its transformers token pipe, and so `transformers.pipelines`:
about half of the ~4.6 CPU seconds the import costs, paid by every process that redacts (each
worker too). The redactor runs spaCy NER only, so Presidio is imported while `transformers` is
marked absent (Presidio treats it as not installed); the mark is lifted right after, so a later
`import transformers` (moderation models) works as usual. Where transformers is already loaded,
nothing changes. Import this module before anything that imports Presidio.
"""

from __future__ import annotations

import sys


def import_presidio() -> None:
    if "presidio_analyzer" in sys.modules or "transformers" in sys.modules:
        return
    sys.modules["transformers"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import presidio_analyzer  # noqa: F401
        import presidio_anonymizer  # noqa: F401
    finally:
        if "transformers" in sys.modules and sys.modules["transformers"] is None:
            del sys.modules["transformers"]


import_presidio()
