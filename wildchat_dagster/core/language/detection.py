"""Language of every utterance and conversation, with WildChat's English names.

fastText's lid.176 reads one line and is misled by code, URLs and very long
inputs, so each text is first reduced to a bounded, single-line sample of its
prose. Its top candidates are then checked against the scripts actually
written (a two-character Chinese reply must not come back "English"). The
conversation's language is its most frequent turn language, as in WildChat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from wildchat_dagster.core.language.prediction import Predict, predict_languages
from wildchat_dagster.core.language.samples import prediction_sample
from wildchat_dagster.core.language.scripts import LANGUAGE_NAMES, NOLANG
from wildchat_dagster.core.language.stats import LanguageResult
from wildchat_dagster.schema import LANGUAGE_TAGGED_CONVERSATIONS, LANGUAGE_UTTERANCE_FIELDS

_UTTERANCE_NAMES = [name for name, _ in LANGUAGE_UTTERANCE_FIELDS]
_ROW_NAMES = LANGUAGE_TAGGED_CONVERSATIONS.names


def language_name(code: str) -> str:
    """WildChat's name for a lid.176 code; a code outside the table (another
    model's label) is kept as it is rather than guessed."""
    return LANGUAGE_NAMES.get(code, code)


def conversation_language(utterances: list[dict]) -> str:
    """Most frequent turn language, Nolang ignored unless every turn is Nolang.
    Ties: the language of more user turns, then the earliest."""
    counts: dict[str, list[int]] = {}  # language -> [turns, user turns, -first index]
    for i, u in enumerate(utterances):
        language = u["language"]
        if language == NOLANG:
            continue
        entry = counts.get(language)
        if entry is None:
            entry = counts[language] = [0, 0, -i]
        entry[0] += 1
        entry[1] += u.get("role") == "user"
    if not counts:
        return NOLANG
    return max(counts, key=counts.__getitem__)


def tag_languages(
    rows: Iterable[dict],
    predict: Predict,
    batch_size: int = 4096,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[dict], LanguageResult]:
    """GEOTAGGED_CONVERSATIONS rows -> LANGUAGE_TAGGED_CONVERSATIONS rows, and what was found.

    `predict(samples)` returns, per sample, the model's candidates as
    (ISO code, probability), best first. Identical samples are predicted once,
    long ones first on a short sample (core/language/prediction.py).
    `progress(done, total)` is called after each batch of samples.
    """
    rows = list(rows)
    samples: list[list[str | None]] = []
    distinct: dict[str, str | None] = {}
    code_stripped = 0
    for row in rows:
        per_turn = []
        for u in row["conversation"] or []:
            sample, stripped = prediction_sample(u.get("content"))
            code_stripped += stripped
            per_turn.append(sample)
            if sample is not None:
                distinct.setdefault(sample, None)
        samples.append(per_turn)

    codes, script_overrides = predict_languages(list(distinct), predict, batch_size, progress)

    languages: Counter = Counter()
    conversation_languages: Counter = Counter()
    unmapped: Counter = Counter()
    out = []
    for row, per_turn in zip(rows, samples, strict=True):
        conversation = []
        for u, sample in zip(row["conversation"] or [], per_turn, strict=True):
            tagged = {name: u.get(name) for name in _UTTERANCE_NAMES}
            if sample is None:
                tagged["language"] = NOLANG
            else:
                code = codes[sample]
                tagged["language"] = language_name(code)
                if code not in LANGUAGE_NAMES:
                    unmapped[code] += 1
            languages[tagged["language"]] += 1
            conversation.append(tagged)
        tagged_row = {name: row.get(name) for name in _ROW_NAMES}
        tagged_row.update(conversation=conversation, language=conversation_language(conversation))
        conversation_languages[tagged_row["language"]] += 1
        out.append(tagged_row)

    return out, LanguageResult(
        conversations=len(out),
        utterances=sum(languages.values()),
        nolang_utterances=languages[NOLANG],
        distinct_samples_predicted=len(distinct),
        code_stripped_utterances=code_stripped,
        script_overrides=script_overrides,
        languages=dict(languages.most_common()),
        conversation_languages=dict(conversation_languages.most_common()),
        unmapped_codes=dict(unmapped),
    )
