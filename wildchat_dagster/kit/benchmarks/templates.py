"""Template-prompt flagging: CPU, wall and peak RSS of a month, and agreement with the datasketch version.

A month is `size` user prompts of the generator's conversations (realistic
lengths: openings ~620 characters, follow-ups), written to Parquet first and
streamed from it as the asset streams the redacted month. Each month runs in
a fresh interpreter, so its peak RSS is its own: the first month into an
empty index, the second into the saved index of the first (the incremental
path the asset takes), then the second again with no saved index (rebuilt
from the first month's stored signatures: the same clusters). A WildChat-1M
month holds about 200,000 user prompts.

Agreement: today's clusters against the datasketch 1.6.5 version's (its
MinHash and MinHashLSH, prompt by prompt, as the asset ran them before) on
the real WildChat prompts of kit/samples (as they are, and cycled with a
number in front: a template-heavy month), and on generated prompts: pairs of
prompts in one cluster found by both (precision, recall), and the share of
prompts whose cluster holds exactly the same prompts.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wildchat_dagster.core.storage.warehouse import file_writer, iter_file_batches
from wildchat_dagster.kit.benchmarks.template_agreement import agreement, datasketch_clusters, rensa_clusters
from wildchat_dagster.kit.samples import REAL_WILDCHAT
from wildchat_dagster.schema import TEMPLATE_PROMPTS

BATCH = 5_000  # prompts read and signed at a time (the asset: 2,000 conversations)
AGREEMENT_GENERATED = 10_000  # datasketch flags ~1,000 prompts per CPU second


def real_prompts(folder: Path = REAL_WILDCHAT) -> list[str]:
    prompts = []
    for path in sorted(folder.glob("convotopo_*.jsonl")):
        for line in path.read_text().splitlines():
            prompts += [m["content"] for m in json.loads(line)["messages"] if m["role"] == "user"]
    return prompts


def generated_prompts(size: int, seed: int) -> list[tuple[str, int, str]]:
    """(conversation, round, text) of `size` user prompts of generated conversations (as release_rows draws them)."""
    from wildchat_dagster.kit.synthetic.release_rows import ReleaseWriter

    writer, prompts = ReleaseWriter(seed), []
    while len(prompts) < size:
        bank, conversation = writer._bank(), f"c{seed}-{len(prompts):07d}"
        rounds = min(1 + int(writer.rng.expovariate(0.6)), 30)
        prompts += [(conversation, r, writer.user_opening(bank) if r == 0 else writer.followup(bank))
                    for r in range(rounds)]
    return prompts[:size]


def _month_table(month: str, prompts: list[tuple[str, int, str]]) -> pa.Table:
    conversations, rounds, texts = zip(*prompts, strict=True)
    return pa.table({
        "prompt_key": [f"{month}/{c}/{r:04d}" for c, r in zip(conversations, rounds, strict=True)],
        "month": [month] * len(texts), "conversation_id": list(conversations), "round": list(rounds),
        "conversation_hash": pa.nulls(len(texts), pa.string()), "turn_identifier": pa.nulls(len(texts), pa.int64()),
        "hashed_ip": pa.nulls(len(texts), pa.string()), "text": list(texts), "example": [t[:200] for t in texts],
    })


def _write_month(path: Path, month: str, size: int, seed: int) -> None:
    """`size` generated prompts, a row group per BATCH (drawn one after the other: one stream)."""
    prompts = generated_prompts(size, seed)
    with pq.ParquetWriter(path, _month_table(month, prompts[:1]).schema) as writer:
        while prompts:
            writer.write_table(_month_table(month, prompts[:BATCH]))
            del prompts[:BATCH]


def _peak_rss_mb() -> int:
    """This process's peak RSS (VmHWM: of its own image, not the parent's it was forked from, which
    getrusage's ru_maxrss keeps across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _flag(folder: str, month: str, earlier: list[str]) -> dict:
    """One month as the asset runs it (index loaded or rebuilt, prompts streamed, Parquet and index
    written), in a fresh interpreter: CPU, wall and this process's peak RSS."""
    import pyarrow.compute as pc

    from wildchat_dagster.core.reporting.template_index import TemplateIndex
    from wildchat_dagster.core.reporting.template_month import PIECE_ROWS
    from wildchat_dagster.core.reporting.templates import flag_month, index_for

    base = Path(folder)
    rss_before = _peak_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    index, mode = index_for(TemplateIndex.load(base / "index.npz"), earlier,
                            lambda m: iter_file_batches(base / f"{m}.parquet", PIECE_ROWS))  # as the asset
    batches = (b.to_pylist() for b in iter_file_batches(base / f"{month}.prompts.parquet", BATCH))  # as the asset
    written = base / f"{month}.parquet"
    with flag_month(index, month, batches) as flagged, file_writer(written, TEMPLATE_PROMPTS) as write:
        for piece in flagged.pieces():
            write(piece.append_column("is_template", pc.greater_equal(piece.column("cluster_size"), 5)))
    index.save(base / "index.npz")
    sizes = pa.array(flagged.cluster_size)
    return {"month": month, "mode": mode, "prompts": len(sizes),
            "cpu_s": round(time.process_time() - cpu_started, 2), "wall_s": round(time.perf_counter() - started, 2),
            "peak_rss_mb": _peak_rss_mb(),
            "rss_before_mb": round(rss_before), "in_a_cluster": pc.sum(pc.greater(sizes, 1)).as_py() or 0,
            "index_mb": round((base / "index.npz").stat().st_size / 1e6, 1)}


