"""Template prompts: MinHash LSH clusters near-duplicate prompts, incrementally across months."""

from __future__ import annotations

import json
import random

import numpy as np
import pyarrow as pa
import pytest

from wildchat_dagster.core.release.templates_split import cap_template_clusters
from wildchat_dagster.core.reporting import templates
from wildchat_dagster.core.reporting.template_index import TemplateIndex
from wildchat_dagster.core.reporting.template_signatures import band_keys
from wildchat_dagster.core.reporting.templates import exact_key, index_for, largest_clusters

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


def flag_month(index: TemplateIndex, month: str, prompts: list[dict], batch: int = 7) -> list[dict]:
    """The month's rows, its prompts given in a few batches (as the asset streams them)."""
    batches = [prompts[i:i + batch] for i in range(0, len(prompts), batch)]
    with templates.flag_month(index, month, batches) as flagged:
        return flagged.table().to_pylist()


def _stored(rows: list[dict], group: int = 6) -> list[pa.Table]:
    """A stored month as read back: batches of `group` rows, the last with two chunks."""
    schema = templates.TEMPLATE_PROMPTS.remove(templates.TEMPLATE_PROMPTS.get_field_index("is_template"))
    tables = [pa.Table.from_pylist(rows[i:i + group], schema=schema) for i in range(0, max(len(rows), 1), group)]
    return tables[:-2] + [pa.concat_tables(tables[-2:])]


def test_filled_in_templates_cluster_and_real_distinct_prompts_do_not(real_prompts):
    index = TemplateIndex()
    texts = [TEMPLATE.format(slot) for slot in SLOTS] + real_prompts
    rows = flag_month(index, "2023-04", _prompts("2023-04", texts))
    template_clusters = {row["cluster_id"] for row in rows[:len(SLOTS)]}
    assert len(template_clusters) == 1
    (cluster,) = template_clusters
    assert rows[0]["cluster_size"] == len(SLOTS) and cluster == rows[0]["prompt_key"]
    others = [row for row in rows[len(SLOTS):] if row["cluster_id"] == cluster]
    assert others == []
    # Real WildChat prompts do repeat, but rarely: most stay alone.
    singletons = sum(row["cluster_size"] == 1 for row in rows[len(SLOTS):])
    assert singletons >= 0.8 * len(real_prompts)
    assert all("text" not in row for row in rows)  # the stored stage keeps signatures, not text
    top = largest_clusters([{**r, "month": "2023-04"} for r in rows], min_size=5)
    assert top[0]["size"] == len(SLOTS) and top[0]["example"].startswith("I want you to act as a storyteller")


def test_the_index_grows_month_by_month_and_a_rerun_rebuilds_the_same_clusters(tmp_path, real_prompts):
    stored: dict[str, list[dict]] = {}
    path = tmp_path / "index.npz"

    def run(month: str, texts: list[str], offset: int) -> tuple[list[dict], str]:
        earlier = sorted(m for m in stored if m < month)
        index, mode = index_for(TemplateIndex.load(path), earlier, lambda m: _stored(stored[m]))
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
    rebuilt, mode = index_for(saved, ["2023-04"], lambda m: _stored(stored[m]))
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


