"""Template prompts: MinHash LSH clusters near-duplicate prompts, incrementally across months."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from wildchat_dagster.core.release.templates_split import cap_template_clusters
from wildchat_dagster.core.reporting.templates import TemplateIndex, exact_key, flag_month, index_for, largest_clusters

TEMPLATE = ("I want you to act as a storyteller. You will come up with entertaining stories that are engaging, "
            "imaginative and captivating for the audience. It can be fairy tales, educational stories or any other "
            "type of stories which has the potential to capture people's attention and imagination. Depending on the "
            "target audience, you may choose specific themes or topics for your storytelling session. "
            "My first request is: {}")
SLOTS = ["a dragon who is afraid of fire", "two robots on Mars", "a cat that runs a bakery", "the last lighthouse",
         "a detective in 1920s Paris", "a tree that remembers everything", "a boy who talks to clouds"]


@pytest.fixture(scope="module")
def real_prompts(real_wildchat):
    """Distinct real user prompts of at least 12 words (WildChat-1M rows)."""
    prompts = []
    for line in (real_wildchat / "convotopo_wildchat1m_402_messages_model_only.jsonl").read_text().splitlines():
        for message in json.loads(line)["messages"]:
            if (
                message["role"] == "user"
                and len(message["content"].split()) >= 12
                and message["content"] not in prompts
            ):
                prompts.append(message["content"])
    return prompts[:120]


def _prompts(month: str, texts: list[str], offset: int = 0) -> list[dict]:
    return [{"prompt_key": f"{month}/c{offset + i:04d}/0000", "month": month, "conversation_id": f"c{offset + i}",
             "round": 0, "conversation_hash": f"h{month}{i}", "turn_identifier": i + 1, "hashed_ip": None,
             "text": text, "example": text[:200]} for i, text in enumerate(texts)]


def test_filled_in_templates_cluster_and_real_distinct_prompts_do_not(real_prompts):
    index = TemplateIndex()
    texts = [TEMPLATE.format(slot) for slot in SLOTS] + real_prompts
    rows = flag_month(index, "2023-04", _prompts("2023-04", texts))
    template_clusters = {row["cluster_id"] for row in rows[:len(SLOTS)]}
    assert len(template_clusters) == 1
    (cluster,) = template_clusters
    assert index.sizes[cluster] == len(SLOTS)
    others = [row for row in rows[len(SLOTS):] if row["cluster_id"] == cluster]
    assert others == []
    # Real WildChat prompts do repeat, but rarely: most stay alone.
    singletons = sum(index.sizes[row["cluster_id"]] == 1 for row in rows[len(SLOTS):])
    assert singletons >= 0.8 * len(real_prompts)
    assert all("text" not in row for row in rows)  # the stored stage keeps signatures, not text
    top = largest_clusters([{**r, "month": "2023-04"} for r in rows], min_size=5)
    assert top[0]["size"] == len(SLOTS) and top[0]["example"].startswith("I want you to act as a storyteller")


def test_the_index_grows_month_by_month_and_a_rerun_rebuilds_the_same_clusters(tmp_path, real_prompts):
    stored: dict[str, list[dict]] = {}
    path = tmp_path / "index.npz"

    def run(month: str, texts: list[str], offset: int) -> tuple[list[dict], str]:
        earlier = sorted(m for m in stored if m < month)
        index, mode = index_for(TemplateIndex.load(path), earlier, lambda m: stored[m])
        rows = flag_month(index, month, _prompts(month, texts, offset))
        stored[month] = rows
        index.save(path)
        return rows, mode

    april, mode = run("2023-04", [TEMPLATE.format(s) for s in SLOTS[:3]] + real_prompts[:20], 0)
    assert mode == "rebuilt from 0 earlier months"
    may, mode = run("2023-05", [TEMPLATE.format(s) for s in SLOTS[3:]] + real_prompts[20:40], 100)
    assert mode == "incremental"
    assert {r["cluster_id"] for r in may[:4]} == {april[0]["cluster_id"]}  # May joins April's cluster
    assert may[0]["cluster_size"] == len(SLOTS)

    april_again, mode = run("2023-04", [TEMPLATE.format(s) for s in SLOTS[:3]] + real_prompts[:20], 0)
    assert mode == "rebuilt from 0 earlier months"
    may_again, mode = run("2023-05", [TEMPLATE.format(s) for s in SLOTS[3:]] + real_prompts[20:40], 100)
    assert mode == "incremental"  # the re-run saved an index of April alone
    assert [r["cluster_id"] for r in may_again] == [r["cluster_id"] for r in may]


def test_a_month_run_out_of_order_rebuilds_from_the_stored_signatures(tmp_path, real_prompts):
    stored = {}
    index, _ = index_for(None, [], lambda m: [])
    stored["2023-04"] = flag_month(index, "2023-04", _prompts("2023-04", [TEMPLATE.format(s) for s in SLOTS[:3]]))
    index.save(tmp_path / "index.npz")
    # Another month was added meanwhile: the saved index no longer holds exactly April.
    saved = TemplateIndex.load(tmp_path / "index.npz")
    flag_month(saved, "2023-06", _prompts("2023-06", real_prompts[:5]))
    rebuilt, mode = index_for(saved, ["2023-04"], lambda m: stored[m])
    assert mode == "rebuilt from 1 earlier months" and rebuilt.months == ["2023-04"]
    may = flag_month(rebuilt, "2023-05", _prompts("2023-05", [TEMPLATE.format(SLOTS[5])], 100))
    assert may[0]["cluster_id"] == stored["2023-04"][0]["cluster_id"] and may[0]["cluster_size"] == 4


def test_examples_of_deleted_prompts_are_withheld():
    rows = [
        {"prompt_key": f"k{i}", "cluster_id": "k0", "month": "2023-04", "example": f"example {i}"} for i in range(5)
    ]
    top = largest_clusters(rows, min_size=5, withheld=lambda row: row["prompt_key"] in ("k0", "k1"))
    assert top == [{"cluster_id": "k0", "size": 5, "months": ["2023-04"], "example": "example 2"}]


def test_the_derived_split_caps_each_template_cluster_deterministically():
    release = pa.table({"conversation_hash": [f"h{i}" for i in range(12)], "turn": list(range(12))})
    prompts = [{"conversation_hash": f"h{i}", "round": 0, "cluster_id": "T" if i < 10 else f"own{i}",
                "cluster_size": 10 if i < 10 else 1} for i in range(12)]
    prompts.append(
        {"conversation_hash": "h11", "round": 1, "cluster_id": "T", "cluster_size": 10}
    )  # later rounds do not count
    kept, dropped = cap_template_clusters(release, prompts, max_per_cluster=3, min_cluster_size=5)
    assert dropped == 7 and kept.num_rows == 5
    assert {"h10", "h11"} <= set(kept.column("conversation_hash").to_pylist())
    again, _ = cap_template_clusters(release, prompts, max_per_cluster=3, min_cluster_size=5)
    assert again.equals(kept)
    untouched, none = cap_template_clusters(release, prompts, max_per_cluster=3, min_cluster_size=11)
    assert none == 0 and untouched.num_rows == 12


class _Planted:
    """A pickle that touches a file when unpickled: what a writer of the bucket could plant."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (type(self.marker).touch, (self.marker,))


