"""The text of messages: requests, follow-ups, answers and long code, assembled from the language banks.

Realistic lengths (the default) follow WildChat-1M: user turns ~620 characters
on average with a long lognormal tail (pasted documents and code), replies
~1,300; nearly every text is distinct. Short lengths (`short=True`, for fast
tests) are the demo's original one-to-three-sentence messages.
"""

from __future__ import annotations

import math

from wildchat_dagster.kit.synthetic import text

# Lognormal lengths in characters: (median, sigma, cap). mean = median * exp(sigma^2 / 2).
OPENING_CHARS = (290, 1.2, 40_000)  # ~620 mean once sentences round up
FOLLOWUP_CHARS = (230, 1.2, 40_000)
REPLY_CHARS = (900, 0.7, 12_000)  # ~1,300 mean once sentences round up
PASTED_ABOVE = 1_500  # a request this long is mostly a pasted document or code


class Writing:
    """The text of messages: requests, follow-ups, answers and long code, assembled from the language banks."""

    realistic: bool = True

    def _chars(self, lengths: tuple[int, float, int]) -> int:
        median, sigma, cap = lengths
        return min(int(self.rng.lognormvariate(math.log(median), sigma)), cap)

    def _extend(self, parts: list[str], bank: text.LanguageBank, pool: tuple[str, ...], target: int) -> None:
        """Append sentences of `pool` until the parts reach `target` characters, in paragraphs of a few sentences."""
        rng = self.rng
        size = sum(len(p) for p in parts)
        while size < target:
            paragraph = bank.joiner.join(rng.choices(pool, k=rng.randint(2, 5)))
            parts.append(self._fill(paragraph, bank))
            size += len(paragraph) + 2

    def _pasted(self, bank: text.LanguageBank, target: int) -> str:
        """A long request: an ask followed by a pasted document, or by code (English users, mostly)."""
        rng = self.rng
        if bank.name == "English" and rng.random() < 0.5:
            blocks: list[str] = []
            size, n = 0, rng.randrange(1000)
            while size < target:
                block = rng.choice(text.CODE_BLOCKS).format(n=n)
                blocks.append(block)
                size += len(block) + 2
                n += 1
            return rng.choice(text.CODE_INTROS) + "\n\n```python\n" + "\n\n".join(blocks) + "\n```"
        parts = [self._fill(rng.choice(bank.requests), bank)]
        self._extend(parts, bank, bank.answers + bank.details, target)
        return "\n\n".join(parts)

    def short_opening(self, bank: text.LanguageBank) -> str:
        """A one-to-three-sentence request (short mode, and the rest of an insult's message)."""
        rng = self.rng
        parts = [self._fill(rng.choice(bank.requests), bank)]
        extra = rng.choice((0, 0, 1, 1, 2))
        parts += rng.sample(bank.details, k=min(extra, len(bank.details)))
        return bank.joiner.join(parts)

    def _fill(self, sentence: str, bank: text.LanguageBank) -> str:
        return sentence.replace("{topic}", self.rng.choice(bank.topics)) if "{topic}" in sentence else sentence

    def user_opening(self, bank: text.LanguageBank) -> str:
        if not self.realistic:
            return self.short_opening(bank)
        target = self._chars(OPENING_CHARS)
        if target > PASTED_ABOVE:
            return self._pasted(bank, target)
        parts = [self._fill(self.rng.choice(bank.requests), bank)]
        self._extend(parts, bank, bank.details + bank.answers, target)
        return bank.joiner.join(parts)

    def followup(self, bank: text.LanguageBank) -> str:
        rng = self.rng
        if self.realistic:
            target = self._chars(FOLLOWUP_CHARS)
            if target > PASTED_ABOVE:
                return self._pasted(bank, target)
            parts = [rng.choice(bank.followups)]
            self._extend(parts, bank, bank.details + bank.answers, target)
            return bank.joiner.join(parts)
        message = rng.choice(bank.followups)
        if rng.random() < 0.25:
            message += bank.joiner + rng.choice(bank.details)
        return message

    def answer(self, bank: text.LanguageBank, body: tuple[str, ...] | None = None) -> str:
        rng = self.rng
        body = body or bank.answers
        if self.realistic:
            parts = [rng.choice(bank.openers)]
            self._extend(parts, bank, body, self._chars(REPLY_CHARS))
            if rng.random() < 0.7:
                parts.append(rng.choice(bank.closers))
            return "\n\n".join(parts)
        sentences = rng.sample(body, k=min(rng.randint(2, 5), len(body)))
        paragraphs = [rng.choice(bank.openers)]
        cut = rng.randint(1, len(sentences))
        paragraphs.append(bank.joiner.join(sentences[:cut]))
        if sentences[cut:]:
            paragraphs.append(bank.joiner.join(sentences[cut:]))
        if rng.random() < 0.7:
            paragraphs.append(rng.choice(bank.closers))
        return "\n\n".join(paragraphs)

    def empty_reply(self, bank: text.LanguageBank) -> str:
        return bank.joiner.join(self.rng.sample(bank.empty_replies, k=self.rng.randint(2, len(bank.empty_replies))))

    def long_code(self) -> str:
        rng = self.rng
        target = rng.randint(150, 420)
        blocks = [text.CODE_HEADER]
        lines = text.CODE_HEADER.count("\n")
        n = 0
        while lines < target:
            order = list(text.CODE_BLOCKS)
            rng.shuffle(order)
            for block in order:
                code = block.format(n=n) + "\n\n"
                blocks.append(code)
                lines += code.count("\n")
            n += 1
        blocks.append(text.CODE_FOOTER)
        return "".join(blocks)