def _assert_same_arrays(index: TemplateIndex, expected: TemplateIndex) -> None:
    for name in ("head_bytes", "head_ends", "sizes", "exact_keys", "exact_clusters", "bucket_keys", "bucket_clusters"):
        got, want = getattr(index, name), getattr(expected, name)
        for a, b in zip(*((x,) if isinstance(x, np.ndarray) else x for x in (got, want)), strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert sum(map(len, expected.bucket_keys)) > 0


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
    assert loaded.months == index.months
    _assert_same_arrays(loaded, index)

    def may():
        return _prompts("2023-05", [TEMPLATE.format(SLOTS[0])] + real_prompts[30:40], 500)

    # The next month clusters the same on the loaded index as on the one in memory (the template joins April's).
    assert flag_month(loaded, "2023-05", may()) == flag_month(index, "2023-05", may())
    assert np.array_equal(loaded.sizes, index.sizes)
    assert flag_month(index, "2023-06", _prompts("2023-06", [TEMPLATE.format(SLOTS[1])]))[0]["cluster_size"] == (
        len(SLOTS) + 2)

    marker = tmp_path / "code-ran"
    path.write_bytes(pickle.dumps(_Planted(marker)))
    assert TemplateIndex.load(path) is None and not marker.exists()  # refused: rebuilt from the stored months
    path.write_bytes(b"not an index")
    assert TemplateIndex.load(path) is None


def _mixed_months(real_prompts) -> dict[str, list[dict]]:
    """Three months of real prompts, filled-in templates, exact repeats (across and within months) and short ones."""
    texts = real_prompts[:90] + [TEMPLATE.format(s) for s in SLOTS] + ["hi", "continue", "hi"]
    texts += [real_prompts[3], real_prompts[3].upper(), real_prompts[5] + " thanks", TEMPLATE.format(SLOTS[0])]
    random.Random(7).shuffle(texts)
    third = len(texts) // 3
    return {month: _prompts(month, texts[k * third:(k + 1) * third], 1000 * k)
            for k, month in enumerate(("2023-04", "2023-05", "2023-06"))}


def _reference(months: dict[str, list[dict]]) -> list[str]:
    """Prompt by prompt, as the datasketch version did: every candidate of every bucket queried, the
    smallest cluster joined, exact repeats first (same signatures and buckets as the index)."""
    buckets: dict[int, set[str]] = {}
    exact: dict[str, str] = {}
    clusters = []
    for month in sorted(months):
        for prompt in sorted(months[month], key=lambda p: p["prompt_key"]):
            words = templates._WORD.findall(prompt["text"].lower())
            cluster = exact.get(exact_key(prompt["text"]))
            if cluster is None and len(words) >= templates.MIN_WORDS:
                keys = band_keys(templates.signatures([words]))[0].tolist()
                found = [c for key in keys for c in buckets.get(key, ())]
                cluster = min(found, default=prompt["prompt_key"])
                for key in keys:
                    buckets.setdefault(key, set()).add(cluster)
            cluster = cluster or prompt["prompt_key"]
            exact.setdefault(exact_key(prompt["text"]), cluster)
            clusters.append(cluster)
    return clusters


def test_the_array_index_clusters_as_querying_every_candidate_prompt_by_prompt(real_prompts):
    months = _mixed_months(real_prompts)
    index = TemplateIndex()
    rows = [row for month in sorted(months) for row in flag_month(index, month, months[month])]
    assert [row["cluster_id"] for row in rows] == _reference(months)
    sizes = {c: n for c, n in zip(*np.unique([r["cluster_id"] for r in rows], return_counts=True), strict=True)}
    assert [row["cluster_size"] for row in rows if row["month"] == "2023-06"] == [
        sizes[row["cluster_id"]] for row in rows if row["month"] == "2023-06"]
    assert max(sizes.values()) >= len(SLOTS) + 1  # the template and its exact repeat, across months


def test_a_saved_and_loaded_index_gives_the_clusters_of_one_built_in_one_go(tmp_path, real_prompts):
    months = _mixed_months(real_prompts)
    in_one_go = TemplateIndex()
    expected = {month: flag_month(in_one_go, month, months[month]) for month in sorted(months)}
    path = tmp_path / "index.npz"
    for month in sorted(months):
        index = TemplateIndex.load(path) or TemplateIndex()
        assert index.months == sorted(m for m in months if m < month)
        assert flag_month(index, month, months[month], batch=5) == expected[month]
        index.save(path)
    rebuilt, mode = index_for(None, ["2023-04", "2023-05"], lambda m: _stored(expected[m]))
    assert mode == "rebuilt from 2 earlier months"
    assert flag_month(rebuilt, "2023-06", months["2023-06"]) == expected["2023-06"]
    _assert_same_arrays(TemplateIndex.load(path), in_one_go)
    _assert_same_arrays(rebuilt, in_one_go)


def test_clusters_do_not_depend_on_the_order_months_were_run_in(tmp_path, real_prompts):
    months = _mixed_months(real_prompts)

    def run_in(order: list[str], folder) -> dict[str, list[dict]]:
        stored: dict[str, list[dict]] = {}
        path = folder / "index.npz"
        for month in order:  # what the asset does: the index of the months stored before this one
            earlier = sorted(m for m in stored if m < month)
            index, _ = index_for(TemplateIndex.load(path), earlier, lambda m: _stored(stored[m]))
            prompts = months[month][::-1] if len(stored) % 2 else months[month]  # batches in another order too
            stored[month] = flag_month(index, month, [dict(p) for p in prompts], batch=4)
            index.save(path)
        return stored

    in_order = run_in(["2023-04", "2023-05", "2023-06"], tmp_path / "a")
    shuffled = run_in(["2023-06", "2023-05", "2023-04", "2023-06", "2023-05", "2023-06"], tmp_path / "b")
    assert shuffled == in_order
    assert any(r["cluster_id"] < r["prompt_key"] for rows in in_order.values() for r in rows)  # some joined earlier


def test_the_asset_reports_the_largest_clusters_from_a_few_rows_as_from_every_row(real_prompts):
    from wildchat_dagster.assets.templates.templates import _template_rows

    texts = [TEMPLATE.format(s) for s in SLOTS] + [""] + real_prompts[:40] + ["hi"] * 6 + [TEMPLATE.format(SLOTS[2])]
    prompts = _prompts("2023-04", texts)
    prompts[0]["example"] = ""  # the cluster's first prompt has no example: the next one is shown
    with templates.flag_month(TemplateIndex(), "2023-04", [prompts[::2], prompts[1::2]]) as flagged:
        every_row = flagged.table().to_pylist()
        few = _template_rows(flagged, min_size=5)
    assert len(few) == len(SLOTS) + 1 + 6 < len(every_row)
    assert sum(bool(row["example"]) for row in few) == 2
    top = largest_clusters(few, min_size=5)
    assert top == largest_clusters(every_row, min_size=5)
    assert [c["size"] for c in top] == [len(SLOTS) + 1, 6] and top[0]["example"] == TEMPLATE.format(SLOTS[1])[:200]


def test_an_exact_key_ending_in_a_zero_byte_keeps_its_24_digits_and_repeats_still_join():
    text = next(t for t in (f"please summarise chapter {i} of the book for me" for i in range(10_000))
                if exact_key(t).endswith("00"))
    rows = flag_month(TemplateIndex(), "2023-04", _prompts("2023-04", [text, "something else entirely here now", text]))
    assert [len(r["exact_key"]) for r in rows] == [24, 24, 24] and rows[0]["exact_key"] == exact_key(text)
    assert rows[2]["cluster_id"] == rows[0]["prompt_key"] and rows[2]["cluster_size"] == 2


def test_an_empty_month_writes_no_rows_and_joins_the_index(tmp_path):
    index = TemplateIndex()
    assert flag_month(index, "2023-04", []) == [] and index.months == ["2023-04"]
    with templates.flag_month(index, "2023-05", iter([])) as flagged:
        table = flagged.table()
    assert table.num_rows == 0 and "cluster_id" in table.column_names and "bands" not in table.column_names
    index.save(tmp_path / "index.npz")
    assert TemplateIndex.load(tmp_path / "index.npz").months == ["2023-04", "2023-05"]
