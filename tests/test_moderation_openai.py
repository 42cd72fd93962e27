"""The OpenAI path through the real `openai` client and real HTTP, against a loopback server."""

from __future__ import annotations

import json
import time

import dagster as dg
import openai
import pytest

from wildchat_dagster.core.moderation.cache import ModerationCache
from wildchat_dagster.core.moderation.openai_client import MinuteBudget, retry_after_seconds
from wildchat_dagster.core.moderation.results import openai_struct
from wildchat_dagster.core.moderation.run import ModerationIncomplete, moderate_texts
from wildchat_dagster.kit.fakes.openai_server import Fault, ModerationStub
from wildchat_dagster.resources.openai_moderation import OpenAIModerationResource
from wildchat_dagster.schema import OPENAI_CATEGORIES


@pytest.fixture
def stub():
    with ModerationStub(lifetime_seconds=60) as server:
        yield server


def _moderator(stub: ModerationStub, **config):
    config = {"api_key": "sk-test-not-a-key", "base_url": stub.base_url, "initial_backoff_seconds": 0.05, **config}
    loaded = OpenAIModerationResource(**config).load()
    assert loaded.available, loaded.reason
    return loaded.moderator


def _all(moderator, texts):
    results = {}
    for indices, batch in moderator.moderate(texts):
        results.update(zip(indices, batch, strict=True))
    return [results[i] for i in range(len(texts))]


def test_texts_go_out_as_lists_and_map_to_the_18_keys(stub):
    moderator = _moderator(stub, inputs_per_request=8, max_concurrency=2)
    texts = [f"message {i}" for i in range(19)] + ["I will kill you", "a counterfeit note"]
    results = _all(moderator, texts)
    assert stub.counters.requests == 3 and sorted(stub.counters.request_sizes) == [5, 8, 8]
    assert stub.counters.authorization_seen == {"Bearer sk-test-not-a-key"}
    assert moderator.usage()["requests"] == 3 and moderator.usage()["inputs"] == 21
    assert moderator.usage()["tokens_sent"] >= sum(len(t) for t in texts) / 4
    violent = openai_struct(results[19])
    assert violent["flagged"] is True and violent["categories"]["violence"] is True
    assert list(violent["categories"]) == OPENAI_CATEGORIES
    assert violent["category_scores"]["violence_graphic"] == violent["category_scores"]["violence/graphic"]
    illicit = results[20]  # the full result keeps what the release struct has no place for
    assert illicit["model"] == "omni-moderation-latest"  # as the server named it
    assert illicit["categories"]["illicit"] is True and illicit["category_applied_input_types"]["illicit"] == ["text"]
    assert openai_struct(illicit)["flagged"] is True


def test_429_waits_for_retry_after_then_succeeds(stub):
    stub.script(Fault(429, {"retry-after": "0.3"}))
    moderator = _moderator(stub, initial_backoff_seconds=5.0)  # backoff would be far longer: Retry-After wins
    start = time.monotonic()
    assert len(_all(moderator, ["hello"])) == 1
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 3.0
    assert stub.counters.requests == 2 and moderator.usage()["retries"] == 1
    gap = stub.counters.request_times[1] - stub.counters.request_times[0]
    assert gap >= 0.29


def test_server_errors_are_retried_with_backoff(stub):
    stub.script(Fault(500), Fault(503))
    moderator = _moderator(stub)
    assert _all(moderator, ["hello", "world"])[1]["flagged"] is False
    assert stub.counters.requests == 3 and moderator.usage()["retries"] == 2


def test_a_request_slower_than_the_timeout_is_retried(stub):
    stub.script(Fault(sleep_seconds=1.0, then_answer=True))
    moderator = _moderator(stub, timeout_seconds=0.3)
    assert len(_all(moderator, ["slow answer"])) == 1
    assert moderator.usage()["retries"] == 1 and stub.counters.answered >= 1


def test_retries_give_up_after_max_attempts(stub):
    stub.script(*[Fault(500)] * 3)
    moderator = _moderator(stub, max_attempts=3)
    with pytest.raises(openai.InternalServerError):
        _all(moderator, ["never answered"])
    assert stub.counters.requests == 3


def test_a_text_rejected_as_too_long_is_split_and_its_parts_combined():
    with ModerationStub(max_input_chars=100, lifetime_seconds=60) as stub:
        moderator = _moderator(stub, inputs_per_request=4)
        long_text = "calm words here " * 12 + "and then I will kill the gore " + "calm words here " * 12
        texts = ["short one", long_text, "short two"]
        results = _all(moderator, texts)
        assert stub.counters.rejected_too_long >= 2
        combined = results[1]
        assert combined["combined_from_parts"] >= 4  # 420 chars -> parts of <= 100
        assert combined["flagged"] and combined["categories"]["violence"] and combined["categories"]["violence/graphic"]
        assert results[0]["flagged"] is False and "combined_from_parts" not in results[0]
        assert moderator.usage()["split_inputs"] >= 3
        assert all(size > 0 for size in stub.counters.request_sizes)


def test_other_client_errors_are_not_retried(stub):
    stub.script(Fault(401))
    moderator = _moderator(stub)
    with pytest.raises(openai.AuthenticationError):
        _all(moderator, ["hello"])
    assert stub.counters.requests == 1


