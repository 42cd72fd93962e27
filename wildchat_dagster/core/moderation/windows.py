"""Detoxify's input handling: long texts in token windows, batches of similar length.

The model reads at most a window of tokens; a long message is cut into windows
scored in full (the maximum kept) instead of being truncated, and windows are
batched by length so padding stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence


def split_at_token_windows(text: str, token_starts: Sequence[int], max_tokens: int) -> list[tuple[str, int]]:
    """(piece, tokens) windows of at most max_tokens tokens covering the whole text.

    Cuts fall on token starts, preferably after whitespace in the window's second
    half, so a long message is scored in full instead of being truncated.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    total = len(token_starts)
    if total <= max_tokens:
        return [(text, total)]
    pieces: list[tuple[str, int]] = []
    first, char_start = 0, 0
    while total - first > max_tokens:
        cut = first + max_tokens
        for j in range(cut, first + max_tokens // 2, -1):
            position = token_starts[j]
            if position > 0 and text[position - 1].isspace():
                cut = j
                break
        pieces.append((text[char_start : token_starts[cut]], cut - first))
        first, char_start = cut, token_starts[cut]
    pieces.append((text[char_start:], total - first))
    return pieces


def length_sorted_batches(
    lengths: Sequence[int], batch_size: int, max_batch_tokens: int | None = None
) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first), so padding is small.

    With `max_batch_tokens`, a batch also holds at most that many padded tokens
    (texts x longest text): long texts go in small batches, short ones in full
    ones, and memory stays bounded.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    for index in order:
        if batches:
            batch = batches[-1]
            padded = (len(batch) + 1) * max(lengths[batch[0]], 1)  # the first is the longest
            if len(batch) < batch_size and (max_batch_tokens is None or padded <= max_batch_tokens):
                batch.append(index)
                continue
        batches.append([index])
    return batches


def max_scores(score_dicts: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per-key maximum: a text is as toxic as its most toxic part."""
    combined: dict[str, float] = {}
    for scores in score_dicts:
        for key, value in scores.items():
            combined[key] = value if key not in combined else max(combined[key], value)
    return combined


def windowed_batch_scores(
    texts: Sequence[str],
    token_starts: Callable[[list[str]], list[list[int]]],
    predict: Callable[[list[str]], list[dict[str, float]]],
    max_tokens: int,
    batch_size: int,
    max_batch_tokens: int | None = None,
    slab_size: int = 1024,
) -> Iterator[tuple[list[int], list[dict[str, float]]]]:
    """Score texts with a window-limited model: every text in full, in length-sorted batches.

    Texts are taken `slab_size` at a time (sorting a slab is enough to keep
    padding small); each is cut into windows, windows are batched by length,
    and a text's scores (the maximum over its windows) are yielded as soon as
    its last window is scored, so a caller can store them at once.
    """
    for slab_start in range(0, len(texts), slab_size):
        slab = list(texts[slab_start : slab_start + slab_size])
        pieces: list[tuple[int, str, int]] = []
        for offset, (text, starts) in enumerate(zip(slab, token_starts(slab), strict=True)):
            for piece, n_tokens in split_at_token_windows(text, starts, max_tokens):
                pieces.append((slab_start + offset, piece, n_tokens))
        remaining: dict[int, int] = {}
        for index, _, _ in pieces:
            remaining[index] = remaining.get(index, 0) + 1
        partial: dict[int, list[dict[str, float]]] = {}
        for batch in length_sorted_batches([n for _, _, n in pieces], batch_size, max_batch_tokens):
            scores = predict([pieces[k][1] for k in batch])
            if len(scores) != len(batch):
                raise ValueError(f"model returned {len(scores)} results for {len(batch)} texts")
            done: list[int] = []
            for k, piece_scores in zip(batch, scores, strict=True):
                index = pieces[k][0]
                partial.setdefault(index, []).append(piece_scores)
                remaining[index] -= 1
                if remaining[index] == 0:
                    done.append(index)
            if done:
                yield done, [max_scores(partial.pop(i)) for i in done]
