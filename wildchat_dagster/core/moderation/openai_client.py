"""The OpenAI moderation API, within a request and token budget, with retries.

Texts go out as lists (`inputs_per_request` per request) from a few threads.
Every attempt first takes its share of the per-minute budgets, so parallel
threads never exceed them; 429s (honouring Retry-After), 5xx and timeouts are
retried with exponential backoff, and a text the API rejects as too long is
split in halves whose results are combined (flags OR-ed, scores max-ed).
"""

from __future__ import annotations

import collections
import email.utils
import json
import random
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import openai
import tenacity

from wildchat_dagster.core.moderation.moderators import ENGLISH, OPENAI
from wildchat_dagster.core.moderation.results import (
    combine_openai_results,
    estimate_tokens,
    split_in_halves,
    validate_openai_result,
)

_RETRYABLE_STATUS = {408, 409, 429}
_TOO_LONG = re.compile(r"context.length|too long|too many tokens|maximum.{0,40}(tokens|length)", re.IGNORECASE)
_WINDOW_SECONDS = 60.0
_LONGEST_RETRY_AFTER_SECONDS = 900.0  # honoured in full, short of an absurd date


class MinuteBudget:
    """Requests and tokens per minute, never exceeded in any 60-second window.

    A sliding window of (time, tokens) per request, not a token bucket: a full
    bucket allows a burst on top of the refill, up to twice the budget in one
    minute. (pyrate-limiter was considered; its in-memory bucket stores one
    entry per unit of weight, i.e. per token here.)
    """

    def __init__(self, requests_per_minute: int, tokens_per_minute: int, clock=time.monotonic, sleep=time.sleep):
        if requests_per_minute < 1 or tokens_per_minute < 1:
            raise ValueError("budgets must be positive")
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: collections.deque[tuple[float, int]] = collections.deque()
        self._tokens_in_window = 0
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self, tokens: int) -> None:
        # A request larger than the whole token budget waits for an empty window.
        tokens = min(max(tokens, 0), self.tokens_per_minute)
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0][0] <= now - _WINDOW_SECONDS:
                    self._tokens_in_window -= self._sent.popleft()[1]
                wait = self._paused_until - now
                if wait <= 0:
                    wait = self._wait_for_room(now, tokens)
                    if wait <= 0:
                        self._sent.append((now, tokens))
                        self._tokens_in_window += tokens
                        return
                self.waited_seconds += wait
            self._sleep(wait)

    def _wait_for_room(self, now: float, tokens: int) -> float:
        requests_over = len(self._sent) + 1 - self.requests_per_minute
        tokens_over = self._tokens_in_window + tokens - self.tokens_per_minute
        if requests_over <= 0 and tokens_over <= 0:
            return 0.0
        freed_tokens = 0
        for freed_requests, (sent_at, sent_tokens) in enumerate(self._sent, start=1):
            freed_tokens += sent_tokens
            if freed_requests >= requests_over and freed_tokens >= tokens_over:
                return sent_at + _WINDOW_SECONDS - now + 1e-3
        return _WINDOW_SECONDS

    def pause(self, seconds: float) -> None:
        """Hold every thread back, e.g. for a 429's Retry-After."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


class InputTooLong(Exception):
    """The API rejected an input as longer than the model accepts."""


def retry_after_seconds(error: BaseException) -> float | None:
    """Seconds asked for by Retry-After (or retry-after-ms) on an HTTP error, if any."""
    response = getattr(error, "response", None)
    if response is None:
        return None
    headers = response.headers
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        try:
            return max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code in _RETRYABLE_STATUS or error.status_code >= 500
    return False


@dataclass(frozen=True)
class OpenAISettings:
    """How the client talks to the API: model, batching, budgets and retries."""

    model: str = "omni-moderation-latest"
    inputs_per_request: int = 32
    max_concurrency: int = 4
    requests_per_minute: int = 250  # the lowest published tier; raise to yours
    tokens_per_minute: int = 100_000
    timeout_seconds: float = 60.0
    max_attempts: int = 8
    initial_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0


@dataclass
class OpenAIStats:
    requests: int = 0
    retries: int = 0
    tokens_sent: int = 0
    inputs: int = 0
    split_inputs: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **amounts: int) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "tokens_sent": self.tokens_sent,
            "inputs": self.inputs,
            "split_inputs": self.split_inputs,
        }


def model_languages(model: str) -> frozenset[str] | None:
    """omni-moderation is documented as multilingual (evaluated in 40 languages, no list
    published): every language is sent. The older text-moderation models are English."""
    return None if model.startswith("omni-moderation") else ENGLISH


class OpenAIModerator:
    """Moderates texts through the API; a core `Moderator`."""

    name = OPENAI

    def __init__(self, client: openai.OpenAI, budget: MinuteBudget, settings: OpenAISettings):
        if settings.inputs_per_request < 1 or settings.max_concurrency < 1:
            raise ValueError("inputs_per_request and max_concurrency must be positive")
        self.client = client
        self.model = settings.model
        self.version = settings.model
        self.languages = model_languages(settings.model)
        self.inputs_per_request = settings.inputs_per_request
        self.max_concurrency = settings.max_concurrency
        self.budget = budget
        self.stats = OpenAIStats()
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_is_retryable),
            wait=self._backoff(settings.initial_backoff_seconds, settings.max_backoff_seconds),
            stop=tenacity.stop_after_attempt(settings.max_attempts),
            before_sleep=self._before_retry,
            reraise=True,
        )

    def usage(self) -> dict[str, int]:
        return {**self.stats.as_dict(), "budget_wait_seconds": round(self.budget.waited_seconds, 1)}

    def moderate(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[dict]]]:
        batches = [
            list(range(start, min(start + self.inputs_per_request, len(texts))))
            for start in range(0, len(texts), self.inputs_per_request)
        ]
        if not batches:
            return
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="openai-moderation") as pool:
            futures = {pool.submit(self.moderate_batch, [texts[i] for i in batch]): batch for batch in batches}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()

    def moderate_batch(self, texts: list[str]) -> list[dict]:
        """Results for texts, splitting a batch (then a text) the API finds too long."""
        try:
            return self._request(texts)
        except InputTooLong:
            if len(texts) > 1:
                middle = len(texts) // 2
                return self.moderate_batch(texts[:middle]) + self.moderate_batch(texts[middle:])
            parts = split_in_halves(texts[0])
            if len(parts) < 2:
                raise
            self.stats.add(split_inputs=1)
            return [combine_openai_results(self.moderate_batch(parts))]

    def _request(self, texts: list[str]) -> list[dict]:
        tokens = sum(estimate_tokens(t) for t in texts)

        def attempt() -> list[dict]:
            self.budget.acquire(tokens)
            self.stats.add(requests=1, tokens_sent=tokens, inputs=len(texts))
            try:
                raw = self.client.moderations.with_raw_response.create(model=self.model, input=texts)
            except openai.BadRequestError as error:
                if _TOO_LONG.search(str(error.message)):
                    raise InputTooLong(error.message) from error
                raise
            return self._results(raw.text, len(texts))

        return self._retrying.copy()(attempt)  # a fresh retry state per call: threads share the policy

    @staticmethod
    def _results(body: str, expected: int) -> list[dict]:
        try:
            payload = json.loads(body)
        except json.JSONDecodeError as error:
            raise ValueError(f"moderation response is not JSON: {error}") from error
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list) or len(results) != expected:
            got = len(results) if isinstance(results, list) else "no"
            raise ValueError(f"moderation response has {got} results for {expected} inputs")
        results = [validate_openai_result(r) for r in results]
        if isinstance(payload.get("model"), str):  # the dated model behind an alias such as "-latest"
            for result in results:
                result.setdefault("model", payload["model"])
        return results

    def _backoff(self, initial: float, maximum: float):
        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            asked = retry_after_seconds(error) if error is not None else None
            if asked is not None:
                return min(asked, _LONGEST_RETRY_AFTER_SECONDS)
            # Exponential, with jitter so threads that failed together do not retry together.
            return min(maximum, initial * 2 ** (state.attempt_number - 1)) * random.uniform(0.5, 1.0)

        return wait

    def _before_retry(self, state: tenacity.RetryCallState) -> None:
        self.stats.add(retries=1)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, openai.RateLimitError) and state.next_action is not None:
            self.budget.pause(state.next_action.sleep)  # the other threads back off too


def openai_moderator(api_key: str, base_url: str | None, settings: OpenAISettings) -> OpenAIModerator:
    """A moderator over the API (or any server speaking POST /v1/moderations at base_url)."""
    # Retries are ours (budget-aware, counted), so the client's own are off.
    client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=settings.timeout_seconds)
    budget = MinuteBudget(settings.requests_per_minute, settings.tokens_per_minute)
    return OpenAIModerator(client, budget, settings)
