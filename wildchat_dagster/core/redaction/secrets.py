"""API keys, tokens and private keys that users paste into chats.

Every kind is a trigger (a literal prefix such as `sk-` or `AKIA`, or a
context name such as `aws_secret_access_key`) and the pattern around it;
the recognizer regex is built from the trigger, so "the text contains a
trigger" is a necessary condition for a match by construction, and the
prefilter uses exactly that. All kinds are redacted as one entity type,
SECRET (`schema.placeholder("SECRET")`): the kind is an attacker's hint
and a reader needs only to know a secret was there. Kinds are counted by
name in the stage's metadata, never their values.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from wildchat_dagster.core.redaction.entities import folded_needle


@dataclass(frozen=True)
class SecretKind:
    name: str
    triggers: tuple[str, ...]
    # The regex of a match, with `{trigger}` where the alternation of triggers goes.
    template: str
    ignore_case_triggers: bool = False

    @property
    def trigger_regex(self) -> str:
        alternation = "|".join(regex.escape(t) for t in self.triggers)
        return f"(?i:{alternation})" if self.ignore_case_triggers else f"(?:{alternation})"

    @property
    def regex(self) -> str:
        return self.template.replace("{trigger}", self.trigger_regex)


_TOKEN_END = r"(?![A-Za-z0-9_\-])"
_NOT_AFTER_TOKEN = r"(?<![A-Za-z0-9_\-])"

SECRET_KINDS = (
    SecretKind(
        "openai_api_key",
        ("sk-",),
        _NOT_AFTER_TOKEN + r"{trigger}(?:proj-|svcacct-|admin-|ant-api\d\d-)?[A-Za-z0-9_\-]{20,}" + _TOKEN_END,
    ),
    SecretKind("aws_access_key_id", ("AKIA", "ASIA"), r"(?<![A-Z0-9]){trigger}[A-Z0-9]{16}(?![A-Z0-9])"),
    SecretKind(
        "aws_secret_access_key",
        ("aws_secret_access_key", "secret_access_key", "aws_secret_key", "secretaccesskey"),
        r"(?<={trigger}[\"']?[ \t]*[:=][ \t]*[\"']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
        ignore_case_triggers=True,
    ),
    SecretKind(
        "github_token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"(?<![A-Za-z0-9_]){trigger}[A-Za-z0-9]{36,}\b"
    ),
    SecretKind("github_fine_grained_token", ("github_pat_",), r"(?<![A-Za-z0-9_]){trigger}[A-Za-z0-9_]{22,}\b"),
    SecretKind(
        "slack_token",
        ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"),
        r"(?<![A-Za-z0-9])" + r"{trigger}[A-Za-z0-9\-]{10,}",
    ),
    SecretKind(
        "slack_webhook", ("hooks.slack.com/services/",), r"{trigger}T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"
    ),
    SecretKind("google_api_key", ("AIza",), r"(?<![A-Za-z0-9_\-]){trigger}[0-9A-Za-z_\-]{35}" + _TOKEN_END),
    SecretKind(
        "stripe_key", ("sk_live_", "rk_live_", "sk_test_", "rk_test_"), r"(?<![A-Za-z0-9_]){trigger}[A-Za-z0-9]{16,}\b"
    ),
    SecretKind("huggingface_token", ("hf_",), r"(?<![A-Za-z0-9_]){trigger}[A-Za-z0-9]{30,}\b"),
    SecretKind(
        "json_web_token",
        ("eyJ",),
        r"(?<![A-Za-z0-9_\-]){trigger}[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]+" + _TOKEN_END,
    ),
    # A whole PEM block; when the END line is missing (truncated paste), the header
    # and the base64 or "Name: value" lines that follow it, up to a blank line.
    SecretKind(
        "private_key_block",
        ("-----BEGIN ",),
        r"{trigger}(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"|(?:[ \t]*\r?\n[ \t]*(?:[A-Za-z0-9+/=]+|[A-Za-z][A-Za-z\-]*:[^\r\n]*)(?=[ \t]*(?:\r?\n|$)))+)",
    ),
)

SECRET_TRIGGERS = regex.compile("|".join(kind.trigger_regex for kind in SECRET_KINDS))
# The same test by parts: a cased trigger is a plain substring; a caseless one leaves a folded
# needle in the case-folded text (`entities.folded_needle`). Substring tests cost a fraction of
# the alternation's regex search, which ran at every position of every turn; cased triggers
# holding a character most turns lack ('-', '_', '/') are tested only where it occurs.
_GATES = "-_/"


def _gated(triggers: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    groups: dict[str, list[str]] = {}
    for trigger in triggers:
        groups.setdefault(next((c for c in _GATES if c in trigger), ""), []).append(trigger)
    return tuple((gate, tuple(group)) for gate, group in sorted(groups.items()))


_CASED_TRIGGERS = _gated([t for kind in SECRET_KINDS if not kind.ignore_case_triggers for t in kind.triggers])
_CASELESS = [kind for kind in SECRET_KINDS if kind.ignore_case_triggers]
_CASELESS_TRIGGERS = regex.compile("|".join(kind.trigger_regex for kind in _CASELESS)) if _CASELESS else None
_CASELESS_NEEDLES = [folded_needle(t) for kind in _CASELESS for t in kind.triggers]


def has_secret_trigger(text: str, folded: str) -> bool:
    """`SECRET_TRIGGERS.search(text) is not None`, cheaper; `folded` is `text.casefold()`."""
    for gate, triggers in _CASED_TRIGGERS:  # "" (in every text) first
        if gate in text and any(t in text for t in triggers):
            return True
    if _CASELESS_TRIGGERS is None:
        return False
    if None not in _CASELESS_NEEDLES and not any(n in folded for n in _CASELESS_NEEDLES):
        return False
    return _CASELESS_TRIGGERS.search(text) is not None


_PLACEHOLDER_MARKERS = ("xxxx", "XXXX", "EXAMPLE", "example", "your", "YOUR", "1234567890", "abcdef", "ABCDEF")


def looks_like_placeholder(value: str, kind: SecretKind) -> bool:
    """Documentation keys ('sk-xxxx...', AKIAIOSFODNN7EXAMPLE) are not secrets.

    Only single-line tokens are judged: a private-key block is always secret.
    """
    if kind.name == "private_key_block":
        return False
    body = value
    for trigger in kind.triggers:
        if body.lower().startswith(trigger.lower()):
            body = body[len(trigger) :]
            break
    if len(set(body)) < 8:
        return True
    return any(marker in body for marker in _PLACEHOLDER_MARKERS)


_SECRET_REGEXES = [(kind.name, regex.compile(kind.regex)) for kind in SECRET_KINDS]


def secret_kind_of(text: str, start: int, end: int) -> str:
    """Which kind a redacted secret was, for counts (never stored with the value)."""
    for name, pattern in _SECRET_REGEXES:
        for m in pattern.finditer(text, max(0, start - 64), end):
            if m.span() == (start, end):
                return name
    return "unknown"
