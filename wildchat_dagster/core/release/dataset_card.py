"""release/README.md: a Hugging Face dataset card, so release/ can be uploaded as is.

The YAML header holds `dataset_info` (features in the Hub's notation, one
split per release split with num_examples and num_bytes) and `configs`
(which files make each split), so `datasets.load_dataset("release/")` gives
the `nontoxic` and `toxic` splits; conversations held back unscreened are the
separate config `unscreened`, never a default split. The body says first what
went unscreened, then the license, the counts, the statistics, which moderators
ran (versions, thresholds, languages), the screening coverage by language, and
what a publisher must set to screen the rest, all from the manifest and the
monthly statistics: nothing is typed by hand.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from wildchat_dagster.core.release.screening import unscreened_sentence
from wildchat_dagster.core.release.splits import PUBLISHED_FOLDERS, RELEASE_SPLITS, UNSCREENED
from wildchat_dagster.core.reporting.tables import EMPTY_CELL, markdown_table
from wildchat_dagster.core.storage.layout import DataLayout, StoragePath
from wildchat_dagster.core.storage.warehouse import read_parquet_schema
from wildchat_dagster.stages import Stage

DEFAULT_LICENSE = "odc-by"  # WildChat's own license; the setting WILDCHAT_RELEASE_LICENSE states yours


def hf_dtype(kind: pa.DataType):
    """An Arrow type in the Hub's `dataset_info.features` notation."""
    if pa.types.is_struct(kind):
        return {"struct": [hf_feature(f) for f in kind]}
    if pa.types.is_list(kind):
        inner = kind.value_type
        if pa.types.is_struct(inner):
            return {"list": [hf_feature(f) for f in inner]}
        return {"sequence": hf_dtype(inner)}
    if pa.types.is_timestamp(kind):
        return {"dtype": f"timestamp[{kind.unit}, tz={kind.tz}]" if kind.tz else f"timestamp[{kind.unit}]"}
    names = {pa.string(): "string", pa.large_string(): "large_string", pa.bool_(): "bool",
             pa.int64(): "int64", pa.int32(): "int32", pa.float64(): "float64", pa.float32(): "float32"}
    return {"dtype": names[kind]}


def hf_feature(field: pa.Field) -> dict:
    return {"name": field.name, **hf_dtype(field.type)}


def _parquet_sizes(path: StoragePath) -> tuple[int, int]:
    """(rows, uncompressed bytes) from the file's footer, without reading its data."""
    with path.open("rb") as f:
        metadata = pq.ParquetFile(f).metadata
    return metadata.num_rows, sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))


def split_sizes(layout: DataLayout) -> dict[str, dict]:
    """Per published folder (both splits and unscreened): its non-empty files (relative to release/), rows,
    uncompressed bytes (the Hub's num_bytes) and bytes stored."""
    sizes = {}
    for split in PUBLISHED_FOLDERS:
        files = sorted(layout.release_split_dir(split).glob("*.parquet"))
        rows = num_bytes = disk = 0
        nonempty = []
        for path in files:
            file_rows, file_bytes = _parquet_sizes(path)
            rows, num_bytes, disk = rows + file_rows, num_bytes + file_bytes, disk + path.stat().st_size
            if file_rows:
                nonempty.append(f"{split}/{path.name}")
        # `datasets` cannot read a Parquet file of zero rows, so the card's data_files list only the others.
        sizes[split] = {"files": nonempty, "num_examples": rows, "num_bytes": num_bytes, "download_size": disk}
    return sizes


def release_schemas(layout: DataLayout) -> dict[str, pa.Schema]:
    """The schema of every published file, by its path under release/."""
    return {f"{split}/{p.name}": read_parquet_schema(p).remove_metadata()
            for split in PUBLISHED_FOLDERS for p in sorted(layout.release_split_dir(split).glob("*.parquet"))}


def card_yaml(schema: pa.Schema, sizes: dict[str, dict], license: str, pretty_name: str) -> dict:
    splits = [split for split in RELEASE_SPLITS if sizes[split]["files"]]
    return {
        "license": license,
        "pretty_name": pretty_name,
        "task_categories": ["text-generation", "question-answering"],
        "dataset_info": {
            "features": [hf_feature(f) for f in schema],
            "splits": [{"name": s, "num_bytes": sizes[s]["num_bytes"], "num_examples": sizes[s]["num_examples"]}
                       for s in splits],
            "download_size": sum(sizes[s]["download_size"] for s in splits),
            "dataset_size": sum(sizes[s]["num_bytes"] for s in splits),
        },
        "configs": [{"config_name": "default",
                     "data_files": [{"split": s, "path": sizes[s]["files"]} for s in splits]}]
        # Held back unscreened: loadable on purpose (load_dataset(..., "unscreened")), never by default.
        + ([{"config_name": UNSCREENED, "data_files": [{"split": UNSCREENED, "path": sizes[UNSCREENED]["files"]}]}]
           if sizes.get(UNSCREENED, {}).get("files") else []),
    }


