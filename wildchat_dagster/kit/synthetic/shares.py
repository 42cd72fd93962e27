"""What the generator plants and how often: hard linking cases, contract violations, PII and content features."""

from __future__ import annotations

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
