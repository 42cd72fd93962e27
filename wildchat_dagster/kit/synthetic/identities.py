"""Who sends a conversation: language, client (browser, place, IP), model and length in rounds."""

from __future__ import annotations

import json

from wildchat_dagster.kit.synthetic import text
from wildchat_dagster.kit.synthetic.geo_pool import Place
from wildchat_dagster.kit.synthetic.records import Browser, Client, models_for_month
from wildchat_dagster.kit.synthetic.shares import _IPV6_SHARE, _RETURNING_CLIENT_SHARE, _UNKNOWN_IP_SHARE


class Identities:
    """Who sends a conversation: language, client (browser, place, IP), model and length in rounds."""

    def log_id(self) -> str:
        n = self.rng.getrandbits(128)
        n = (n & ~(0xF000 << 64)) | (0x4000 << 64)  # uuid4 version and variant bits
        n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
        return f"{n:032x}"

    def bank(self, name: str | None = None) -> text.LanguageBank:
        if name is not None:
            return next(b for b in self._banks if b.name == name)
        return self.rng.choices(self._banks, cum_weights=self._bank_weights)[0]

    def place(self, bank: text.LanguageBank, allow_unknown: bool = True) -> Place:
        rng = self.rng
        if allow_unknown and self.pool.unknown and rng.random() < _UNKNOWN_IP_SHARE:
            return rng.choice(self.pool.unknown)
        isos, weights = self._countries[bank.name]
        iso = rng.choices(isos, cum_weights=weights)[0]
        if iso in self.pool.v6 and rng.random() < _IPV6_SHARE:
            return self.pool.neighbour(rng.choice(self.pool.v6[iso]), rng)
        return self.pool.neighbour(rng.choice(self.pool.v4[iso]), rng)

    def user_agent(self, bank: text.LanguageBank) -> str:
        ua = self.rng.choices(self._ua, cum_weights=self._ua_weights)[0]
        # Yandex Browser is a Russian-speaking users' browser.
        return self._ua[0] if "YaBrowser" in ua and bank.name != "Russian" else ua

    def browser(self, bank: text.LanguageBank, place: Place, user_agent: str | None = None) -> Browser:
        rng = self.rng
        ua = user_agent or self.user_agent(bank)
        al = rng.choice(bank.accept_languages)
        style = rng.random()
        if style < 0.45:
            headers = {"user-agent": ua, "accept-language": al}
        elif style < 0.7:
            headers = {
                "User-Agent": ua,
                "Accept-Language": al,
                "Accept": "text/event-stream",
                "Origin": "https://yuntian-deng-chatbot.hf.space",
            }
        elif style < 0.9:
            headers = {"accept": "*/*", "accept-language": al, "user-agent": ua, "sec-fetch-mode": "cors"}
        else:
            headers = {"Accept-Language": al, "User-Agent": ua, "Referer": "https://huggingface.co/"}
        zone = rng.random()
        offset = text.COUNTRY_OFFSETS_MINUTES.get(place.iso or "", 0) if zone < 0.12 else 0
        return Browser(ua, al, json.dumps(headers, ensure_ascii=False), offset, zone > 0.92, rng.random() < 0.3)

    def same_fingerprint(self, browser: Browser) -> Browser:
        """Another machine with the same browser build and language settings."""
        return Browser(browser.user_agent, browser.accept_language, browser.headers_json,
                        browser.offset_minutes, browser.zulu, browser.millis)

    def client(self, bank: text.LanguageBank, fresh: bool = False) -> Client:
        recent = self._recent.setdefault(bank.name, [])
        if not fresh and recent and self.rng.random() < _RETURNING_CLIENT_SHARE:
            return self.rng.choice(recent)
        place = self.place(bank)
        made = Client(self.browser(bank, place), place)
        if len(recent) < 2000:
            recent.append(made)
        else:
            recent[self.rng.randrange(len(recent))] = made
        return made

    def model(self, month: str) -> str:
        gpt35, gpt4 = models_for_month(month)
        return self.rng.choice(gpt4 if self.rng.random() < 0.24 else gpt35)

    def rounds(self, minimum: int = 1, maximum: int = 60) -> int:
        """WildChat-like: 59% single-turn, mean ~2.5, a tail beyond ten turns."""
        rng = self.rng
        if rng.random() < 0.59:
            t = 1
        else:
            t = 2
            while rng.random() > 0.273 and t < 60:
                t += 1
        return min(max(t, minimum), maximum)
