"""Conversations: the content of each round, its timeline, its logs and its ground truth."""

from __future__ import annotations

import itertools
import random

from wildchat_dagster.core.months import shift_month
from wildchat_dagster.kit.synthetic import text
from wildchat_dagster.kit.synthetic.geo_pool import GeoPool, Place
from wildchat_dagster.kit.synthetic.hard_cases import HardCases
from wildchat_dagster.kit.synthetic.identities import Identities
from wildchat_dagster.kit.synthetic.junk import Junk
from wildchat_dagster.kit.synthetic.planted_values import PlantedValues
from wildchat_dagster.kit.synthetic.records import Branch, Client, Content, Expected, Log, month_start_ms, utc_month
from wildchat_dagster.kit.synthetic.shares import (
    _EMPTY_PROMPT_RATE,
    _ENGLISH_ONLY_PII,
    _LONG_CODE_RATE,
    _LOOKALIKE_RATE,
    _PII_RATES,
    _TOXIC_RATE_ENGLISH,
    _TOXIC_RATE_OTHER,
    PII_TYPES,
    SECRET_KINDS,
)
from wildchat_dagster.kit.synthetic.writing import Writing


class Generator(Identities, Writing, PlantedValues, HardCases, Junk):
    """Draws every conversation, log and contract violation of the requested months.

    The mixins are the generator's concepts; they share `self.rng` (one random
    stream: output is a pure function of the seed) and `self.pool`.
    """

    def __init__(self, seed: int, pool: GeoPool, realistic: bool = True):
        self.rng = random.Random(seed)
        self.realistic = realistic
        self.pool = pool
        self.expected: list[Expected] = []
        self.logs: list[Log] = []
        self.retries: list[tuple[Log, Log]] = []  # (copy, original)
        self.absorbed: list[tuple[str, Expected]] = []  # (absorbed chain end log_id, into)
        self.junk: dict[str, list[tuple[str, str | bytes]]] = {}  # month -> (reason, line)
        self.duplicates: dict[str, int] = {}  # month -> duplicate_log_id lines wanted
        self._seen_openings: set[str] = set()
        self._claims: set[tuple[str, str]] = set()  # (shared opening, ip)
        self._recent: dict[str, list[Client]] = {}
        self._banks = text.LANGUAGES
        self._bank_weights = list(itertools.accumulate(b.share for b in self._banks))
        self._ua = [ua for ua, _ in text.USER_AGENTS]
        self._ua_weights = list(itertools.accumulate(w for _, w in text.USER_AGENTS))
        self._countries = {}
        for bank in self._banks:
            pairs = [(iso, w) for iso, w in bank.countries if len(pool.v4.get(iso, ())) >= 3]
            if not pairs:
                pairs = [("US", 1.0)]
            self._countries[bank.name] = ([iso for iso, _ in pairs], list(itertools.accumulate(w for _, w in pairs)))

    # -- conversations --

    def content(
        self,
        bank: text.LanguageBank,
        rounds: int,
        client: Client,
        features: tuple[str, ...] = (),
        opening: tuple[str, str] | None = None,
    ) -> Content:
        rng = self.rng
        code = "long_code" in features
        messages: list[list[str]] = []
        for r in range(rounds):
            if r == 0 and opening is not None:
                messages.append([opening[0], opening[1]])
            elif r == 0 and code:
                messages.append([
                    rng.choice(text.CODE_INTROS) + "\n\n```python\n" + self.long_code() + "```",
                    self.answer(bank, text.CODE_ANSWERS),
                ])
            elif code and r <= len(text.CODE_FOLLOWUPS):
                messages.append([text.CODE_FOLLOWUPS[r - 1], self.answer(bank, text.CODE_ANSWERS)])
            else:
                messages.append([self.user_opening(bank) if r == 0 else self.followup(bank), self.answer(bank)])
        made = Content(messages)
        if code:
            made.tags.append("long_code")
        empty_round = None
        if "empty_prompt" in features:
            empty_round = rng.randrange(rounds)
            messages[empty_round] = ["", self.empty_reply(bank)]
            made.tags.append("empty_prompt")
        free_rounds = [r for r in range(rounds) if r != empty_round and not (r == 0 and opening)]
        if "toxic" in features and bank.toxic and free_rounds:
            r = rng.choice(free_rounds)
            # An insult stays the point of its message (a long one would dilute a bag-of-words moderator).
            rest = self.short_opening(bank) if self.realistic else messages[r][0]
            messages[r][0] = rng.choice(bank.toxic) + bank.joiner + rest
            calm = bank.joiner.join(rng.sample(bank.calm_replies, k=min(2, len(bank.calm_replies))))
            messages[r][1] = calm + "\n\n" + messages[r][1]
            made.toxic = True
            made.tags.append("toxic" if bank.name == "English" else "toxic_non_english")
        for feature in features:
            kind = feature.partition(":")[2]
            feature = feature.partition(":")[0]
            if feature not in PII_TYPES or not free_rounds:
                continue
            r = rng.choice(free_rounds)
            value, sentence = self._pii_sentence(feature, kind, bank, client)
            messages[r][0] = messages[r][0] + "\n\n" + sentence
            made.planted.append({"type": feature, "value": value})
            if feature == "SECRET":
                made.tags.append(f"secret_{kind}")
        if "lookalike" in features and free_rounds:
            sentence, values = rng.choice(text.LOOKALIKE_TEMPLATES)
            r = rng.choice(free_rounds)
            messages[r][0] = messages[r][0] + " " + sentence
            made.lookalikes.extend(values)
            made.tags.append("lookalike")
        if opening is None:
            # No two conversations may share a first round by accident: a shared
            # first request would be a legitimate parent candidate for both.
            while (key := messages[0][0] + "\x1f" + messages[0][1]) in self._seen_openings:
                messages[0][1] += bank.joiner + rng.choice(bank.answers)
            self._seen_openings.add(key)
        return made
    # -- time --

    def reply_ms(self, response: str, model: str) -> int:
        chars_per_second = 60 if model.startswith("gpt-4") else 160
        return min(800 + self.rng.randint(0, 2500) + len(response) * 1000 // chars_per_second, 60_000)

    def think_ms(self) -> int:
        seconds = min(max(self.rng.lognormvariate(4.2, 1.0), 8.0), 1800.0)
        return int(seconds * 1000)

    def timeline(self, content: Content, model: str, pause_after: dict[int, int] | None = None) -> list[list[int]]:
        """[request, reply] offsets in ms from the first request, per round."""
        times: list[list[int]] = []
        t = 0
        for r, (_, answer) in enumerate(content.messages):
            if r:
                t = times[-1][1] + self.think_ms() + (pause_after or {}).get(r - 1, 0)
            times.append([t, t + self.reply_ms(answer, model)])
        return times

    def start_inside(self, month: str, span_ms: int) -> int:
        lo = month_start_ms(month) + 60_000
        hi = month_start_ms(shift_month(month, 1)) - span_ms - 60_000
        return self.rng.randint(lo, max(lo, hi))

    def make_logs(self, branch: Branch, client: Client, model: str, times: list[list[int]], start: int,
                  ips: list[str] | None = None) -> list[Log]:
        made = [
            Log(
                self.log_id(),
                start + t0,
                start + t1,
                ips[r] if ips else client.place.ip,
                client.browser,
                model,
                branch,
                r,
            )
            for r, (t0, t1) in enumerate(times)
        ]
        self.logs.extend(made)
        return made

    def expect(self, month: str, bank: text.LanguageBank, place: Place, model: str, branch: Branch,
               logs: list[Log | None], content: Content, cases: list[str]) -> Expected:
        last = logs[-1]
        assert last is not None
        actual = utc_month(last.rts)
        if actual != month:
            raise AssertionError(f"generator bug: conversation meant for {month} ends in {actual}")
        tags = list(cases) + content.tags
        if ":" in place.ip:
            tags.append("ipv6")
        if place.country is None:
            tags.append("unknown_ip")
        made = Expected(month, bank.name, place, model, branch, logs, content.toxic,
                         content.planted, content.lookalikes, tags)
        self.expected.append(made)
        return made

    # -- ordinary conversations and content features --

    def ordinary(self, month: str, features: tuple[str, ...] = (), language: str | None = None) -> None:
        bank = self.bank(language)
        client = self.client(bank)
        if not features:
            features = self._random_features(bank)
        minimum = 2 if ("long_code" in features or "empty_prompt" in features) else 1
        rounds = self.rounds(minimum, 6 if "long_code" in features else 60)
        model = self.model(month)
        content = self.content(bank, rounds, client, features)
        branch = content.as_branch()
        times = self.timeline(content, model)
        logs = self.make_logs(branch, client, model, times, self.start_inside(month, times[-1][1]))
        self.expect(month, bank, client.place, model, branch, list(logs), content, [])

    def _random_features(self, bank: text.LanguageBank) -> tuple[str, ...]:
        rng = self.rng
        out: list[str] = []
        english = bank.name == "English"
        if bank.toxic and rng.random() < (_TOXIC_RATE_ENGLISH if english else _TOXIC_RATE_OTHER):
            out.append("toxic")
        for kind, rate in _PII_RATES.items():
            if (english or kind not in _ENGLISH_ONLY_PII) and rng.random() < rate:
                out.append(f"SECRET:{rng.choice(SECRET_KINDS)}" if kind == "SECRET" else kind)
        if english and rng.random() < _LOOKALIKE_RATE:
            out.append("lookalike")
        if rng.random() < _EMPTY_PROMPT_RATE:
            out.append("empty_prompt")
        if english and rng.random() < _LONG_CODE_RATE:
            out.append("long_code")
        return tuple(out) or ("plain",)

    def forced_features(self, base: int) -> list[tuple[tuple[str, ...], str | None]]:
        """Content features every month carries at least `base` times."""
        if base == 0:
            return []
        out: list[tuple[tuple[str, ...], str | None]] = []
        for _ in range(base):
            out.append((("toxic",), "English"))
            out.append((("lookalike",), "English"))
            out.append((("empty_prompt",), None))
            out.append((("long_code",), "English"))
            for kind in PII_TYPES:
                if kind == "SECRET":
                    continue
                english_only = kind in _ENGLISH_ONLY_PII
                out.append(((kind,), "English" if english_only or self.rng.random() < 0.5 else None))
        out.append((("toxic",), self.rng.choice(("Russian", "Chinese", "Spanish", "French", "German"))))
        for kind in SECRET_KINDS:
            out.append(((f"SECRET:{kind}",), None))
        return out

    # -- hard cases --
