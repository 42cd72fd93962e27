"""The text of messages: requests, follow-ups, answers and long code, assembled from the language banks."""

from __future__ import annotations

from wildchat_dagster.kit.synthetic import text


class Writing:
    """The text of messages: requests, follow-ups, answers and long code, assembled from the language banks."""

    def _fill(self, sentence: str, bank: text.LanguageBank) -> str:
        return sentence.replace("{topic}", self.rng.choice(bank.topics)) if "{topic}" in sentence else sentence

    def user_opening(self, bank: text.LanguageBank) -> str:
        rng = self.rng
        parts = [self._fill(rng.choice(bank.requests), bank)]
        extra = rng.choice((0, 0, 1, 1, 2))
        parts += rng.sample(bank.details, k=min(extra, len(bank.details)))
        return bank.joiner.join(parts)

    def followup(self, bank: text.LanguageBank) -> str:
        rng = self.rng
        message = rng.choice(bank.followups)
        if rng.random() < 0.25:
            message += bank.joiner + rng.choice(bank.details)
        return message

    def answer(self, bank: text.LanguageBank, body: tuple[str, ...] | None = None) -> str:
        rng = self.rng
        body = body or bank.answers
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
