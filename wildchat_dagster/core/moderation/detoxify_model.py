"""Detoxify (the model WildChat used: `multilingual`), loaded offline from local files.

Released Detoxify checkpoints name a Hugging Face hub model in their config,
which Detoxify fetches even when given a local config directory. The loader
applies the known offline recipe itself: it rewrites that name to the local
directory in a patched copy of the checkpoint and loads the copy with
local_files_only. It never downloads: without a checkpoint (configured or
already in the torch hub cache) and its config files, Detoxify is reported
unavailable and its fields stay null.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from wildchat_dagster.core.moderation.detoxify_runtime import TORCH, TorchScorer, cpu_scorer, resolve_device
from wildchat_dagster.core.moderation.moderators import (
    DETOXIFY,
    DETOXIFY_MULTILINGUAL_LANGUAGES,
    ENGLISH,
    LoadedModerator,
)
from wildchat_dagster.core.moderation.windows import windowed_batch_scores
from wildchat_dagster.core.storage.warehouse import file_sha256, staged

# Re-tokenizing a window cut mid-word can add a token or two; keep clear of the limit.
_WINDOW_MARGIN_TOKENS = 2
CPU_BATCH_TOKENS = 1024
GPU_BATCH_TOKENS = 16384


def released_checkpoint_in_hub_cache(model_type: str) -> Path | None:
    """The released checkpoint file if torch.hub already holds it (never fetched here)."""
    import torch
    from detoxify.detoxify import MODEL_URLS

    if model_type not in MODEL_URLS:
        raise ValueError(f"unknown Detoxify model_type {model_type!r}; one of {sorted(MODEL_URLS)}")
    path = Path(torch.hub.get_dir()) / "checkpoints" / MODEL_URLS[model_type].rsplit("/", 1)[-1]
    return path if path.is_file() else None


def hub_checkpoint_names(torch_home: str) -> list[str]:
    """The checkpoint files in torch.hub's cache under `torch_home` (settings.torch_home), found without
    importing torch (seconds). Hub file names carry a prefix of their sha256, so the names identify the weights."""
    folder = Path(torch_home).expanduser() / "hub" / "checkpoints"
    return sorted(path.name for path in folder.glob("*.ckpt")) if folder.is_dir() else []


def _no_weights(model_type: str) -> str:
    return (
        f"no weights: no checkpoint configured (WILDCHAT_DETOXIFY_CHECKPOINT) and none for "
        f"'{model_type}' in the torch hub cache; Detoxify skipped (never downloaded)"
    )


def _hub_model_name(checkpoint: dict) -> str:
    return checkpoint["config"]["arch"]["args"]["model_type"]


def _config_dir_in_hf_cache(hub_model_name: str, hub_cache: str | None) -> Path | None:
    """The cached snapshot of a hub model's config (offline lookup only; `hub_cache`: HF_HUB_CACHE)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(hub_model_name, "config.json", cache_dir=hub_cache)
    return Path(found).parent if isinstance(found, str) else None


def patched_checkpoint(checkpoint: Path, config_dir: Path, work_dir: Path) -> Path:
    """A copy of the checkpoint whose hub model name is the local config directory.

    Checkpoints are pickles: load only files you trust.
    """
    import torch

    stat = checkpoint.stat()
    source = f"{checkpoint.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{config_dir.resolve()}"
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    target = work_dir / f"{checkpoint.stem}-{key}.ckpt"
    if target.exists():
        return target
    loaded = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if not isinstance(loaded, dict) or "config" not in loaded or "state_dict" not in loaded:
        raise ValueError(f"{checkpoint} is not a Detoxify checkpoint (needs 'config' and 'state_dict')")
    loaded["config"]["arch"]["args"]["model_type"] = str(config_dir.resolve())
    with staged(target) as partial:  # parallel months may patch at once
        torch.save(loaded, partial)
    return target


class DetoxifyModerator:
    """Scores texts with a loaded Detoxify model; a core `Moderator`.

    Long texts are scored window by window (maximum taken) instead of being
    truncated at the model's window, and batches hold texts of similar length.
    """

    name = DETOXIFY

    def __init__(
        self,
        detoxify: Any,
        version: str,
        batch_size: int,
        max_batch_tokens: int | None = None,
        languages: frozenset[str] | None = ENGLISH,
    ):
        self.detoxify = detoxify
        self.languages = languages
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        tokenizer = detoxify.tokenizer
        window = tokenizer.model_max_length
        if window is None or window > 1_000_000:  # "no limit" sentinel: fall back to the model's positions
            window = detoxify.model.config.max_position_embeddings
        self.max_tokens = window - tokenizer.num_special_tokens_to_add(pair=False) - _WINDOW_MARGIN_TOKENS
        if self.max_tokens < 1:
            raise ValueError(f"Detoxify window of {window} tokens is too small")
        # Windowing changes the scores of long texts, so it is part of the cache key.
        self.version = f"{version}:window{self.max_tokens}"
        self.model_runs = 0
        self.windows_scored = 0

    def usage(self) -> dict[str, int]:
        return {"model_runs": self.model_runs, "windows_scored": self.windows_scored}

    def moderate(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[dict[str, float]]]]:
        return windowed_batch_scores(
            texts, self.token_starts, self.predict, self.max_tokens, self.batch_size, self.max_batch_tokens
        )

    def token_starts(self, texts: list[str]) -> list[list[int]]:
        encoded = self.detoxify.tokenizer(
            texts, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False
        )
        return [[start for start, _ in offsets] for offsets in encoded["offset_mapping"]]

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        scores = self.detoxify.predict(texts)
        self.model_runs += 1
        self.windows_scored += len(texts)
        columns = {name: (values if isinstance(values, list) else [values]) for name, values in scores.items()}
        return [{name: float(values[i]) for name, values in columns.items()} for i in range(len(texts))]


