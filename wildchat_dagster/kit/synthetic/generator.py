"""Synthetic raw request logs with ground truth: the embedded default data.

`generate_landing` writes `landing/<YYYY-MM>/requests-NNN.jsonl[.gz]` the way
a chatbot front end would log requests (one JSON object per request, the
folder naming the UTC month of the request's `timestamp`) and, beside it in
`ground_truth/`, what a correct pipeline must recover from them: every
conversation with its turns, its month, its country and language, the PII and
secrets planted in it, the retries, the absorbed prefixes and every line that
breaks the raw-log contract. The hard cases of the linking rules (issue 2)
are planted on purpose, several times per month; everything else is drawn
from WildChat-like distributions. Output is a pure function of the seed.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import gzip
import ipaddress
import itertools
import json
import random
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

from wildchat_dagster.core.months import parse_month, shift_month
from wildchat_dagster.kit.synthetic import text

# Linking cases a conversation can exercise (ground truth `cases`).
HARD_CASES = (
    "cross_month",  # starts in M-1, ends in M: belongs to M only
    "reply_crosses_month",  # last request in M-1 (its folder), its reply in M: belongs to M
    "zone_month_boundary",  # local-time date in another month than the UTC date
    "ip_change",  # a mobile client changes IP mid-conversation
    "nat",  # two browsers behind one IP, identical opening
    "identical_openings",  # two clients (different fingerprint and IP), identical opening
    "identical_openings_same_fingerprint",  # same browser build and language, different IPs
    "retry",  # one request logged twice seconds apart: count once, keep the earliest
    "regeneration",  # same history, a new response: both branches are conversations
    "lost_log",  # an intermediate request log is missing: the last log carries it whole
    "repeated_opening",  # a client's short conversation is a strict prefix of its later one: absorbed
)
# Contract violations planted in the landing files (ground truth `rejected`).
REJECTION_REASONS = (
    "invalid_json",
    "not_an_object",
    "invalid_utf8",
    "missing_field",
    "wrong_type",
    "invalid_timestamp",
    "invalid_ip",
    "invalid_history",
    "wrong_month",
    "too_large",
    "duplicate_log_id",
)
PII_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IP_ADDRESS", "PERSON", "URL", "SECRET")
SECRET_KINDS = ("openai", "aws", "github", "slack", "google", "jwt", "private_key")
TOO_LARGE_BYTES = 1_200_000  # above the contract's default 1 MiB record limit

_LINES_PER_FILE = 25_000
_UTC = dt.timezone.utc
_B62 = string.ascii_letters + string.digits
_B64 = _B62 + "+/"
_B64URL = _B62 + "-_"
_ENGLISH_ONLY_PII = ("CREDIT_CARD", "IP_ADDRESS", "PERSON", "URL")

# Share of ordinary conversations carrying each content feature.
_PII_RATES = {
    "EMAIL_ADDRESS": 0.008,
    "PHONE_NUMBER": 0.006,
    "CREDIT_CARD": 0.002,
    "IP_ADDRESS": 0.003,
    "PERSON": 0.008,
    "URL": 0.002,
    "SECRET": 0.005,
}
_TOXIC_RATE_ENGLISH = 0.15
_TOXIC_RATE_OTHER = 0.08
_LOOKALIKE_RATE = 0.02
_EMPTY_PROMPT_RATE = 0.004
_LONG_CODE_RATE = 0.004
_IPV6_SHARE = 0.12
_UNKNOWN_IP_SHARE = 0.003
_RETURNING_CLIENT_SHARE = 0.25

# Planted groups per month, as a share of the month's conversations.
_CASE_RATES = {
    "cross_month": 0.002,
    "reply_crosses_month": 0.0005,
    "zone_month_boundary": 0.0005,
    "ip_change": 0.01,
    "nat": 0.002,
    "identical_openings": 0.002,
    "identical_openings_same_fingerprint": 0.002,
    "retry": 0.01,
    "regeneration": 0.008,
    "lost_log": 0.003,
    "repeated_opening": 0.002,
}
_CONVERSATIONS_PER_GROUP = {
    "nat": 2,
    "identical_openings": 2,
    "identical_openings_same_fingerprint": 2,
    "regeneration": 2,
}


# --- client IPs, placed by the GeoLite2 database ---------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """A client IP and where the GeoLite2-City database puts it."""

    ip: str
    iso: str | None
    country: str | None
    state: str | None


@dataclass
class GeoPool:
    v4: dict[str, list[Place]]
    v6: dict[str, list[Place]]
    regions: dict[tuple[str, str | None], list[Place]]  # same country and state, v4 and v6
    unknown: list[Place]  # public addresses the database does not place
    database: str
    build_date: str
    raw: object = field(repr=False, default=None)  # an open maxminddb reader

    def neighbour(self, seed: Place, rng: random.Random) -> Place:
        """Another address of the seed's network (same last-octet block or /64), placed
        by the database as geoip2 would read it; the seed itself if it lands elsewhere."""
        if ":" in seed.ip:
            n = (int(ipaddress.IPv6Address(seed.ip)) >> 64 << 64) | rng.getrandbits(64)
            ip = str(ipaddress.IPv6Address(n))
        else:
            head = seed.ip.rsplit(".", 1)[0]
            ip = f"{head}.{rng.randint(1, 254)}"
        record = self.raw.get(ip) if self.raw is not None else None  # type: ignore[attr-defined]
        place = _place_from_record(ip, record)
        return place if place is not None and place.iso == seed.iso else seed


_POOLS: dict[str, GeoPool] = {}


def geo_pool(database: str | None = None) -> GeoPool:
    """Public IPs per country, sampled once per process and placed by the database.

    The pool is drawn with a fixed seed, so it does not depend on the
    generator's seed and can be shared by every call in a process.
    """
    if database is None:
        from _maxminddb_geolite2 import geolite2_database

        database = geolite2_database()
    if database not in _POOLS:
        _POOLS[database] = _build_pool(database)
    return _POOLS[database]


def _place_from_record(ip: str, record: dict | None) -> Place | None:
    """What geoip2's city() reports: country.name and subdivisions.most_specific.name (English)."""
    if not record or not record.get("country"):
        return None
    country = record["country"]
    subdivisions = record.get("subdivisions") or []
    state = subdivisions[-1].get("names", {}).get("en") if subdivisions else None
    return Place(ip, country.get("iso_code"), country.get("names", {}).get("en"), state)