def test_a_malformed_response_is_an_error_not_a_result(stub, monkeypatch):
    moderator = _moderator(stub)
    with pytest.raises(ValueError, match="1 results for 2 inputs"):
        moderator._results(json.dumps({"results": [{"flagged": False, "categories": {}, "category_scores": {}}]}), 2)
    with pytest.raises(ValueError, match="flagged"):
        moderator._results(json.dumps({"results": [{"categories": {}, "category_scores": {}}]}), 1)


def test_a_rerun_is_served_from_the_cache_with_zero_requests(stub, tmp_path):
    texts = [f"text number {i}" for i in range(50)]
    with ModerationCache(tmp_path / "moderation.sqlite") as cache:
        first, run = moderate_texts(texts, _moderator(stub), cache)
        assert run.computed == 50 and stub.counters.requests == 2
    with ModerationCache(tmp_path / "moderation.sqlite") as cache:  # a new process would see the same
        again, run = moderate_texts(texts, _moderator(stub), cache)
    assert run.cache_hits == 50 and run.computed == 0
    assert stub.counters.requests == 2
    assert again == first


def test_exhausted_retries_fail_clearly_keep_results_and_a_rerun_requests_only_the_rest(stub, tmp_path):
    stub.script(Fault(then_answer=True), *[Fault(500)] * 2)  # first batch fine, second fails for good
    texts = [f"t{i}" for i in range(20)]
    with ModerationCache(tmp_path / "moderation.sqlite") as cache:
        moderator = _moderator(stub, inputs_per_request=10, max_concurrency=1, max_attempts=2)
        with pytest.raises(ModerationIncomplete, match="failed after 10 of 20 texts") as failure:
            moderate_texts(texts, moderator, cache)
        assert "InternalServerError" in str(failure.value) and "only the 10 still missing" in str(failure.value)
        assert isinstance(failure.value.__cause__, openai.InternalServerError)
        assert cache.count("openai") == 10
        requests_before = stub.counters.requests
        results, run = moderate_texts(texts, _moderator(stub, inputs_per_request=10), cache)
    assert (run.cache_hits, run.computed) == (10, 10) and len(results) == 20
    assert stub.counters.requests == requests_before + 1  # one request: the 10 missing texts
    assert stub.counters.request_sizes[-1] == 10


def test_without_a_key_openai_is_skipped_and_says_so(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    resource = OpenAIModerationResource.from_defaults()
    loaded = resource.load()
    assert not loaded.available and "OPENAI_API_KEY" in loaded.reason and "skipped" in loaded.reason


def test_from_defaults_reads_the_key_from_the_environment(monkeypatch, stub):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    resource = OpenAIModerationResource.from_defaults()
    assert isinstance(resource.api_key, dg.EnvVar) and resource.api_key.env_var_name == "OPENAI_API_KEY"
    assert "sk-from-env" not in json.dumps(resource.configuration())
    resource = resource.model_copy(update={"base_url": stub.base_url})
    list(resource.load().moderator.moderate(["hello"]))
    assert stub.counters.authorization_seen == {"Bearer sk-from-env"}


def test_budget_never_exceeds_requests_or_tokens_in_any_minute():
    now = [0.0]
    budget = MinuteBudget(3, 100, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    starts = []
    for tokens in [10, 10, 10, 10, 60, 60, 500]:
        budget.acquire(tokens)
        starts.append((now[0], min(tokens, 100)))
    for t0, _ in starts:
        in_window = [(t, k) for t, k in starts if t0 <= t < t0 + 60]
        assert len(in_window) <= 3 and sum(k for _, k in in_window) <= 100
    assert starts[3][0] >= 60  # the 4th request waited for the first to leave the window
    assert starts[-1][0] > starts[-2][0]  # a request over the whole budget waits for an empty window


def test_budget_holds_all_threads_while_paused():
    now = [0.0]
    budget = MinuteBudget(100, 10_000, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    budget.pause(2.5)
    budget.acquire(1)
    assert now[0] >= 2.5


def test_resource_is_a_dagster_resource_with_an_env_var_key(monkeypatch, stub):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key")

    @dg.asset
    def probe(openai_moderation: OpenAIModerationResource) -> None:
        loaded = openai_moderation.load()
        assert loaded.available
        list(loaded.moderator.moderate(["hi"]))

    resource = OpenAIModerationResource(api_key=dg.EnvVar("OPENAI_API_KEY"), base_url=stub.base_url)
    assert dg.materialize([probe], resources={"openai_moderation": resource}).success
    assert stub.counters.authorization_seen == {"Bearer sk-env-key"}


def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date():
    from email.utils import formatdate
    from types import SimpleNamespace


    def error(headers):
        return SimpleNamespace(response=SimpleNamespace(headers=headers))

    assert retry_after_seconds(error({"retry-after": "2"})) == 2.0
    assert retry_after_seconds(error({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert 5 < retry_after_seconds(error({"retry-after": formatdate(time.time() + 10, usegmt=True)})) <= 10
    assert retry_after_seconds(error({})) is None
    assert retry_after_seconds(ValueError("no response")) is None


def test_the_default_model_is_omni_moderation_for_every_language_and_older_models_are_english(stub):
    assert OpenAIModerationResource().model == "omni-moderation-latest"
    assert _moderator(stub).languages is None  # documented as multilingual: every language is sent
    assert _moderator(stub, model="text-moderation-007").languages == frozenset({"English"})
