"""PII redaction: the plain Presidio loop against the fast path, same texts, same process.

Texts are real WildChat messages (long ones cut at line breaks into ~1.2K-char
pieces, as a month's turns average) plus planted PII, secrets and look-alikes
(role addresses, numbers without a phone cue, non-Luhn cards, versions,
dates, public figures), some planted strings repeated across enough
conversations to be allow-listed. Both paths get the same list; the
redacted texts must be identical.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from wildchat_dagster.core.redaction.engine import PresidioRedactor, RedactorConfig
from wildchat_dagster.core.redaction.month import TextToRedact, redact_texts, redact_texts_plain
from wildchat_dagster.kit.samples import REAL_WILDCHAT
from wildchat_dagster.resources.pii_redactor import installed_english_model

PIECE_CHARS = 1200

FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mateo", "Chloe", "Daniel"]
LAST = ["Johnson", "Garcia", "Müller", "Rossi", "Kowalski", "Nguyen", "Okafor", "Larsen", "Silva", "Brennan"]


def split_message(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """Consecutive pieces of about `limit` characters, cut after a line break where one is near."""
    pieces = []
    while len(text) > limit * 1.5:
        cut = text.rfind("\n", limit // 2, limit + limit // 4)
        cut = cut + 1 if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:]
    if text.strip():
        pieces.append(text)
    return pieces


def real_pieces(folder: Path = REAL_WILDCHAT) -> list[tuple[str, str]]:
    """(conversation id, text piece) from the shipped real WildChat rows."""
    pieces = []
    for path in sorted(folder.glob("convotopo_*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines()):
            row = json.loads(line)
            conversation = row.get("id") or f"{path.stem}-{n}"
            for message in row["messages"]:
                pieces += [(conversation, p) for p in split_message(message["content"] or "")]
    return pieces


def _card(rng: random.Random, valid: bool) -> str:
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = sum(d if i % 2 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    check = (10 - total % 10) % 10
    digits.append(check if valid else (check + 3) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


def _token(
    rng: random.Random, n: int, alphabet: str = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted_sentence(rng: random.Random, shared_email: str) -> str:
    """One sentence with PII, a secret or a look-alike."""
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    user = name.lower().replace(" ", ".").replace("ü", "u")
    options = [
        f"Hi, my name is {name} and you can reach me at {user}{rng.randrange(99)}@gmail.com.",
        f"Please call me on my mobile: +1 415-555-{rng.randrange(1000, 9999)} after 6pm.",
        f"Order 415-555-{rng.randrange(1000, 9999)} shipped in 2023-04-{rng.randrange(10, 28)}.",
        f"Pay with card {_card(rng, True)} please.",
        f"This one is invalid: {_card(rng, False)}.",
        f"Write to info@{rng.choice(['acme', 'shop', 'school'])}.com or test@example.com for help.",
        (
            f"The server {rng.randrange(11, 220)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)} "
            "is down; the router is 192.168.1.1."
        ),
        f'openai.api_key = "sk-{_token(rng, 48)}"',
        f"export AWS_ACCESS_KEY_ID=AKIA{_token(rng, 16, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ')}",
        f"token = 'ghp_{_token(rng, 36)}' # do not share",
        f"Authorization: Bearer eyJ{_token(rng, 20)}.eyJ{_token(rng, 40)}.{_token(rng, 43)}",
        f"Dear {name},\n\nThank you for your letter.",
        f"Thanks for the help!\n\nBest regards,\n{name}",
        f"Find me on https://www.linkedin.com/in/{user.replace('.', '-')}-{rng.randrange(999)}/ too.",
        "Barack Obama said Python 3.11 beats 3.10; x = 3.14159 * r ** 2 and version 1.2.3.",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA"
        + _token(rng, 60)
        + "\n"
        + _token(rng, 64)
        + "\n-----END RSA PRIVATE KEY-----",
    ]
    if rng.random() < 0.1:
        return f"Contact {shared_email} for the shared account."
    return rng.choice(options)


def benchmark_texts(size: int, seed: int = 7) -> list[TextToRedact]:
    """`size` texts: real pieces (in order, cycling) with every tenth carrying a planted sentence."""
    rng = random.Random(seed)
    pieces = real_pieces() if REAL_WILDCHAT.is_dir() else []
    if not pieces:
        pieces = [(f"synthetic-{i}", f"Question {i}: how do I sort a list in Python?\n") for i in range(100)]
    shared_email = "team.lead.alvarez@outlook.com"  # planted in many conversations: public by the allow-list
    texts = []
    for i in range(size):
        conversation, text = pieces[i % len(pieces)]
        if i % len(pieces) != i:
            conversation = f"{conversation}#{i // len(pieces)}"
        if i % 10 == 0:
            lines = text.split("\n")
            at = rng.randrange(len(lines) + 1)
            text = "\n".join([*lines[:at], planted_sentence(rng, shared_email), *lines[at:]])
        texts.append(TextToRedact(conversation, text, "English"))
    return texts


def run(size: int) -> dict:
    """Plain loop vs fast path on `size` texts; prints texts/s of both, the ratio and mismatches."""
    model = installed_english_model()
    models = (("en", model),) if model else ()
    started = time.perf_counter()
    redactor = PresidioRedactor(RedactorConfig(spacy_models=models))
    setup = time.perf_counter() - started
    items = benchmark_texts(size)
    mean_chars = sum(len(it.text) for it in items) / len(items)
    print(

            f"pii: {len(items)} texts (mean {mean_chars:,.0f} chars), NER model "
            f"{redactor.models_in_force() or 'none'}, setup {setup:.1f} s"

    )

    fast, fast_report = redact_texts(items, redactor, workers=1)
    print(
        f"  fast : {fast_report.seconds:7.2f} s  {fast_report.texts_per_second:8.1f} texts/s "
        f"(analysed after prefilter {fast_report.proposals.texts_analysed}, "
        f"NER windows {fast_report.proposals.ner_windows}, "
        f"whole-text NER {fast_report.proposals.ner_whole_texts}, cache hits {fast_report.cache_hits})"
    )
    pooled, pooled_report = redact_texts(items, redactor, workers=2, parallel_min_texts=0)
    print(f"  fast, 2 worker processes (start-up included): {pooled_report.seconds:7.2f} s  "
          f"{pooled_report.texts_per_second:8.1f} texts/s")
    plain, plain_report = redact_texts_plain(items, redactor)
    print(f"  plain: {plain_report.seconds:7.2f} s  {plain_report.texts_per_second:8.1f} texts/s")
    mismatches = [i for i, (a, b) in enumerate(zip(fast, plain, strict=True)) if a != b]
    mismatches += [i for i, (a, b) in enumerate(zip(pooled, plain, strict=True)) if a != b and i not in mismatches]
    ratio = fast_report.texts_per_second / plain_report.texts_per_second
    print(f"  ratio {ratio:.1f}x, mismatches {len(mismatches)}, texts redacted {fast_report.texts_redacted}, "
          f"entities {dict(fast_report.entities)}, allow-listed strings {dict(fast_report.allow_listed_strings)}")
    for i in mismatches[:5]:
        print(f"  mismatch {i}: fast {fast[i].entities} plain {plain[i].entities}")
    return {
        "texts": len(items),
        "mean_chars": round(mean_chars),
        "plain_texts_per_second": round(plain_report.texts_per_second, 1),
        "fast_texts_per_second": round(fast_report.texts_per_second, 1),
        "fast_two_workers_texts_per_second": round(pooled_report.texts_per_second, 1),
        "ratio": round(ratio, 1),
        "mismatches": len(mismatches),
        "texts_redacted": fast_report.texts_redacted,
        "entities": dict(fast_report.entities),
        "ner_model": redactor.models_in_force(),
    }
