"""Where and how Detoxify's network runs: the device, fp16 on GPU, ONNX Runtime on CPU.

The per-text Detoxify loop does 3-14 texts/s on CPU; a month is ~400,000
utterances. On CUDA the model runs in fp16 (sigmoid scores in fp32). On CPU
the loaded checkpoint is exported to ONNX, fused by ONNX Runtime's BERT
optimizer, optionally given int8 weights (`onnx_graphs`), and used only when
its scores stay within `SCORE_TOLERANCE` of the PyTorch model on a fixed set
of texts, batched as the moderator batches them; otherwise PyTorch scores. Every runtime offers Detoxify's own
`predict(texts) -> {class: [scores]}`, so the windowing and batching above it
do not change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildchat_dagster.core.moderation.onnx_graphs import RECIPE, export_onnx, fuse_transformer_ops, quantize_int8

SCORE_TOLERANCE = 0.01
TORCH = "torch"
ONNX = "onnx"
ONNX_INT8 = "onnx-int8"
CPU_RUNTIMES = ("auto", TORCH, ONNX, ONNX_INT8)

# The fixed verification set: short and long, several scripts, benign and abusive, batched like real work.
VERIFICATION_TEXTS = [
    "hello",
    "Can you help me write a cover letter for a junior data analyst position?",
    "you are a stupid useless bot, answer the question",
    "I will find you and hurt you",
    "Write a story about a dragon who learns to bake bread. " * 6,
    "kann ich die Klasse in system/auth/ldap erweitern?",
    "переведи на китайский: доброе утро, как дела?",
    "请帮我写一封感谢信，感谢老师一年来的帮助。",
    "def add(a, b):\n    return a + b\n# explain this code",
    "What the hell is this shit, fix it now!!!",
    "Thank you so much, that was really helpful :)",
    "Résume ce texte en trois phrases, s'il te plaît.",
]


def resolve_device(requested: str) -> tuple[str, str]:
    """(device, note): "auto" is CUDA when available; CUDA asked for but absent falls back to CPU."""
    import torch

    requested = requested.strip().lower()
    if requested == "auto":
        return ("cuda", "auto: CUDA available") if torch.cuda.is_available() else ("cpu", "auto: no CUDA")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        return "cpu", "cuda requested but not available: running on cpu"
    return requested, ""


class TorchScorer:
    """Detoxify's predict on any device; fp16 weights on CUDA, scores in fp32."""

    def __init__(self, model: Any, tokenizer: Any, class_names: list[str], device: str, fp16: bool):
        import torch

        self.model = model.to(device).eval()
        if fp16:
            self.model = self.model.half()
        self.tokenizer = tokenizer
        self.class_names = class_names
        self.device = device
        self._torch = torch

    def predict(self, texts: str | list[str]) -> dict[str, list[float] | float]:
        inputs = self.tokenizer(texts, return_tensors="pt", truncation=True, padding=True).to(self.device)
        with self._torch.inference_mode():
            logits = self.model(**inputs)[0]
        scores = self._torch.sigmoid(logits.float()).cpu()
        return _by_class(scores.numpy(), self.class_names)


class OnnxScorer:
    """The same predict through an ONNX Runtime CPU session."""

    def __init__(self, session: Any, tokenizer: Any, class_names: list[str], config: Any):
        self.session = session
        self.tokenizer = tokenizer
        self.class_names = class_names
        self.model = _ConfigOnly(config)  # the moderator reads model.config for its window
        self._inputs = [i.name for i in session.get_inputs()]

    def predict(self, texts: str | list[str]) -> dict[str, list[float] | float]:
        import numpy as np

        encoded = self.tokenizer(texts, return_tensors="np", truncation=True, padding=True)
        feed = {name: encoded[name].astype(np.int64) for name in self._inputs}
        (logits,) = self.session.run(None, feed)
        return _by_class(1 / (1 + np.exp(-logits.astype(np.float64))), self.class_names)


@dataclass(frozen=True)
class _ConfigOnly:
    config: Any


def _by_class(scores: Any, class_names: list[str]) -> dict[str, list[float] | float]:
    """Detoxify's result shape, quirk included: one text (or a list of one) gives floats, not lists."""
    import numpy as np

    return {name: np.squeeze(np.asarray(scores[:, i], dtype=np.float64)).tolist() for i, name in enumerate(class_names)}


def onnx_session(path: Path, threads: int | None = None) -> Any:
    """A CPU session; by default with as many threads as PyTorch uses (OMP_NUM_THREADS sets both)."""
    import onnxruntime as ort
    import torch

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    # Idle threads sleep instead of spinning: on 2 cores shared with other work (load ~5), an int8
    # bert-base batch of 4 x 256 tokens took 15% less wall and CPU time (6 runs, both orders).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def largest_difference(reference: Any, candidate: Any, texts: list[str], batch_size: int = 4) -> float:
    """Largest absolute score difference over the texts, scored in batches as the moderator does."""
    import numpy as np

    worst = 0.0
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        expected, got = reference.predict(batch), candidate.predict(batch)
        for name, values in expected.items():
            worst = max(worst, float(np.max(np.abs(np.asarray(values) - np.asarray(got[name])))))
    return worst


def cpu_scorer(
    reference: TorchScorer, runtime: str, work_dir: Path, checkpoint_digest: str, texts: list[str] | None = None
) -> tuple[Any, str, str]:
    """(scorer, runtime used, why): the fastest requested ONNX runtime within tolerance, else PyTorch.

    "auto" tries int8 then fp32 ONNX; an explicit runtime is still verified.
    """
    if runtime not in CPU_RUNTIMES:
        raise ValueError(f"cpu_runtime must be one of {CPU_RUNTIMES}, got {runtime!r}")
    if runtime == TORCH:
        return reference, TORCH, "PyTorch (configured)"
    try:
        import onnxruntime  # noqa: F401
    except ImportError as error:
        return reference, TORCH, f"PyTorch (onnxruntime not installed: {error.name})"
    texts = texts or VERIFICATION_TEXTS
    notes = []
    for candidate in ([ONNX_INT8, ONNX] if runtime == "auto" else [runtime]):
        path = onnx_file(reference, candidate, work_dir, checkpoint_digest)
        scorer = OnnxScorer(onnx_session(path), reference.tokenizer, reference.class_names, reference.model.config)
        difference = largest_difference(reference, scorer, texts)
        if difference <= SCORE_TOLERANCE:
            return scorer, candidate, f"{candidate}: scores within {difference:.4f} of PyTorch on {len(texts)} texts"
        notes.append(f"{candidate} off by {difference:.4f}")
    return reference, TORCH, f"PyTorch ({'; '.join(notes)} > {SCORE_TOLERANCE})"


def onnx_file(reference: TorchScorer, runtime: str, work_dir: Path, checkpoint_digest: str) -> Path:
    """The checkpoint's ONNX file for a runtime, built once: export, fuse, then (int8) quantize."""

    def named(stage: str) -> Path:
        key = hashlib.sha256(f"{checkpoint_digest}|{RECIPE}|{stage}".encode()).hexdigest()[:16]
        return work_dir / f"detoxify-{key}-{stage}.onnx"

    exported = export_onnx(reference.model, reference.tokenizer, named("exported"))
    fused = fuse_transformer_ops(exported, reference.model.config, named(ONNX))
    return fused if runtime == ONNX else quantize_int8(fused, named(ONNX_INT8))