def _measure_months(size: int) -> list[dict]:
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        months = ("2023-04", "2023-05")
        for k, month in enumerate(months):
            _write_month(Path(folder) / f"{month}.prompts.parquet", month, size, seed=k)
        # The second month re-run last: its index rebuilt from the first month's stored signatures.
        clusters = []
        for month, earlier in ((months[0], []), (months[1], [months[0]]), (months[1], [months[0]])):
            if figures and figures[-1]["month"] == month:
                (Path(folder) / "index.npz").unlink()  # as if another month had been run since
            code = f"import json; from {__name__} import _flag; print(json.dumps(_flag(*json.loads(input()))))"
            done = subprocess.run([sys.executable, "-c", code], input=json.dumps([folder, month, earlier]),
                                  capture_output=True, text=True, check=True)  # a fresh interpreter: its own RSS
            figures.append(json.loads(done.stdout.splitlines()[-1]))
            clusters.append(pq.read_table(Path(folder) / f"{month}.parquet", columns=["cluster_id"]))
        figures[-1]["same_clusters_as_incremental"] = clusters[1].equals(clusters[2])
    for f in figures:
        print(f"templates {f['month']} ({f['mode']}): {f['prompts']:,} generated prompts: CPU {f['cpu_s']} s, "
              f"wall {f['wall_s']} s, peak RSS {f['peak_rss_mb']} MB ({f['rss_before_mb']} MB after imports), "
              f"{f['in_a_cluster']:,} in a cluster, index file {f['index_mb']} MB"
              + (f"; clusters as the incremental run's: {f['same_clusters_as_incremental']}"
                 if "same_clusters_as_incremental" in f else ""))
    return figures


def _measure_agreement() -> dict:
    real = real_prompts()
    cycled = [f"{i}. {t}" for i, t in zip(range(5_000), real * 3, strict=False)]
    generated = [t for _, _, t in generated_prompts(AGREEMENT_GENERATED, seed=7)]
    random.Random(0).shuffle(generated)
    figures = {}
    for name, texts in (("real", real), ("real cycled", cycled), ("generated", generated)):
        try:
            reference = datasketch_clusters(texts)
        except ImportError:
            print("templates agreement: skipped (datasketch not installed: pip install -e '.[bench]')")
            return {}
        figures[name] = f = agreement(rensa_clusters(texts), reference)
        floor = figures[f"{name}, datasketch seed 2"] = agreement(datasketch_clusters(texts, seed=2), reference)
        print(f"templates agreement with datasketch, {name} ({f['prompts']:,} prompts): same-cluster pairs "
              f"precision {f['precision']:.3f} recall {f['recall']:.3f} ({f['pairs_new']:,} pairs vs datasketch's "
              f"{f['pairs_old']:,}), same cluster membership {f['same_membership']:.3f}; datasketch with another "
              f"seed: precision {floor['precision']:.3f} recall {floor['recall']:.3f} ({floor['pairs_new']:,} pairs) "
              f"membership {floor['same_membership']:.3f}; CPU {f['cpu_new_s']} s vs datasketch {f['cpu_old_s']} s")
    return figures


def run(size: int) -> dict:
    """Two months of `size` prompts (fresh processes), then the agreement with datasketch."""
    return {"months": _measure_months(size), "agreement": _measure_agreement()}