def test_the_saved_index_is_data_read_back_exactly_and_a_planted_pickle_never_runs(tmp_path, real_prompts):
    import pickle

    index, _ = index_for(None, [], lambda m: [])
    flag_month(index, "2023-04", _prompts("2023-04", [TEMPLATE.format(s) for s in SLOTS] + real_prompts[:30]))
    path = tmp_path / "index.npz"
    index.save(path)
    loaded = TemplateIndex.load(path)
    assert (loaded.months, loaded.cluster_of, loaded.by_exact, loaded.sizes) == (
        index.months, index.cluster_of, index.by_exact, index.sizes)
    assert dict(loaded.cluster_months) == dict(index.cluster_months)
    assert {k: loaded.lsh.keys.get(k) for k in index.cluster_of} == {k: index.lsh.keys.get(k) for k in index.cluster_of}

    def may():
        return _prompts("2023-05", [TEMPLATE.format(SLOTS[0])] + real_prompts[30:40], 500)

    # The next month clusters the same on the loaded index as on the one in memory (the template joins April's).
    assert flag_month(loaded, "2023-05", may()) == flag_month(index, "2023-05", may())
    assert (
        loaded.sizes == index.sizes
        and loaded.sizes[index.by_exact[exact_key(TEMPLATE.format(SLOTS[0]))]] == len(SLOTS) + 1
    )

    marker = tmp_path / "code-ran"
    path.write_bytes(pickle.dumps(_Planted(marker)))
    assert TemplateIndex.load(path) is None and not marker.exists()  # refused: rebuilt from the stored months
    path.write_bytes(b"not an index")
    assert TemplateIndex.load(path) is None