def _wanted_countries() -> list[str]:
    seen: dict[str, None] = {}
    for bank in text.LANGUAGES:
        for iso, _ in bank.countries:
            seen[iso] = None
    return list(seen)


def _v4_text(n: int) -> str:
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _build_pool(database: str) -> GeoPool:
    import geoip2.database
    import geoip2.errors
    import maxminddb

    rng = random.Random(20180703)
    wanted = _wanted_countries()
    v4: dict[str, list[str]] = {iso: [] for iso in wanted}
    v6: dict[str, list[str]] = {iso: [] for iso in wanted}
    unknown: list[str] = []
    with maxminddb.open_database(database) as raw:
        # The raw reader is ~3x faster than geoip2 for the bulk sampling; every
        # kept address is then placed again through geoip2, as the pipeline does.
        for _ in range(80_000):
            n = rng.getrandbits(32)
            ip = _v4_text(n)
            record = raw.get(ip)
            if record is None:
                if len(unknown) < 40:
                    address = ipaddress.IPv4Address(n)
                    if address.is_global and not address.is_multicast:
                        unknown.append(ip)
                continue
            iso = (record.get("country") or {}).get("iso_code")
            if iso in v4 and len(v4[iso]) < 80:
                v4[iso].append(ip)
        # Small address spaces: look around the addresses already found.
        for iso, found in v4.items():
            seeds = list(found)
            attempts = 0
            while seeds and len(found) < 30 and attempts < 4000:
                attempts += 1
                base = int(ipaddress.IPv4Address(rng.choice(seeds))) & 0xFFFF0000
                ip = _v4_text(base | rng.getrandbits(16))
                record = raw.get(ip)
                if record and (record.get("country") or {}).get("iso_code") == iso and ip not in found:
                    found.append(ip)
        for _ in range(40_000):
            top = rng.choice((0x2001, 0x2400, 0x2600, 0x2800, 0x2A00, 0x2C00))
            if top == 0x2001:  # 2001:200::/23 .. 2001:dff::, the regional registries' first blocks
                n = (0x2001 << 112) | (rng.randint(0x200, 0xDFF) << 96) | rng.getrandbits(96)
            else:
                n = (top << 112) | rng.getrandbits(116)
            address = ipaddress.IPv6Address(n)
            record = raw.get(address)
            iso = (record.get("country") or {}).get("iso_code") if record else None
            if iso in v6 and len(v6[iso]) < 30:
                v6[iso].append(str(address))

    reader = geoip2.database.Reader(database)
    try:
        build_date = dt.datetime.fromtimestamp(reader.metadata().build_epoch, _UTC).date().isoformat()

        def place(ip: str) -> Place | None:
            try:
                city = reader.city(ip)
            except geoip2.errors.AddressNotFoundError:
                return Place(ip, None, None, None)
            if not city.country.name:
                return None
            return Place(ip, city.country.iso_code, city.country.name, city.subdivisions.most_specific.name)

        def placed(ips: list[str], iso: str) -> list[Place]:
            return [p for ip in ips if (p := place(ip)) is not None and p.iso == iso]

        pool_v4 = {iso: placed(ips, iso) for iso, ips in v4.items()}
        pool_v6 = {iso: placed(ips, iso) for iso, ips in v6.items()}
        pool_unknown = [p for ip in unknown if (p := place(ip)) is not None and p.iso is None]
    finally:
        reader.close()
    regions: dict[tuple[str, str | None], list[Place]] = {}
    for pool in (pool_v4, pool_v6):
        for iso, places in pool.items():
            for p in places:
                regions.setdefault((iso, p.state), []).append(p)
    return GeoPool(
        v4={k: v for k, v in pool_v4.items() if v},
        v6={k: v for k, v in pool_v6.items() if v},
        regions=regions,
        unknown=pool_unknown,
        database=database,
        build_date=build_date,
        raw=maxminddb.open_database(database),
    )


# --- records in memory -----------------------------------------------------


@dataclass(slots=True)
class _Browser:
    user_agent: str
    accept_language: str
    headers_json: str
    offset_minutes: int  # the zone its request times are written in
    zulu: bool  # write UTC as "Z"
    millis: bool  # write milliseconds

    @property
    def suffix(self) -> str:
        if self.offset_minutes == 0:
            return "Z" if self.zulu else "+00:00"
        sign = "+" if self.offset_minutes > 0 else "-"
        hours, minutes = divmod(abs(self.offset_minutes), 60)
        return f"{sign}{hours:02d}:{minutes:02d}"


@dataclass(slots=True)
class _Client:
    browser: _Browser
    place: Place


