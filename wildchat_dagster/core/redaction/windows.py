"""Token windows around person cues: NER on them gives exactly the names whole-text NER would keep."""

from __future__ import annotations

import bisect
from typing import NamedTuple

import regex
from spacy.tokens import Doc

NAME_TOKENS = 8  # tokens after a cue that a kept name can occupy before a window must grow


class PersonWindow(NamedTuple):
    """Tokens [start, end) of a text's tokenization, NER-ed alone.

    Exactness argument (spaCy greedy NER, receptive field `reach` tokens): the
    window starts `reach` tokens before the line start of each cue it holds
    (or at the text start). A line start is a sentence start
    (`mark_line_starts`), so both the window and the whole text have no entity
    open there; from there on every token's features are the same in both
    (its tok2vec inputs lie inside the window), so every decision is the same
    until `reach` tokens before the window's end. Entities starting after a
    cue and ending by then are exactly the whole text's.
    """

    doc: Doc
    offset: int  # character offset of the window in the text
    end: int  # token index (exclusive) in the whole text
    text_tokens: int
    reach: int
    start: int

    def exact_until(self, end_token_in_window: int) -> bool:
        """Whether an entity ending (exclusive) at this window token is the whole-text one."""
        return self.end == self.text_tokens or self.start + end_token_in_window + self.reach <= self.end


def person_windows(tokens: Doc, cues: regex.Pattern, reach: int) -> list[PersonWindow]:
    """Merged token windows around every person cue of a tokenized text."""
    text = tokens.text
    starts = [t.idx for t in tokens]
    n = len(tokens)
    spans: list[list[int]] = []
    for m in cues.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_token = bisect.bisect_left(starts, line_start)
        at_line_start = line_token == 0 or (
            tokens[line_token - 1].is_space and "\n" in tokens[line_token - 1].text
        )
        first = max(0, line_token - reach) if at_line_start else 0
        cue_end_token = bisect.bisect_left(starts, m.end())
        last = min(n, cue_end_token + NAME_TOKENS + reach)
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    windows = []
    for first, last in spans:
        span = tokens[first:last]
        windows.append(PersonWindow(span.as_doc(), span.start_char, last, n, reach, first))
    return windows
