"""Where each placeholder sits in a redacted text, and the policy rule that put it there.

Stored per turn as `redactions` so `explain` can answer a data subject
("what was removed from my conversation, and why") without the values: only
entity types, offsets into the redacted text and rule names are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from wildchat_dagster.core.redaction.entities import known_placeholders
from wildchat_dagster.core.redaction.policy import Candidate

EARLIER = "earlier_placeholder"  # already in the input (client IP scrubbed at geotagging, or a re-processed release)


def align_rules(text: str, chosen: Sequence[Candidate], rules: Sequence[str], items: Sequence[str]) -> list[str]:
    """The rule of each anonymizer output item (types `items`, in text order).

    Presidio's default merges neighbouring same-type spans separated only by blanks
    into one placeholder, so an item may stand for several chosen candidates (the
    engine turns that merging off; the alignment stays correct either way).
    """
    out, j = [], 0
    for i, entity_type in enumerate(items):
        names = [rules[j]]
        j += 1
        while (
            j < len(chosen)
            and len(chosen) - j > len(items) - i - 1
            and chosen[j].entity_type == entity_type
            and not text[chosen[j - 1].end : chosen[j].start].strip()
        ):
            if rules[j] not in names:
                names.append(rules[j])
            j += 1
        out.append("+".join(names))
    return out


def placeholder_spans(redacted_text: str, new_spans: Sequence[tuple[str, int, int, str]]) -> list[dict]:
    """Every placeholder of the redacted text: the new ones with their rules, the others as earlier."""
    new = {(start, end): (entity_type, rule) for entity_type, start, end, rule in new_spans}
    spans = []
    for match in known_placeholders().finditer(redacted_text or ""):
        entity_type, rule = new.pop(match.span(), (match.group(1), EARLIER))
        spans.append({"entity_type": entity_type, "start": match.start(), "end": match.end(), "rule": rule})
    if new:  # a placeholder the anonymizer reported is not where it said: never store a wrong offset
        raise ValueError(f"anonymizer spans not found in the redacted text: {sorted(new)}")
    return spans
