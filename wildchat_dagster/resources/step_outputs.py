"""Step outputs beside the data: a month's shard steps may run on different machines.

The sharded stages hand small values between their steps (a shard plan, each
shard's typed result and check totals as JSON-able dicts); rows and texts stay
in files. Dagster's default IO manager keeps those values in the instance's local storage folder,
which a step on another machine (a Celery worker, a Kubernetes pod) cannot
read. With an object-store data root every step reaches the same bucket, so
the values are written there, under step_outputs/ (universal-pathlib, the same
file-system layer as the data). A local data root keeps Dagster's default.

They are JSON, never pickles: whoever can write to the bucket must not run code
on the workers. Tuples, sets, Counters, dicts with non-string keys and the
dataclasses registered with `step_output_value` are tagged; decoding builds
only those, and anything else is refused with an error naming the output.
"""

from __future__ import annotations

import dataclasses
import json
import numbers
from collections import Counter
from typing import Any

import dagster as dg
from upath import UPath

from wildchat_dagster.core.storage.layout import DataLayout

_VALUE_TYPES: dict[str, type] = {}
_TAGS = ("__tuple__", "__set__", "__counter__", "__pairs__", "__dataclass__")


def step_output_value(cls: type) -> type:
    """Register a dataclass that steps may pass on (decorator): built from its fields, nothing else."""
    assert dataclasses.is_dataclass(cls), cls
    _VALUE_TYPES[cls.__qualname__] = cls
    return cls


def encode(value: Any) -> Any:
    """`value` as JSON data; TypeError for anything that is not plain data or a registered dataclass."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"__set__": [encode(v) for v in value]}
    if isinstance(value, Counter):
        return {"__counter__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__pairs__": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and _VALUE_TYPES.get(type(value).__qualname__) is type(value):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"__dataclass__": type(value).__qualname__, "fields": fields}
    raise TypeError(f"{type(value).__module__}.{type(value).__qualname__} is not JSON data")


def _decode_object(obj: dict) -> Any:
    tag = next((t for t in _TAGS if t in obj), None)
    if tag is None:
        return obj
    if tag == "__tuple__":
        return tuple(obj[tag])
    if tag == "__set__":
        return set(_hashable(v) for v in obj[tag])
    if tag == "__counter__":
        return Counter({_hashable(k): v for k, v in obj[tag]})
    if tag == "__pairs__":
        return {_hashable(k): v for k, v in obj[tag]}
    cls = _VALUE_TYPES.get(obj[tag])
    if cls is None:
        raise ValueError(f"unknown step output type {obj[tag]!r}")
    return cls(**obj["fields"])


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_decode_object)


class JsonStepOutputs(dg.UPathIOManager):
    extension = ".json"

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        try:
            text = json.dumps(encode(obj), allow_nan=True)
        except TypeError as error:
            raise TypeError(f"step output {context.step_key}.{context.name} cannot be stored: {error}; "
                            "step outputs are JSON data (no pickles on shared storage)") from None
        path.write_bytes(text.encode("utf-8"))

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        try:
            return decode(path.read_bytes().decode("utf-8"))
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"step output {path} is not a step output this code wrote: {error}") from None


class SharedStepOutputs(dg.ConfigurableIOManagerFactory):
    """Step outputs under `<data root>/step_outputs/<run id>/<step>/`, readable by every worker."""

    data_dir: str

    def create_io_manager(self, context: dg.InitResourceContext) -> JsonStepOutputs:
        return JsonStepOutputs(base_path=DataLayout(self.data_dir).step_outputs_dir)


def step_outputs_io_manager(layout: DataLayout) -> dict:
    """{"io_manager": …} for an object-store data root; nothing (Dagster's default) for a local one."""
    return {"io_manager": SharedStepOutputs(data_dir=str(layout.root))} if layout.remote else {}


def remove_run_outputs(layout: DataLayout, run_id: str) -> None:
    """Remove a finished run's step outputs (`step_outputs/<run id>/`): only its own steps read them, and
    nothing else cleans the bucket. A local root keeps Dagster's default storage, which is not touched."""
    folder = layout.step_outputs_dir / run_id
    if layout.remote and folder.exists():
        folder.fs.rm(folder.path, recursive=True)
        folder.fs.invalidate_cache(layout.step_outputs_dir.path)