class _Branch:
    """One line of messages; every request of it sends a prefix as history."""

    __slots__ = ("messages", "_encoded", "_histories")

    def __init__(self, messages: list[tuple[str, str]]):
        self.messages = messages  # (role, content), alternating from user
        self._encoded: list[str] | None = None
        self._histories: list[str] | None = None

    def encoded(self, index: int) -> str:
        if self._encoded is None:
            self._encoded = [json.dumps(c, ensure_ascii=False) for _, c in self.messages]
        return self._encoded[index]

    def history_json(self, rounds: int) -> str:
        # Built once per branch: every request's history is a prefix of the next one's.
        if self._histories is None:
            self.encoded(0)
            assert self._encoded is not None
            items = [
                f'{{"role": "{role}", "content": {enc}}}'
                for (role, _), enc in zip(self.messages, self._encoded, strict=True)
            ]
            histories = ["[]"]
            joined = ""
            for k in range(1, len(self.messages) // 2 + 1):
                pair = items[2 * k - 2] + ", " + items[2 * k - 1]
                joined = pair if k == 1 else joined + ", " + pair
                histories.append("[" + joined + "]")
            self._histories = histories
        return self._histories[rounds]


@dataclass(slots=True)
class _Log:
    log_id: str
    ts: int  # request arrival, epoch milliseconds UTC
    rts: int  # reply received
    ip: str
    browser: _Browser
    model: str
    branch: _Branch
    round: int  # 0-based: history = the branch's first `round` rounds
    written: bool = True


@dataclass(slots=True)
class _Content:
    messages: list[list[str]]  # [user, assistant] per round
    planted: list[dict] = field(default_factory=list)
    lookalikes: list[str] = field(default_factory=list)
    toxic: bool = False
    tags: list[str] = field(default_factory=list)

    def as_branch(self) -> _Branch:
        flat: list[tuple[str, str]] = []
        for user, assistant in self.messages:
            flat.append(("user", user))
            flat.append(("assistant", assistant))
        return _Branch(flat)


@dataclass(slots=True)
class _Expected:
    month: str
    language: str
    place: Place
    model: str
    branch: _Branch
    logs: list[_Log | None]
    toxic: bool
    planted: list[dict]
    lookalikes: list[str]
    cases: list[str]

    def record(self) -> dict:
        last = self.logs[-1]
        assert last is not None
        ips: list[str] = []
        for log in self.logs:
            if log is not None and log.ip not in ips:
                ips.append(log.ip)
        return {
            "conversation_id": last.log_id,
            "month": self.month,
            "log_ids": [log.log_id if log else None for log in self.logs],
            "turn": len(self.logs),
            "model": self.model,
            "language": self.language,
            "country": self.place.country,
            "state": self.place.state,
            "ip": last.ip,
            "ips": ips,
            "toxic": self.toxic,
            "planted": self.planted,
            "lookalikes": self.lookalikes,
            "cases": self.cases,
            "messages": [{"role": r, "content": c} for r, c in self.branch.messages],
        }


# --- helpers on time and text ------------------------------------------------


@functools.lru_cache(maxsize=None)
def _month_start_ms(month: str) -> int:
    d = parse_month(month)
    return int(dt.datetime(d.year, d.month, 1, tzinfo=_UTC).timestamp()) * 1000


def _utc_month(ms: int) -> str:
    moment = time.gmtime(ms // 1000)
    return f"{moment.tm_year:04d}-{moment.tm_mon:02d}"


def _format_time(ms: int, browser: _Browser) -> str:
    """RFC 3339 in the browser's zone (the same instant as `ms`)."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds + browser.offset_minutes * 60)
    out = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    if browser.millis:
        out += f".{millis:03d}"
    return out + browser.suffix


def models_for_month(month: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(GPT-3.5 names, GPT-4 names) a WildChat-like service served that month."""
    if month < "2023-06":
        return ("gpt-3.5-turbo-0301",), ("gpt-4-0314",)
    if month == "2023-06":
        return ("gpt-3.5-turbo-0301", "gpt-3.5-turbo-0613"), ("gpt-4-0314",)
    if month < "2023-11":
        return ("gpt-3.5-turbo-0613",), ("gpt-4-0314",)
    if month < "2024-02":
        return ("gpt-3.5-turbo-0613", "gpt-3.5-turbo-1106"), ("gpt-4-1106-preview",)
    return ("gpt-3.5-turbo-0125",), ("gpt-4-0125-preview",)


def _luhn_complete(digits: list[int]) -> list[int]:
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + [(10 - total % 10) % 10]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- the generator ----------------------------------------------------------


class _Generator:
    def __init__(self, seed: int, pool: GeoPool):
        self.rng = random.Random(seed)
        self.pool = pool
        self.expected: list[_Expected] = []
        self.logs: list[_Log] = []
        self.retries: list[tuple[_Log, _Log]] = []  # (copy, original)
        self.absorbed: list[tuple[str, _Expected]] = []  # (absorbed chain end log_id, into)
        self.junk: dict[str, list[tuple[str, str | bytes]]] = {}  # month -> (reason, line)
        self.duplicates: dict[str, int] = {}  # month -> duplicate_log_id lines wanted
        self._seen_openings: set[str] = set()
        self._claims: set[tuple[str, str]] = set()  # (shared opening, ip)
        self._recent: dict[str, list[_Client]] = {}
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

    # -- identities --

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

    def browser(self, bank: text.LanguageBank, place: Place, user_agent: str | None = None) -> _Browser:
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
        return _Browser(ua, al, json.dumps(headers, ensure_ascii=False), offset, zone > 0.92, rng.random() < 0.3)

    def same_fingerprint(self, browser: _Browser) -> _Browser:
        """Another machine with the same browser build and language settings."""
        return _Browser(browser.user_agent, browser.accept_language, browser.headers_json,
                        browser.offset_minutes, browser.zulu, browser.millis)

    def client(self, bank: text.LanguageBank, fresh: bool = False) -> _Client:
        recent = self._recent.setdefault(bank.name, [])
        if not fresh and recent and self.rng.random() < _RETURNING_CLIENT_SHARE:
            return self.rng.choice(recent)
        place = self.place(bank)
        made = _Client(self.browser(bank, place), place)
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

    # -- text --

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

    # -- planted values --

    def email(self, bank: text.LanguageBank) -> str:
        rng = self.rng
        domain = rng.choice(bank.email_domains)
        if domain in ("qq.com", "163.com", "126.com") and rng.random() < 0.7:
            return f"{rng.randint(10_000_000, 3_999_999_999)}@{domain}"
        first = rng.choice(text.FIRST_NAMES).lower()
        last = rng.choice(text.LAST_NAMES).lower()
        local = rng.choice((
            f"{first}.{last}{rng.randint(1, 99)}",
            f"{first}{last}{rng.randint(1970, 2006)}",
            f"{first[0]}.{last}{rng.randint(10, 999)}",
            f"{first}_{last}_{rng.randint(1, 9999)}",
        ))
        return f"{local}@{domain}"

    def phone(self, iso: str | None) -> str:
        import phonenumbers

        rng = self.rng
        region = iso if iso and iso in phonenumbers.SUPPORTED_REGIONS else "US"
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is None:
            region, example = "US", phonenumbers.example_number_for_type("US", phonenumbers.PhoneNumberType.MOBILE)
        national = str(example.national_number)
        keep = max(2, len(national) - 7)
        for _ in range(50):
            candidate = national[:keep] + "".join(rng.choice(string.digits) for _ in range(len(national) - keep))
            number = phonenumbers.parse(f"+{example.country_code}{candidate}")
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def card(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:  # American Express: 15 digits, 4-6-5
            digits = _luhn_complete([3, rng.choice((4, 7))] + [rng.randrange(10) for _ in range(12)])
            s = "".join(map(str, digits))
            return f"{s[:4]} {s[4:10]} {s[10:]}"
        prefix = [4] if kind < 0.65 else [5, rng.randint(1, 5)]
        digits = _luhn_complete(prefix + [rng.randrange(10) for _ in range(15 - len(prefix))])
        s = "".join(map(str, digits))
        sep = rng.choice((" ", "-", ""))
        return sep.join(s[i : i + 4] for i in range(0, 16, 4))

    def secret(self, kind: str) -> tuple[str, str]:
        """(the secret, a code snippet holding it)."""
        rng = self.rng
        pick = lambda alphabet, k: "".join(rng.choices(alphabet, k=k))  # noqa: E731
        if kind == "openai":
            key = "sk-" + pick(_B62, 48) if rng.random() < 0.7 else "sk-proj-" + pick(_B64URL, 56)
            return key, f'import openai\n\nopenai.api_key = "{key}"\nresponse = openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages)'
        if kind == "aws":
            key = "AKIA" + pick(string.ascii_uppercase + "234567", 16)
            return key, f"[default]\naws_access_key_id = {key}\nregion = us-east-1\noutput = json"
        if kind == "github":
            key = "ghp_" + pick(_B62, 36)
            return key, f"export GITHUB_TOKEN={key}\ngit push origin main"
        if kind == "slack":
            key = f"xoxb-{rng.randint(10**10, 10**12 - 1)}-{rng.randint(10**11, 10**13 - 1)}-{pick(_B62, 24)}"
            return key, f'from slack_sdk import WebClient\n\nclient = WebClient(token="{key}")\nclient.chat_postMessage(channel="#general", text="hello")'
        if kind == "google":
            key = "AIza" + pick(_B64URL, 35)
            return key, f'url = "https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key={key}"\nresponse = requests.get(url)'
        if kind == "jwt":
            header = _b64url(b'{"alg":"HS256","typ":"JWT"}')
            payload = _b64url(json.dumps({"sub": str(rng.randint(10**6, 10**9)), "iat": rng.randint(1_680_000_000, 1_710_000_000)}, separators=(",", ":")).encode())
            key = f"{header}.{payload}.{pick(_B64URL, 43)}"
            return key, f'headers = {{"Authorization": "Bearer {key}"}}\nresponse = requests.get("https://api.myshop.dev/v1/orders", headers=headers)'
        if kind == "private_key":
            body = "MIIEowIBAAKCAQEA" + pick(_B64, 64 * 12 - 16)
            lines = [body[i : i + 64] for i in range(0, len(body), 64)] + [pick(_B64, 24) + "=="]
            key = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"
            return key, f"ssh keeps saying the key is invalid, this is the file:\n{key}"
        raise ValueError(kind)

    # -- conversations --

    def content(
        self,
        bank: text.LanguageBank,
        rounds: int,
        client: _Client,
        features: tuple[str, ...] = (),
        opening: tuple[str, str] | None = None,
    ) -> _Content:
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
        made = _Content(messages)
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
            messages[r][0] = rng.choice(bank.toxic) + bank.joiner + messages[r][0]
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

    def _pii_sentence(self, kind: str, secret_kind: str, bank: text.LanguageBank, client: _Client) -> tuple[str, str]:
        rng = self.rng
        if kind == "EMAIL_ADDRESS":
            value = self.email(bank)
            return value, rng.choice(bank.email_templates).format(value=value)
        if kind == "PHONE_NUMBER":
            value = self.phone(client.place.iso or self._countries[bank.name][0][0])
            return value, rng.choice(bank.phone_templates).format(value=value)
        if kind == "SECRET":
            value, snippet = self.secret(secret_kind or rng.choice(SECRET_KINDS))
            return value, rng.choice(bank.secret_templates).format(snippet=snippet)
        if kind == "CREDIT_CARD":
            value = self.card()
            return value, rng.choice(text.CARD_TEMPLATES).format(value=value)
        if kind == "PERSON":
            value = f"{rng.choice(text.FIRST_NAMES)} {rng.choice(text.LAST_NAMES)}"
            return value, rng.choice(text.PERSON_TEMPLATES).format(value=value)
        if kind == "URL":
            first, last = rng.choice(text.FIRST_NAMES).lower(), rng.choice(text.LAST_NAMES).lower()
            value = f"https://www.linkedin.com/in/{first}-{last}-{rng.getrandbits(32):08x}"
            return value, rng.choice(text.URL_TEMPLATES).format(value=value)
        if kind == "IP_ADDRESS":
            if rng.random() < 0.4:
                value = client.place.ip  # users paste their own address more often than one expects
            else:
                value = rng.choice(self.pool.v4[rng.choice(list(self.pool.v4))]).ip
            return value, rng.choice(text.IP_TEMPLATES).format(value=value)
        raise ValueError(kind)

    # -- time --

    def reply_ms(self, response: str, model: str) -> int:
        chars_per_second = 60 if model.startswith("gpt-4") else 160
        return min(800 + self.rng.randint(0, 2500) + len(response) * 1000 // chars_per_second, 60_000)

    def think_ms(self) -> int:
        seconds = min(max(self.rng.lognormvariate(4.2, 1.0), 8.0), 1800.0)
        return int(seconds * 1000)

    def timeline(self, content: _Content, model: str, pause_after: dict[int, int] | None = None) -> list[list[int]]:
        """[request, reply] offsets in ms from the first request, per round."""
        times: list[list[int]] = []
        t = 0
        for r, (_, answer) in enumerate(content.messages):
            if r:
                t = times[-1][1] + self.think_ms() + (pause_after or {}).get(r - 1, 0)
            times.append([t, t + self.reply_ms(answer, model)])
        return times

    def start_inside(self, month: str, span_ms: int) -> int:
        lo = _month_start_ms(month) + 60_000
        hi = _month_start_ms(shift_month(month, 1)) - span_ms - 60_000
        return self.rng.randint(lo, max(lo, hi))

    def make_logs(self, branch: _Branch, client: _Client, model: str, times: list[list[int]], start: int,
                  ips: list[str] | None = None) -> list[_Log]:
        made = [
            _Log(self.log_id(), start + t0, start + t1, ips[r] if ips else client.place.ip, client.browser, model, branch, r)
            for r, (t0, t1) in enumerate(times)
        ]
        self.logs.extend(made)
        return made

    def expect(self, month: str, bank: text.LanguageBank, place: Place, model: str, branch: _Branch,
               logs: list[_Log | None], content: _Content, cases: list[str]) -> _Expected:
        last = logs[-1]
        assert last is not None
        actual = _utc_month(last.rts)
        if actual != month:
            raise AssertionError(f"generator bug: conversation meant for {month} ends in {actual}")
        tags = list(cases) + content.tags
        if ":" in place.ip:
            tags.append("ipv6")
        if place.country is None:
            tags.append("unknown_ip")
        made = _Expected(month, bank.name, place, model, branch, logs, content.toxic,
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

    def case_cross_month(self, month: str) -> None:
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(2), client)
        times = self.timeline(content, model)
        j = self.rng.randint(1, len(times) - 1)  # the first round logged in `month`
        boundary = _month_start_ms(month)
        start = boundary - self.rng.randint(times[j - 1][0] + 1, times[j][0])
        self._finish(month, bank, client, model, content, times, start, ["cross_month"])

    def case_reply_crosses_month(self, month: str) -> None:
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(), client)
        times = self.timeline(content, model)
        early = self.rng.randint(1_000, 5_000)  # the last request arrives this long before midnight
        times[-1][1] = times[-1][0] + early + self.rng.randint(2_000, 20_000)
        start = _month_start_ms(month) - early - times[-1][0]
        self._finish(month, bank, client, model, content, times, start, ["reply_crosses_month"])

    def case_zone_month_boundary(self, month: str) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            # Late on the last UTC day, already the next month on the client's clock (UTC+8/+9).
            bank = self.bank(rng.choice(("Chinese", "Japanese")))
            offset = 480 if bank.name == "Chinese" else 540
            client = self._zoned_client(bank, offset)
            model = self.model(month)
            content = self.content(bank, self.rounds(), client)
            times = self.timeline(content, model)
            last_reply = times[-1][1] - times[-1][0]
            before_end = rng.randint(last_reply + 90_000, 7 * 3_600_000)
            start = _month_start_ms(shift_month(month, 1)) - before_end - times[-1][0]
        else:
            # Early on the first UTC day, still the previous month on the client's clock (UTC-5).
            bank = self.bank(rng.choice(("English", "Spanish")))
            client = self._zoned_client(bank, -300)
            model = self.model(month)
            content = self.content(bank, self.rounds(), client)
            times = self.timeline(content, model)
            start = _month_start_ms(month) + rng.randint(60_000, 4 * 3_600_000)
        self._finish(month, bank, client, model, content, times, start, ["zone_month_boundary"])

    def case_ip_change(self, month: str) -> None:
        bank = self.bank()
        place, other = self._two_places_same_region(bank)
        client = _Client(self.browser(bank, place), place)
        model = self.model(month)
        content = self.content(bank, self.rounds(2), client)
        times = self.timeline(content, model)
        switch = self.rng.randint(1, len(times) - 1)
        ips = [place.ip if r < switch else other.ip for r in range(len(times))]
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, self.start_inside(month, times[-1][1]), ips)
        self.expect(month, bank, place, model, branch, list(logs), content, ["ip_change"])

    def case_retry(self, month: str) -> None:
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(), client)
        r = self.rng.randrange(len(content.messages))
        delay = self.rng.randint(2_000, 10_000)
        times = self.timeline(content, model, {r: delay + 1_000})
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, self.start_inside(month, times[-1][1] + delay))
        original = logs[r]
        copy = _Log(self.log_id(), original.ts + delay, original.rts + delay, original.ip, original.browser,
                    model, branch, r)
        self.logs.append(copy)
        self.retries.append((copy, original))
        self.expect(month, bank, client.place, model, branch, list(logs), content, ["retry"])

    def case_regeneration(self, month: str) -> None:
        rng = self.rng
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(), client)
        rounds = len(content.messages)
        k = rng.randrange(rounds)
        fresh = self.answer(bank)
        while fresh == content.messages[k][1]:
            fresh = self.answer(bank)
        gap = rng.randint(5_000, 60_000)
        regen_reply = self.reply_ms(fresh, model)
        times = self.timeline(content, model, {k: gap + regen_reply})
        start = self.start_inside(month, times[-1][1] + gap + regen_reply)
        continue_regenerated = rng.random() < 0.7
        regenerated_messages = [list(m) for m in content.messages]
        regenerated_messages[k][1] = fresh
        if continue_regenerated:
            # The UI shows the new answer and the user goes on from it.
            main = _Content(regenerated_messages, content.planted, content.lookalikes, content.toxic, content.tags)
            side = _Content([list(m) for m in content.messages[: k + 1]])
        else:
            main = content
            side = _Content(regenerated_messages[: k + 1])
        main_branch, side_branch = main.as_branch(), side.as_branch()
        main_logs = self.make_logs(main_branch, client, model, times, start)
        side_log = _Log(self.log_id(), main_logs[k].ts, main_logs[k].rts, client.place.ip, client.browser,
                        model, side_branch, k)
        if continue_regenerated:
            # The original answer came first; the regenerated request followed it.
            main_logs[k].ts = side_log.rts + gap
            main_logs[k].rts = main_logs[k].ts + regen_reply
        else:
            side_log.ts = main_logs[k].rts + gap
            side_log.rts = side_log.ts + regen_reply
        self.logs.append(side_log)
        self.expect(month, bank, client.place, model, main_branch, list(main_logs), main, ["regeneration"])
        self.expect(month, bank, client.place, model, side_branch, list(main_logs[:k]) + [side_log], side,
                    ["regeneration"])

    def case_lost_log(self, month: str) -> None:
        rng = self.rng
        bank, client, model = self._start(month)
        content = self.content(bank, self.rounds(2), client)
        rounds = len(content.messages)
        lost = {rng.randrange(rounds - 1)}
        if rounds >= 6 and rng.random() < 0.3:
            first = next(iter(lost))
            if first + 2 <= rounds - 2:
                lost.add(rng.randint(first + 2, rounds - 2))
        times = self.timeline(content, model)
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, self.start_inside(month, times[-1][1]))
        for r in lost:
            logs[r].written = False
        made = self.expect(month, bank, client.place, model, branch,
                           [None if r in lost else log for r, log in enumerate(logs)], content, ["lost_log"])
        # Every run of surviving logs before a lost one ends a chain of its own,
        # a strict prefix of the whole conversation: it is absorbed.
        for r in range(rounds - 1):
            if r not in lost and (r + 1) in lost:
                self.absorbed.append((logs[r].log_id, made))

    def case_repeated_opening(self, month: str) -> None:
        rng = self.rng
        bank = self.bank()
        opening = rng.choice(bank.openings)
        client = self._claimed_client(bank, opening)
        model = self.model(month)
        short = self.content(bank, 1, client, opening=opening)
        long = self.content(bank, self.rounds(2), client, opening=opening)
        short_times = self.timeline(short, model)
        long_times = self.timeline(long, model)
        later = rng.randint(3_600_000, 6 * 3_600_000)  # hours later: a new chat, not a retry
        start = self.start_inside(month, later + long_times[-1][1])
        short_branch, long_branch = short.as_branch(), long.as_branch()
        short_logs = self.make_logs(short_branch, client, model, short_times, start)
        long_logs = self.make_logs(long_branch, client, model, long_times, start + later)
        made = self.expect(month, bank, client.place, model, long_branch, list(long_logs), long, ["repeated_opening"])
        self.absorbed.append((short_logs[0].log_id, made))

    def case_nat(self, month: str) -> None:
        bank = self.bank()
        opening = self.rng.choice(bank.openings)
        first = self._claimed_client(bank, opening)
        ua = first.browser.user_agent
        while ua == first.browser.user_agent:
            ua = self.user_agent(bank)
        second = _Client(self.browser(bank, first.place, ua), first.place)
        self._group(month, bank, opening, [first, second], "nat")

    def case_identical_openings(self, month: str) -> None:
        bank = self.bank()
        opening = self.rng.choice(bank.openings)
        first = self._claimed_client(bank, opening)
        second = self._claimed_client(bank, opening)
        while (second.browser.user_agent, second.browser.accept_language) == (
            first.browser.user_agent, first.browser.accept_language
        ) or second.place.ip == first.place.ip:
            second = self._claimed_client(bank, opening)
        self._group(month, bank, opening, [first, second], "identical_openings")

    def case_identical_openings_same_fingerprint(self, month: str) -> None:
        bank = self.bank()
        opening = self.rng.choice(bank.openings)
        first = self._claimed_client(bank, opening)
        other = self._claimed_client(bank, opening)
        while other.place.ip == first.place.ip:
            other = self._claimed_client(bank, opening)
        second = _Client(self.same_fingerprint(first.browser), other.place)
        self._group(month, bank, opening, [first, second], "identical_openings_same_fingerprint")

    # -- case plumbing --

    def _start(self, month: str) -> tuple[text.LanguageBank, _Client, str]:
        bank = self.bank()
        return bank, self.client(bank, fresh=True), self.model(month)

    def _finish(self, month, bank, client, model, content, times, start, cases) -> None:
        branch = content.as_branch()
        logs = self.make_logs(branch, client, model, times, start)
        self.expect(month, bank, client.place, model, branch, list(logs), content, cases)

    def _zoned_client(self, bank: text.LanguageBank, offset_minutes: int) -> _Client:
        place = self.place(bank, allow_unknown=False)
        browser = self.browser(bank, place)
        browser.offset_minutes = offset_minutes
        return _Client(browser, place)

    def _two_places_same_region(self, bank: text.LanguageBank) -> tuple[Place, Place]:
        """Two addresses in one country and state: a phone moving between cells or Wi-Fi."""
        for _ in range(50):
            place = self.place(bank, allow_unknown=False)
            region = [p for p in self.pool.regions.get((place.iso, place.state), []) if p.ip != place.ip]
            if region:
                other = self.pool.neighbour(self.rng.choice(region), self.rng)
                if other.ip != place.ip and (other.iso, other.state) == (place.iso, place.state):
                    return place, other
        places = next(p for p in self.pool.regions.values() if len(p) >= 2)
        return places[0], places[1]

    def _claimed_client(self, bank: text.LanguageBank, opening: tuple[str, str]) -> _Client:
        """A fresh client whose IP has never sent this shared opening before."""
        while True:
            client = self.client(bank, fresh=True)
            key = (opening[0], client.place.ip)
            if key not in self._claims:
                self._claims.add(key)
                return client

    def _group(self, month: str, bank: text.LanguageBank, opening: tuple[str, str], clients: list[_Client],
               case: str) -> None:
        rng = self.rng
        model = self.model(month)
        long_index = rng.randrange(len(clients))
        contents, timelines, offsets = [], [], []
        offset = 0
        for i, client in enumerate(clients):
            rounds = self.rounds(2) if i == long_index else self.rounds()
            content = self.content(bank, rounds, client, opening=opening)
            contents.append(content)
            timelines.append(self.timeline(content, model))
            offsets.append(offset)
            offset += rng.randint(60_000, 600_000)  # minutes apart: different people, not retries
        span = max(o + t[-1][1] for o, t in zip(offsets, timelines, strict=True))
        start = self.start_inside(month, span)
        for client, content, times, o in zip(clients, contents, timelines, offsets, strict=True):
            branch = content.as_branch()
            logs = self.make_logs(branch, client, model, times, start + o)
            self.expect(month, bank, client.place, model, branch, list(logs), content, [case])

    # -- records that break the contract --

    def junk_record(self, month: str, accented: bool = False) -> dict:
        bank = self.bank(self.rng.choice(("French", "Spanish", "German", "Portuguese")) if accented else None)
        client = self.client(bank, fresh=True)
        model = self.model(month)
        content = self.content(bank, 1, client)
        user, assistant = content.messages[0]
        ts = self.start_inside(month, 60_000)
        return {
            "log_id": self.log_id(),
            "timestamp": _format_time(ts, client.browser),
            "response_timestamp": _format_time(ts + self.reply_ms(assistant, model), client.browser),
            "model": model,
            "ip": client.place.ip,
            "headers": json.loads(client.browser.headers_json),
            "history": [],
            "prompt": user,
            "response": assistant,
        }

    def plant_junk(self, month: str, per_reason: int, too_large: int) -> None:
        rng = self.rng
        out = self.junk.setdefault(month, [])
        dumps = lambda record: json.dumps(record, ensure_ascii=False)  # noqa: E731
        for i in range(per_reason):
            record = self.junk_record(month)
            line = dumps(record)
            out.append(("invalid_json", line[: rng.randint(10, len(line) - 2)]))
            out.append(("not_an_object", rng.choice((
                dumps(list(self.junk_record(month).values())),
                '"upstream timeout after 60s"',
                "42",
                "null",
            ))))
            while True:  # bytes a Windows-1252 writer produced: not UTF-8
                raw = dumps(self.junk_record(month, accented=True)).encode("cp1252", errors="replace")
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    break
            out.append(("invalid_utf8", raw))
            record = self.junk_record(month)
            del record[("response", "model", "timestamp", "ip", "history", "response_timestamp")[i % 6]]
            out.append(("missing_field", dumps(record)))
            record = self.junk_record(month)
            field_name, value = (
                ("model", 35),
                ("headers", record["headers"].get("user-agent") or "Mozilla/5.0"),
                ("prompt", ["first part", "second part"]),
                ("log_id", 123456789),
            )[i % 4]
            record[field_name] = value
            out.append(("wrong_type", dumps(record)))
            record = self.junk_record(month)
            bad_field, bad_time = (
                ("timestamp", f"{month}-31T25:61:00+00:00"),
                ("timestamp", "yesterday at noon"),
                ("response_timestamp", "soon"),
            )[i % 3]
            record[bad_field] = bad_time
            out.append(("invalid_timestamp", dumps(record)))
            record = self.junk_record(month)
            record["ip"] = ("256.10.1.7", "not-an-ip", "192.168.1", "2001:db8::zz")[i % 4]
            out.append(("invalid_ip", dumps(record)))
            record = self.junk_record(month)
            if i % 2:
                record["history"] = [{"role": "assistant", "content": record["response"]}, {"role": "user", "content": record["prompt"]}]
            else:
                record["history"] = [{"role": "user", "content": record["prompt"]}, {"role": "user", "content": record["prompt"]}]
            out.append(("invalid_history", dumps(record)))
            record = self.junk_record(shift_month(month, rng.choice((-3, -2, 2, 3))))
            out.append(("wrong_month", dumps(record)))
        for _ in range(too_large):
            record = self.junk_record(month)
            record["prompt"] = "Find the error in this log file:\n" + _big_log_text()
            out.append(("too_large", dumps(record)))
        self.duplicates[month] = per_reason


