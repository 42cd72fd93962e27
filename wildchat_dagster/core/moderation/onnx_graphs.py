"""The ONNX files Detoxify runs from on CPU: export, transformer fusions, int8 weights.

Each step writes its file once (staged, then renamed: parallel months may
build at once) and later runs reuse it. The recipe is what measured fastest for a
bert-base checkpoint on real WildChat turns (2 AVX2 cores, 60 turns of
242 tokens mean, truncated work, texts/s): PyTorch per text 1.84; ONNX int8
of the default (SDPA) export 2.70, of an eager-attention export 3.12, of the
eager export after ONNX Runtime's BERT fusions 3.49-4.04.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wildchat_dagster.core.storage.warehouse import staged

# Bump when the recipe changes, so files built by an older one are not reused.
RECIPE = "eager-fused-v2"


def export_onnx(model: Any, tokenizer: Any, target: Path) -> Path:
    """The model as an fp32 ONNX file (dynamic batch and length); written once."""
    import torch

    if target.exists():
        return target
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names]
    sample = tokenizer(["a short sample", "and a somewhat longer sample text"], return_tensors="pt", padding=True)

    class Logits(torch.nn.Module):  # positional inputs in a fixed order, logits out
        def __init__(self, wrapped):
            super().__init__()
            self.wrapped = wrapped

        def forward(self, *tensors):
            return self.wrapped(**dict(zip(names, tensors, strict=True)))[0]

    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}
    model = model.to("cpu").float().eval()
    # The TorchScript exporter: the torch.export-based default needs onnxscript and handles
    # Hugging Face models less reliably; its deprecation warning is expected here, and its
    # advanced-indexing note is about negative indices, which the attention mask never has.
    # The wrapper must be in eval mode: the exporter puts the module it is given back in
    # that module's mode, recursively, and a wrapper in training mode turned the
    # reference's dropout on (PyTorch then drifted ~0.1 and the gate refused ONNX).
    with staged(target) as partial, torch.inference_mode(), warnings.catch_warnings(), _eager_attention(model):
        warnings.simplefilter("ignore", (DeprecationWarning, torch.jit.TracerWarning))
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        torch.onnx.export(
            Logits(model).eval(), tuple(sample[n] for n in names), partial, input_names=names,
            output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )
    return target


def fuse_transformer_ops(fp32: Path, config: Any, target: Path) -> Path:
    """The fp32 file after ONNX Runtime's BERT fusions (LayerNorm, GELU, ...); written once.

    `bert` is ONNX Runtime's model type for the BERT family, RoBERTa and XLM-R included.
    """
    from onnxruntime.transformers.optimizer import optimize_model

    if not target.exists():
        with staged(target) as partial, _quiet_onnxruntime_tools():
            fused = optimize_model(
                str(fp32), model_type="bert", num_heads=getattr(config, "num_attention_heads", 0),
                hidden_size=getattr(config, "hidden_size", 0), opt_level=1, use_gpu=False,
            )
            fused.save_model_to_file(partial)
    return target


def quantize_int8(fp32: Path, target: Path) -> Path:
    """The fp32 file with int8 dynamic quantization of its MatMul weights; written once."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    if not target.exists():
        with staged(target) as partial, _quiet_onnxruntime_tools():
            quantize_dynamic(
                str(fp32), partial, weight_type=QuantType.QInt8,
                # Fused ops (SkipLayerNormalization, BiasGelu) are outside ONNX's shape inference:
                # their outputs are float, as every activation in this graph.
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
    return target


@contextlib.contextmanager
def _eager_attention(model: Any) -> Iterator[None]:
    """Export the plain attention math: SDPA's traced form ran slower in ONNX Runtime."""
    previous = getattr(model.config, "_attn_implementation", None)
    if previous in (None, "eager") or not hasattr(model, "set_attn_implementation"):
        yield
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(previous)


@contextlib.contextmanager
def _quiet_onnxruntime_tools() -> Iterator[None]:
    """Keep the quantizer's advice (meant for image models, logged on the root logger) out of run logs."""
    root, from_onnxruntime = logging.getLogger(), _FromPackage("onnxruntime")
    root.addFilter(from_onnxruntime)
    try:
        yield
    finally:
        root.removeFilter(from_onnxruntime)


class _FromPackage(logging.Filter):
    def __init__(self, package: str):
        super().__init__()
        self.marker = f"{os.sep}{package}{os.sep}"

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or self.marker not in record.pathname