def model_languages(model_type: str) -> frozenset[str]:
    """Detoxify's README: `multilingual` for its seven training languages, the others English only."""
    return DETOXIFY_MULTILINGUAL_LANGUAGES if model_type == "multilingual" else ENGLISH


def load_detoxify(
    model_type: str,
    checkpoint: str | None,
    huggingface_config_dir: str | None,
    device: str,
    batch_size: int,
    max_batch_tokens: int | None,
    work_dir: Path,
    fp16: bool | None = None,
    cpu_runtime: str = "auto",
    hub_cache: str | None = None,
    torch_home: str | None = None,
) -> LoadedModerator:
    """The model ready to score, or why it is unavailable; never downloads. Without a checkpoint
    configured and none in the torch hub cache under `torch_home`, torch is not imported at all
    (seconds and ~300 MB in every process that moderates)."""
    missing = [name for name in ("torch", "detoxify") if importlib.util.find_spec(name) is None]
    if missing:
        return LoadedModerator(None, f"detoxify/torch not installed ({missing[0]}): Detoxify skipped")
    if not checkpoint and torch_home is not None and not hub_checkpoint_names(torch_home):
        return LoadedModerator(None, _no_weights(model_type))
    import torch
    from detoxify import Detoxify

    if checkpoint:
        checkpoint = Path(checkpoint)
        if not checkpoint.is_file():
            # Configured but missing is a mistake to fix, not a reason to let the fallback decide the split.
            raise FileNotFoundError(
                f"Detoxify checkpoint {checkpoint} not found (set by WILDCHAT_DETOXIFY_CHECKPOINT or the resource)"
            )
    else:
        checkpoint = released_checkpoint_in_hub_cache(model_type)
        if checkpoint is None:
            return LoadedModerator(None, _no_weights(model_type))

    if huggingface_config_dir:
        config_dir = Path(huggingface_config_dir)
        if not (config_dir / "config.json").is_file():
            raise FileNotFoundError(
                f"no config.json in {config_dir} (set by WILDCHAT_DETOXIFY_CONFIG_DIR or the resource)"
            )
    else:
        hub_name = _hub_model_name(torch.load(checkpoint, map_location="cpu", weights_only=False))
        found = _config_dir_in_hf_cache(hub_name, hub_cache)
        if found is None:
            return LoadedModerator(
                None,
                f"config files of '{hub_name}' are not in the Hugging Face cache; "
                f"set WILDCHAT_DETOXIFY_CONFIG_DIR: Detoxify skipped",
            )
        config_dir = found

    device, device_note = resolve_device(device)
    patched = patched_checkpoint(checkpoint, config_dir, work_dir)
    loaded = Detoxify(
        model_type=model_type, checkpoint=str(patched), device="cpu", huggingface_config_path=str(config_dir)
    )
    on_gpu = device.startswith("cuda")
    half = on_gpu if fp16 is None else fp16
    scorer = TorchScorer(loaded.model, loaded.tokenizer, loaded.class_names, device, fp16=half)
    digest = file_sha256(checkpoint)[:16]
    runtime, runtime_note = ("torch-fp16" if half else TORCH), "PyTorch" + (" fp16" if half else "")
    if not on_gpu:
        scorer, runtime, runtime_note = cpu_scorer(scorer, cpu_runtime, work_dir, digest)
    # On CPU, bigger batches ran slower per text: bert-base on 2 cores scored
    # 12.7 texts/s at 1024 padded tokens per batch, 11.4 at 2048, 9.3 at 4096.
    max_batch_tokens = max_batch_tokens or (GPU_BATCH_TOKENS if on_gpu else CPU_BATCH_TOKENS)
    # The runtime is part of the cache key: its scores may differ from PyTorch's by up to the tolerance.
    version = f"{model_type}:{digest}" + ("" if runtime == TORCH else f":{runtime}")
    moderator = DetoxifyModerator(scorer, version, batch_size, max_batch_tokens, model_languages(model_type))
    notes = "; ".join(n for n in (device_note, runtime_note) if n)
    return LoadedModerator(moderator, f"enabled ({moderator.version} on {device}; {notes})")