def _number(value, digits: int = 2):
    """A statistic as a number; a missing one (no monthly_stats, an empty month) as a dash, never `None`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return EMPTY_CELL
    return round(value, digits) if isinstance(value, float) else value


def _redaction_lines(redaction: dict[str, dict | None]) -> list[str]:
    """Which entity types were redacted, month by month, and where names were not."""
    by_types: dict[tuple, list[str]] = {}
    for month, record in redaction.items():
        by_types.setdefault(tuple(sorted(record["entity_types"])) if record else (), []).append(month)
    lines = [
        f"PII redacted ({', '.join(months)}): {', '.join(types) or 'not recorded'}."
        for types, months in by_types.items()
    ]
    if without := [m for m, r in redaction.items() if r and "PERSON" not in r["entity_types"]]:
        lines.append(f"Names (PERSON) were **not** redacted in {', '.join(without)} (switched off).")
    return lines
def screening_section(manifest: dict) -> list[str]:
    """The card's account of moderation: the policy, the moderators that ran, the coverage by language and
    what a publisher must set to screen the rest."""
    unscreened = manifest.get("unscreened") or {}
    moderators = manifest.get("moderators") or []
    coverage = manifest.get("coverage_by_language") or []
    policies = unscreened.get("policies") or []
    lines = ["## Screening coverage", "",
             "Every user turn was redacted for PII and secrets. A turn is screened when a moderator that supports "
             "its language scored it; `nontoxic` means screened and found not toxic. A conversation with a toxic "
             "turn is `toxic` whatever its other turns.", ""]
    if "hold" in policies:
        lines += [
            "Policy `WILDCHAT_UNSCREENED=hold`: a conversation with no toxic turn but a non-empty turn no "
            "moderator screened is in neither split but in `unscreened/` (same schema; config `unscreened`)"
            + (f", months {', '.join(unscreened.get('months_held', []))}." if "nontoxic" in policies else "."),
            "",
        ]
    if "nontoxic" in policies:
        lines += [
            "Policy `WILDCHAT_UNSCREENED=nontoxic`"
            + (" (other months)" if "hold" in policies else "")
            + ": such conversations are in the `nontoxic` split although some of their turns were not screened.",
            "",
        ]
    rows = [[m["moderator"], ", ".join(m["ran_in_months"]) or "never", "; ".join(m["versions"]) or "-",
             "; ".join(m["languages"]) or "-", "; ".join(m["thresholds"]) or "-",
             "; ".join(m["not_run_because"]) or "-"] for m in moderators]
    if rows:
        lines += ["Moderators:", "", markdown_table(["moderator", "ran in months", "version", "languages", "threshold",
                                                     "why it did not run"], rows), ""]
    if coverage:
        lines += ["Coverage by language (non-empty user and assistant utterances; conversations by their language):",
                  "", markdown_table(["language", "utterances", "screened", "unscreened", "conversations",
                                      "with unscreened turns"],
                                     [[c["language"], c["utterances"], c["screened_utterances"],
                                       c["unscreened_utterances"], c["conversations"], c["unscreened_conversations"]]
                                      for c in coverage]), ""]
    if any(c["unscreened_utterances"] for c in coverage):
        lines += ["To screen the rest, set `OPENAI_API_KEY` (OpenAI's omni-moderation reads every language) or a "
                  "local Detoxify checkpoint (`WILDCHAT_DETOXIFY_CHECKPOINT` and `WILDCHAT_DETOXIFY_CONFIG_DIR`; "
                  "`multilingual` reads English, French, Spanish, Italian, Portuguese, Turkish and Russian), then "
                  "re-run the months with `wildchat-dagster run --months ... --force`: moderation scores the turns "
                  "and the release sorts the held conversations into the splits.", ""]
    return lines


def _published_schema(layout: DataLayout) -> pa.Schema:
    """The one schema of every published file (a card describes one schema)."""
    schemas = release_schemas(layout)
    distinct = {s.to_string() for s in schemas.values()}
    if len(distinct) > 1:
        raise ValueError("published files differ in schema (release schema changed between months): "
                         "re-release every month with one WILDCHAT_RELEASE_SCHEMA before publishing a card")
    if not schemas:
        raise ValueError("nothing published under release/: run the release first")
    return next(iter(schemas.values()))


def _month_rows(manifest: dict, summaries: dict[str, dict]) -> list[list]:
    """One statistics row per released month: rows per published folder and the month's summary figures."""
    files = manifest["files"]
    screened = manifest.get("sexual_minors_screening", {}).get("months_screened", [])
    return [
        [
            m,
            *((files.get(f, {}).get(m) or {}).get("rows", 0) for f in PUBLISHED_FOLDERS),
            _number(summaries.get(m, {}).get("users")),
            _number(summaries.get(m, {}).get("mean_rounds")),
            _number(summaries.get(m, {}).get("languages")),
            _number(summaries.get(m, {}).get("user_tokens_mean"), 1),
            "yes" if m in screened else "no",
        ]
        for m in manifest.get("months", [])
    ]


