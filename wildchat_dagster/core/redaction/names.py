"""When a capitalised word after a name cue is still not a person's name to redact.

The policy keeps a PERSON candidate only right after a cue ("my name is",
"Name:", "Dear", a sign-off). A careful reviewer then drops it where the
cue does not speak about a real person, and each such judgement is one
rule below, a function of the text alone (so the fast path and the plain
loop agree):

1. `inside_code`: in a fenced block, an inline code span or a line that
   reads as code (`prompt="Hello, my name is John"`, `cout << "Name: X"`).
2. `in_quoted_speech`: the cue is inside quotation marks on its line: a
   character's or an example's words, not the writer introducing themself.
3. `in_character_sheet`: a "Name:" field of a text with character-sheet
   fields (Race:, Class:, Appearance:, Personality:, ...).
4. `in_screenplay`: a text with scene headings or speaker lines
   (INT. SCHOOL HALLWAY - DAY / JANE), whose names are its characters'.
5. `organisation_signoff`: a sign-off by a team or an organisation
   ("Best wishes,\\nThe Ultra Kids Team").
6. `field_label`: the next field's label after an empty one ("Name:\\tPhone: ").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import regex


class NameCue(NamedTuple):
    """The cue before a name: its kind ('intro', 'label', 'salutation', 'signoff') and span."""

    kind: str
    start: int
    end: int


FENCE = regex.compile(r"(?m)^[ \t]*(?:```|~~~)")
CODE_LINE = regex.compile(
    r"""
    ^[ \t]*(?:def|class|import|from|return|print|const|let|var|function|public|private|static|void
              |\#include|std::|console\.|System\.out|echo)\b
    | [\w\]\)][ \t]*(?:=|\+=|==|=>|<<|->)[ \t]*["'\w(\[{]
    | [;{][ \t]*$
    | ^[ \t]*[\w.]+\(.*\)[ \t]*[;:]?[ \t]*$
    """,
    regex.VERBOSE,
)


def _line(text: str, position: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end < 0 else end


def inside_code(text: str, start: int, end: int, cue: NameCue) -> bool:
    """In a fenced block, in an inline `code` span, or on a line that reads as code."""
    if len(FENCE.findall(text, 0, cue.start)) % 2:
        return True
    line_start, line_end = _line(text, cue.start)
    if text.count("`", line_start, cue.start) % 2:
        return True
    return CODE_LINE.search(text[line_start:line_end]) is not None


_PAIRED_QUOTES = (("“", "”"), ("«", "»"), ("「", "」"), ("『", "』"))


def in_quoted_speech(text: str, start: int, end: int, cue: NameCue) -> bool:
    """The cue stands inside quotation marks opened earlier on its line."""
    line_start, _ = _line(text, cue.start)
    before = text[line_start : cue.start]
    return before.count('"') % 2 == 1 or any(before.count(o) > before.count(c) for o, c in _PAIRED_QUOTES)


CHARACTER_FIELDS = regex.compile(
    r"(?im)^[ \t]*[-*#]*[ \t]*\**(?:race|species|class|appearance|personality|backstory|background|abilities"
    r"|powers|alignment|weapons?|traits|likes|dislikes|hobbies|quirks|skills|occupation|role|nationality"
    r"|age|gender|height|affiliation|motivation|relationships?)\**[ \t]*:"
)


def in_character_sheet(text: str, start: int, end: int, cue: NameCue) -> bool:
    """A "Name:" field of a text with at least two character-sheet fields."""
    return cue.kind == "label" and len(CHARACTER_FIELDS.findall(text)) >= 2


SCENE_HEADING = regex.compile(r"(?m)^[ \t]*(?:INT\.|EXT\.|INT/EXT|I/E\.|FADE IN|FADE OUT|CUT TO)")
SPEAKER_LINE = regex.compile(
    r"(?m)^[ \t]*\p{Lu}[\p{Lu}'\-]+(?:[ \t]\p{Lu}[\p{Lu}'\-]+)?[ \t]*(?:\([^)\n]*\))?[ \t]*:?[ \t]*$"
)


def in_screenplay(text: str, start: int, end: int, cue: NameCue) -> bool:
    """A text with a scene heading or at least three speaker lines (JANE, SAM (V.O.))."""
    return SCENE_HEADING.search(text) is not None or len(SPEAKER_LINE.findall(text)) >= 3


ORGANISATION_WORDS = (
    "team", "staff", "crew", "inc", "inc.", "llc", "ltd", "ltd.", "company", "group", "department", "committee",
    "foundation", "association", "support", "club", "family", "management", "office", "board", "society",
    "university", "school", "academy", "corporation", "corp", "corp.", "services", "community", "hr",
)  # fmt: skip


def organisation_signoff(text: str, start: int, end: int, cue: NameCue) -> bool:
    """A sign-off signed by a team or organisation: 'The ...' or ending in Team, Inc., Support, ..."""
    if cue.kind not in ("signoff", "salutation"):
        return False
    _, line_end = _line(text, start)
    signature = text[start:line_end].strip().rstrip(",.!")
    words = signature.split()
    return bool(words) and (words[0] == "The" or words[-1].lower() in ORGANISATION_WORDS)


_LABEL_END = regex.compile(r"[ \t]*[:：]")


def field_label(text: str, start: int, end: int, cue: NameCue) -> bool:
    """The word is followed by a colon: the next field's label after an empty "Name:" field."""
    return _LABEL_END.match(text, end) is not None


NameRule = Callable[[str, int, int, NameCue], bool]
NOT_A_PERSON: tuple[NameRule, ...] = (
    inside_code,
    in_quoted_speech,
    in_character_sheet,
    in_screenplay,
    organisation_signoff,
    field_label,
)


def not_a_person(text: str, start: int, end: int, cue: NameCue) -> str | None:
    """The name of the first rule that rules this candidate out, or None: redact it."""
    for rule in NOT_A_PERSON:
        if rule(text, start, end, cue):
            return rule.__name__
    return None