_BIG_LOG: list[str] = []


def _big_log_text() -> str:
    if not _BIG_LOG:
        lines = [f"{i:06d} INFO worker-{i % 8} processed batch {i} in {i % 97 / 10:.1f}s" for i in range(28_000)]
        _BIG_LOG.append("\n".join(lines))
    return _BIG_LOG[0]


# --- writing --------------------------------------------------------------------


def _render(log: _Log) -> str:
    branch = log.branch
    k = log.round
    return (
        f'{{"log_id": "{log.log_id}", "timestamp": "{_format_time(log.ts, log.browser)}", '
        f'"response_timestamp": "{_format_time(log.rts, log.browser)}", "model": "{log.model}", '
        f'"ip": "{log.ip}", "headers": {log.browser.headers_json}, "history": {branch.history_json(k)}, '
        f'"prompt": {branch.encoded(2 * k)}, "response": {branch.encoded(2 * k + 1)}}}'
    )


def _write_month(gen: _Generator, data_dir: Path, month: str, logs: list[_Log], retry_copies: set[str]) -> tuple[list[dict], int, int]:
    """Write one landing folder; returns (rejected rows, files written, bytes written)."""
    rng = gen.rng
    logs.sort(key=lambda log: (log.rts, log.log_id))  # a front end logs a request when its reply completes
    entries: list[tuple[str | None, str | bytes]] = [(None, _render(log)) for log in logs]
    for _ in range(gen.duplicates.get(month, 0)):
        # A log shipper that wrote the same line twice.
        candidates = [i for i in range(len(logs)) if logs[i].log_id not in retry_copies]
        if not candidates:
            break
        i = rng.choice(candidates)
        entries.insert(i + 1, ("duplicate_log_id", entries[i][1]))
        logs.insert(i + 1, logs[i])
    for reason, line in gen.junk.get(month, []):
        entries.insert(rng.randrange(len(entries) + 1), (reason, line))
    folder = data_dir / "landing" / month
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("requests-*.jsonl*"):
        stale.unlink()
    n_files = max(2, -(-len(entries) // _LINES_PER_FILE))
    size = -(-len(entries) // n_files) if entries else 0
    rejected: list[dict] = []
    written = 0
    for f in range(n_files):
        chunk = entries[f * size : (f + 1) * size]
        name = f"requests-{f:03d}.jsonl" + (".gz" if f % 3 == 1 else "")
        relative = f"landing/{month}/{name}"
        parts: list[bytes] = []
        pending: list[str] = []
        for line_number, (reason, line) in enumerate(chunk, start=1):
            if reason is not None:
                rejected.append({"source_file": relative, "line_number": line_number, "reason": reason})
            if isinstance(line, bytes):
                if pending:
                    parts.append(("\n".join(pending) + "\n").encode())
                    pending = []
                parts.append(line + b"\n")
            else:
                pending.append(line)
        if pending:
            parts.append(("\n".join(pending) + "\n").encode())
        payload = b"".join(parts)
        if name.endswith(".gz"):
            payload = gzip.compress(payload, compresslevel=1, mtime=0)
        (folder / name).write_bytes(payload)
        written += len(payload)
    return rejected, n_files, written


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _validated_months(months: list[str]) -> list[str]:
    if not months:
        raise ValueError("no months given")
    for m in months:
        try:
            parse_month(m)
        except ValueError:
            raise ValueError(f"month {m!r} is not YYYY-MM") from None
        if len(m) != 7:
            raise ValueError(f"month {m!r} is not YYYY-MM")
    out = sorted(set(months))
    return out


def generate_landing(data_dir: Path, months: list[str], conversations_per_month: int, seed: int) -> dict:
    """Write synthetic raw logs for `months` into `data_dir/landing` and the ground truth
    into `data_dir/ground_truth`; return a summary (also written as summary.json).

    Each month gets exactly `conversations_per_month` expected conversations
    (a conversation's month is the UTC month of its last reply). With at least
    300 per month every hard case is planted at least three times per month
    (once from 60; none below), cross-month cases only where the previous month
    is generated too. Landing files of the given months are replaced.

    ground_truth/absorbed.jsonl lists two kinds of strict prefixes that end a
    chain of their own: the surviving logs before a lost log (`lost_log`), and
    a client's one-round chat whose identical opening the same client (same
    fingerprint, model and IP) sent again hours later and continued
    (`repeated_opening`). retries.jsonl lists every second copy of a request.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    months = _validated_months(months)
    if conversations_per_month < 0:
        raise ValueError("conversations_per_month must be >= 0")
    n = conversations_per_month
    gen = _Generator(seed, geo_pool())
    base = 3 if n >= 300 else (1 if n >= 60 else 0)

    for i, month in enumerate(months):
        has_previous = i > 0 and months[i - 1] == shift_month(month, -1)
        before = len(gen.expected)
        for case in HARD_CASES:
            if case in ("cross_month", "reply_crosses_month") and not has_previous:
                continue
            groups = max(base, round(_CASE_RATES[case] * n)) if base else 0
            for _ in range(groups):
                getattr(gen, f"case_{case}")(month)
        for features, language in gen.forced_features(base):
            if len(gen.expected) - before >= n:
                break
            gen.ordinary(month, features, language)
        while len(gen.expected) - before < n:
            gen.ordinary(month)
        if len(gen.expected) - before > n:
            raise ValueError(f"{n} conversations per month are too few for the planted cases")
        per_reason = max(2, round(n * 0.0002))
        gen.plant_junk(month, per_reason, 1 if n < 10_000 else 2)

    by_folder: dict[str, list[_Log]] = {m: [] for m in months}
    for log in gen.logs:
        if log.written:
            folder = _utc_month(log.ts)
            if folder not in by_folder:
                raise AssertionError(f"generator bug: a log falls in {folder}, outside the generated months")
            by_folder[folder].append(log)
    retry_copies = {copy.log_id for copy, _ in gen.retries}
    rejected: list[dict] = []
    files = 0
    size = 0
    logs_written = 0
    for month in months:
        logs_written += len(by_folder[month])
        rows, f, b = _write_month(gen, data_dir, month, by_folder[month], retry_copies)
        rejected += rows
        files += f
        size += b

    truth = data_dir / "ground_truth"
    truth.mkdir(parents=True, exist_ok=True)
    records = sorted((e.record() for e in gen.expected), key=lambda r: (r["month"], r["conversation_id"]))
    _write_jsonl(truth / "conversations.jsonl", records)
    _write_jsonl(truth / "rejected.jsonl", rejected)
    _write_jsonl(truth / "retries.jsonl", [{"log_id": c.log_id, "retry_of": o.log_id} for c, o in gen.retries])
    _write_jsonl(truth / "absorbed.jsonl", [
        {"conversation_id": log_id, "absorbed_into": into.logs[-1].log_id}  # type: ignore[union-attr]
        for log_id, into in gen.absorbed
    ])

    cases: dict[str, int] = {}
    planted: dict[str, int] = {}
    languages: dict[str, int] = {}
    per_month: dict[str, int] = {m: 0 for m in months}
    for r in records:
        per_month[r["month"]] += 1
        languages[r["language"]] = languages.get(r["language"], 0) + 1
        for c in r["cases"]:
            cases[c] = cases.get(c, 0) + 1
        for p in r["planted"]:
            planted[p["type"]] = planted.get(p["type"], 0) + 1
    reasons: dict[str, int] = {}
    for r in rejected:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    summary = {
        "seed": seed,
        "months": months,
        "conversations": len(records),
        "conversations_per_month": per_month,
        "logs_written": logs_written,
        "lost_logs": sum(1 for log in gen.logs if not log.written),
        "retries": len(gen.retries),
        "absorbed": len(gen.absorbed),
        "rejected_planted": len(rejected),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "lines_written": logs_written + len(rejected),
        "files": files,
        "bytes": size,
        "toxic": sum(1 for r in records if r["toxic"]),
        "cases": dict(sorted(cases.items())),
        "planted": dict(sorted(planted.items())),
        "languages": dict(sorted(languages.items(), key=lambda kv: -kv[1])),
        "geoip_database_build_date": gen.pool.build_date,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (truth / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
