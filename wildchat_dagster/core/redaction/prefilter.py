"""Cheap tests that rule out entity types before any recognizer runs.

Each test is a necessary condition for the policy to accept a candidate of
that type, derived from the recognizer's own regex or from the policy rule:
when the test fails, the recognizer may still fire but the policy would drop
every result, so skipping it cannot change the output. Most chat turns fail
every test and cost one pass of a few regexes. The conditions are each
registered type's (`EntityType.could_occur`: a digit, a shape, a cue word, a
further test); the built-in types' conditions and why they hold are tabled
in `catalogue`.
"""

from __future__ import annotations

from wildchat_dagster.core.redaction.entities import TextView
from wildchat_dagster.core.redaction.policy import RedactionPolicy


class Prefilter:
    """Which entity types a text can yield under a policy."""

    def __init__(self, policy: RedactionPolicy):
        self.policy = policy
        self.types = policy.types

    def possible_types(self, text: str, language: str, has_ner: bool) -> frozenset[str]:
        """Entity types worth analysing `text` for (analysed with ISO code `language`)."""
        view = TextView(text, language, has_ner, self.policy)
        return frozenset(entry.name for entry in self.types if entry.could_occur(view))
