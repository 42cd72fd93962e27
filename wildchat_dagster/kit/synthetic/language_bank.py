"""A language's sentences, countries and browser settings, from which the generator writes its messages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LanguageBank:
    name: str  # WildChat's English language name
    code: str  # fastText label without "__label__"
    share: float  # share of conversations
    requests: tuple[str, ...]  # a user's opening request
    details: tuple[str, ...]  # context a user adds to a request
    followups: tuple[str, ...]  # later user turns
    openers: tuple[str, ...]  # first sentence of an assistant reply
    answers: tuple[str, ...]  # body sentences of an assistant reply
    closers: tuple[str, ...]  # last sentence of an assistant reply
    # Openings many users send word for word, with the reply they always get.
    openings: tuple[tuple[str, str], ...]
    email_templates: tuple[str, ...]
    phone_templates: tuple[str, ...]  # each carries a cue word (phone, tel, WhatsApp, 电话...)
    secret_templates: tuple[str, ...]  # {snippet} is a code line holding the key
    empty_replies: tuple[str, ...]  # replies to an empty prompt
    accept_languages: tuple[str, ...]
    countries: tuple[tuple[str, float], ...]  # ISO code, weight
    toxic: tuple[str, ...] = ()
    calm_replies: tuple[str, ...] = ()  # the assistant's answer to an insult
    topics: tuple[str, ...] = ()  # fills {topic} in requests
    joiner: str = " "  # between sentences (none in Chinese and Japanese)
    email_domains: tuple[str, ...] = field(default=("gmail.com", "outlook.com", "yahoo.com"))
