"""The prefilter's cheap tests decide exactly as the regexes they stand for (same texts analysed, same stats),
and Presidio loads without transformers."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import regex

from wildchat_dagster.core.redaction.catalogue import IP_SHAPE, _has_ip_shape
from wildchat_dagster.core.redaction.cues import has_person_cue, person_cues
from wildchat_dagster.core.redaction.entities import _FOLD_SAFE, TextView, folded_needle
from wildchat_dagster.core.redaction.policy import RedactionPolicy
from wildchat_dagster.core.redaction.secrets import SECRET_KINDS, SECRET_TRIGGERS, has_secret_trigger
from wildchat_dagster.kit.benchmarks.pii import planted_sentence

# Look-alikes at the edges of each test: case variants (Kelvin sign, long s, dotted I), blanks, colons.
EDGE_TEXTS = [
    "AWS_SECRET_ACCESS_KEY=abc", "aws_secret_access_\u212aey: x", "\u017fecretaccesskey = y", "AWS_SECRET_\u0130",
    "sk-",
    "task-force", "ASIA is big", "github_pat_", "-----BEGIN PRIVATE", "version 1.2.3.4", "fe80::1", "a:b:c:d:e:f:g:h",
    "1:2:3:4:5:6:7:", "12.3.4", "٣.١.٢.٤", "Dear John,", "Hi\nDear Ann", "I am Bob", "i am a student", "I\u2019m Sam",
    "Best regards,\nAnn", "Best,\n\nTom", "Regards, Kim", "NAME: Lee", "\u0130 am Ali", "my   name\tis Eve",
    "Ich heiße Jan", "Меня зовут Иван", "我叫李雷", "", "\n",
]  # fmt: skip


def _texts(real_wildchat, n: int = 2500) -> list[str]:
    texts = list(EDGE_TEXTS)
    for path in sorted(real_wildchat.glob("convotopo_*.jsonl")):
        for line in path.read_text().splitlines():
            texts += [m["content"] or "" for m in json.loads(line)["messages"]]
    rng = random.Random(3)
    texts += [planted_sentence(rng, "team.lead@outlook.com") for _ in range(300)]
    mixed = [f"{a[:400]}\n{b}" for a, b in zip(texts[::2], texts[1::2], strict=False)]
    return (texts + mixed)[:n] + EDGE_TEXTS


def test_fold_safe_characters_fold_like_every_case_insensitive_match():
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for char in _FOLD_SAFE:
        matches = set(regex.findall("(?i)" + regex.escape(char), everything))
        assert char in matches
        assert {m.casefold() for m in matches} == {char.casefold()}, char
    # The one ASCII letter left out matches a character that folds to two.
    assert "\u0130" in regex.findall("(?i)i", everything)


def test_folded_needles_are_found_wherever_the_phrase_matches():
    assert folded_needle("aws_secret_access_key") == "aws_secret_access_key"
    assert folded_needle("Sign In") == "gn "  # the longest run without an i
    assert folded_needle("ii") is None
    text = "AWS_SECRET_ACCESS_\u212aEY"
    assert regex.search("(?i)aws_secret_access_key", text)
    assert folded_needle("aws_secret_access_key") in text.casefold()


def test_secret_trigger_test_equals_the_trigger_regex(real_wildchat):
    texts = _texts(real_wildchat) + [t for kind in SECRET_KINDS for t in kind.triggers]
    decided = [(has_secret_trigger(t, t.casefold()), SECRET_TRIGGERS.search(t) is not None) for t in texts]
    assert all(fast == slow for fast, slow in decided)
    assert sum(slow for _, slow in decided) >= 20


def test_person_cue_test_equals_the_cue_regex(real_wildchat):
    texts = _texts(real_wildchat, 1200)
    hits = 0
    for language in ("en", "de", "ru", "zh", "ja"):  # cased, Cyrillic, unspaced and uncased cues
        pattern = person_cues(language)
        for text in texts:
            expected = pattern.search(text) is not None
            assert has_person_cue(text, language) == expected, (language, text[:80])
            hits += expected
    assert hits >= 100


def test_ip_shape_test_equals_the_shape_regex(real_wildchat):
    policy = RedactionPolicy()
    shape = regex.compile(IP_SHAPE)
    texts = _texts(real_wildchat)
    decided = [(_has_ip_shape(TextView(t, "en", True, policy)), shape.search(t) is not None) for t in texts]
    assert all(fast == slow for fast, slow in decided)
    assert sum(slow for _, slow in decided) >= 5


def test_presidio_loads_without_transformers_and_transformers_still_imports():
    import subprocess

    code = (
        "import sys\n"
        "import wildchat_dagster.core.redaction.engine\n"
        "assert 'presidio_analyzer' in sys.modules and 'transformers' not in sys.modules\n"
        "import transformers\n"
        "print(transformers.__name__)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "transformers"