def _folder_rows(sizes: dict[str, dict]) -> list[list]:
    """One row per published folder: its conversations and non-empty files."""
    return [
        [
            s if s in RELEASE_SPLITS else f"{s} (held back: not a default split)",
            sizes[s]["num_examples"],
            len(sizes[s]["files"]),
        ]
        for s in PUBLISHED_FOLDERS
    ]


def _imported_lines(manifest: dict) -> list[str]:
    """The provenance line of releases re-processed from published data (none otherwise)."""
    imported = manifest.get("imported_from") or []
    if not imported:
        return []
    sources = ", ".join(i["source"] for i in imported)
    return [f"Re-processed from published data: {sources} (hashed IPs and places kept as given).", ""]


def dataset_card(
    layout: DataLayout,
    manifest: dict,
    summaries: dict[str, dict],
    license: str = DEFAULT_LICENSE,
    pretty_name: str = "WildChat-shaped chatbot conversations",
) -> str:
    """The card's text. `summaries`: each month's summary row of monthly_stats ({} when absent)."""
    schema = _published_schema(layout)
    sizes = split_sizes(layout)
    header = yaml.safe_dump(card_yaml(schema, sizes, license, pretty_name), sort_keys=False, allow_unicode=True)
    totals = manifest.get("totals", {})
    screening = manifest.get("sexual_minors_screening", {})
    month_rows = _month_rows(manifest, summaries)
    systems = [[stage, name, value] for stage, values in manifest.get("systems", {}).items()
               for name, value in values.items()]
    deletions = manifest.get("deletions", {})
    unscreened = manifest.get("unscreened")
    body = [
        f"# {pretty_name}",
        "",
        *([f"**Screening: {unscreened_sentence(unscreened)}**", ""] if unscreened else []),
        f"Conversations between users and a chatbot, in the schema of {manifest.get('schema', 'WildChat-1M')}, "
        f"produced by wildchat-dagster {manifest.get('pipeline_version', '')}. License: `{license}`.",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("path/to/this/folder")  # splits: '
        + ", ".join(s for s in RELEASE_SPLITS if sizes[s]["files"]),
        "```",
        "",
        "## Statistics",
        "",
        markdown_table(["folder", "conversations", "non-empty files"], _folder_rows(sizes)),
        "",
        f"Excluded from every split: {totals.get('excluded') or 'none'}. Rejected raw log lines: "
        f"{totals.get(Stage.REJECTED_LOGS, 0)}; retries counted once: {totals.get('retries', 0)}; "
        f"prefix conversations absorbed: {totals.get('absorbed_prefixes', 0)}.",
        "",
        markdown_table(
            [
                "month",
                *PUBLISHED_FOLDERS,
                "users",
                "mean turns",
                "languages",
                "mean user tokens",
                "sexual/minors screening",
            ],
            month_rows,
        ),
        "",
        *screening_section(manifest),
        "Conversations with an OpenAI `sexual/minors` flag are excluded; months without OpenAI "
        f"moderation could not be screened for it: {', '.join(screening.get('months_not_screened', [])) or 'none'}.",
        "",
        *_redaction_lines(manifest.get("redaction") or {}),
        "",
        "## Models, databases and settings",
        "",
        markdown_table(["stage", "system", "value"], systems) if systems else "(none recorded)",
        "",
        "## Removals",
        "",
        f"Deletion requests applied: {len(deletions.get('request_ids_applied', []))}, "
        f"conversations removed: {deletions.get('conversations_removed', 0)} "
        "(request ids in manifest.json; removed content is never listed).",
        "",
        "## Provenance",
        "",
        "`manifest.json` lists every file with its rows and sha256, and the upstream runs' settings.",
        *_imported_lines(manifest),
        "",
    ]
    return f"---\n{header}---\n\n" + "\n".join(body)
