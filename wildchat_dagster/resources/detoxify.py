"""Detoxify as a Dagster resource: where the local weights are and how to run them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from wildchat_dagster.core.moderation.detoxify_model import (
    CPU_BATCH_TOKENS,
    GPU_BATCH_TOKENS,
    hub_checkpoint_names,
    load_detoxify,
)
from wildchat_dagster.core.moderation.moderators import LoadedModerator
from wildchat_dagster.resources.provenance import file_digest, package_version
from wildchat_dagster.settings import Settings, huggingface_hub_cache, torch_home


class DetoxifyResource(dg.ConfigurableResource):
    """Detoxify from a local checkpoint and Hugging Face config directory."""

    model_type: str = Field(default="multilingual", description="Detoxify model; WildChat used 'multilingual'.")
    checkpoint: str | None = Field(default=None, description="Local .ckpt; None: the torch hub cache, if it holds one.")
    huggingface_config_dir: str | None = Field(
        default=None, description="Directory with config.json and tokenizer files of the checkpoint's base model."
    )
    device: str = Field(default="auto", description="auto: CUDA when available, else cpu; or cpu, cuda, cuda:N.")
    fp16: bool | None = Field(default=None, description="Half-precision weights; None: on CUDA only.")
    cpu_runtime: str = Field(
        default="auto",
        description="On CPU: auto (ONNX Runtime int8, then fp32, whichever stays within 0.01 of PyTorch's "
        "scores on a fixed set), onnx-int8, onnx (verified the same way), or torch.",
    )
    batch_size: int = 32
    max_batch_tokens: int | None = Field(
        default=None,
        description="Padded tokens per batch at most (long texts batch fewer); None: 1024 on cpu, 16384 on cuda.",
    )
    patched_checkpoint_dir: str | None = Field(
        default=None, description="Where the patched copy goes; None: <data_dir>/cache/detoxify."
    )

    @classmethod
    def from_defaults(cls, settings: Settings | None = None) -> DetoxifyResource:
        """Local files named by the settings (default: the environment's), else none
        (Detoxify then reports unavailable)."""
        settings = Settings.from_environ() if settings is None else settings
        return cls(checkpoint=settings.detoxify_checkpoint, huggingface_config_dir=settings.detoxify_config_dir)

    def configuration(self) -> dict[str, Any]:
        return {
            "model_type": self.model_type,
            "checkpoint": self.checkpoint or "torch hub cache",
            "huggingface_config_dir": self.huggingface_config_dir or "Hugging Face cache",
            "device": self.device,
            "fp16": "auto (CUDA only)" if self.fp16 is None else self.fp16,
            "cpu_runtime": self.cpu_runtime,
            "batch_size": self.batch_size,
            "max_batch_tokens": self.max_batch_tokens or f"auto ({CPU_BATCH_TOKENS} cpu, {GPU_BATCH_TOKENS} cuda)",
        }

    def fingerprint(self) -> dict[str, str]:
        """The weights (checkpoint digest, or the torch hub file, whose name carries its digest) and the
        runtime settings; "off" when Detoxify has no weights or is not installed (it is then skipped)."""
        if package_version("detoxify") is None:
            return {"detoxify": "off"}
        weights = (
            file_digest(self.checkpoint) if self.checkpoint else "+".join(hub_checkpoint_names(torch_home())) or None
        )
        if weights is None:
            return {"detoxify": "off"}
        return {"detoxify": f"{self.model_type}:{weights}:{self.device}:{self.cpu_runtime}:fp16={self.fp16}"}

    def load(self, cache_dir: str | Path) -> LoadedModerator:
        """The model ready to score, or why it is unavailable; never downloads."""
        work_dir = Path(self.patched_checkpoint_dir) if self.patched_checkpoint_dir else Path(cache_dir) / "detoxify"
        return load_detoxify(
            self.model_type,
            self.checkpoint,
            self.huggingface_config_dir,
            self.device,
            self.batch_size,
            self.max_batch_tokens,
            work_dir,
            fp16=self.fp16,
            cpu_runtime=self.cpu_runtime,
            hub_cache=huggingface_hub_cache(),
            torch_home=torch_home(),
        )
