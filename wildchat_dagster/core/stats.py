"""Typed, mergeable figures of a stage run (datatrove's `Stats` idea), filled by the core.

A stage's core function returns one `StageResult` per batch; the stage
skeleton and the shard steps add them up with `merge`, which merges each
field by the kind it declares (`total`, `tally`, `union`, `maximum`,
`first`, `merged_by`, `results`) instead of guessing from the value's type.
The fields are fixed by the class: a misspelt field fails where the result
is built or written (dataclass `__init__`, `__slots__`), not at publication
after the month's work. `to_dict`/`from_dict` give a JSON-able form, tagged
with the result's type, for passing a result between steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="StageResult")
_KIND = "merge_kind"
_TYPE_TAG = "result_type"


@dataclass(frozen=True)
class Kind:
    """How a field adds up over batches and shards, and how it travels as JSON."""

    name: str
    merge: Callable[[Any, Any], Any]
    to_json: Callable[[Any], Any] = lambda value: value
    from_json: Callable[[Any], Any] = lambda value: value


def _add_tally(a: dict, b: dict, biggest_first: bool) -> dict:
    merged = dict(a)
    for key, value in b.items():
        merged[key] = merged.get(key, 0) + value
    return dict(sorted(merged.items(), key=lambda kv: -kv[1])) if biggest_first else merged


def _first(a: Any, b: Any) -> Any:
    return b if a is None else a


def _optional_sum(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else a + b


def _merge_results(a: dict, b: dict) -> dict:
    merged = dict(a)
    for key, value in b.items():
        merged[key] = merged[key].merged(value) if key in merged else value
    return merged


TOTAL = Kind("total", lambda a, b: a + b)
OPTIONAL_TOTAL = Kind("optional total", _optional_sum)
MAXIMUM = Kind("maximum", max)
FIRST = Kind("first", _first)
UNION = Kind("union", lambda a, b: a | b, to_json=sorted, from_json=set)
RESULTS = Kind(
    "results by key", _merge_results,
    to_json=lambda results: {key: value.to_dict() for key, value in results.items()},
    from_json=lambda data: {key: StageResult.from_dict(value) for key, value in data.items()},
)


def total(default: float = 0) -> Any:
    """A number that adds up."""
    return dataclasses.field(default=default, metadata={_KIND: TOTAL})


def optional_total() -> Any:
    """A number that adds up, None where no part counted it (its metadata is then left out)."""
    return dataclasses.field(default=None, metadata={_KIND: OPTIONAL_TOTAL})


def tally(biggest_first: bool = True) -> Any:
    """Counts by key that add up key by key; the merged dict lists the biggest first (for top-N tables)."""
    kind = Kind("tally", lambda a, b: _add_tally(a, b, biggest_first))
    return dataclasses.field(default_factory=dict, metadata={_KIND: kind})


def union() -> Any:
    """A set that unites (JSON: a sorted list)."""
    return dataclasses.field(default_factory=set, metadata={_KIND: UNION})


def maximum(default: float = 0) -> Any:
    return dataclasses.field(default=default, metadata={_KIND: MAXIMUM})


def first(default: Any = None) -> Any:
    """A description that is the same in every part: the first one given is kept."""
    return dataclasses.field(default=default, metadata={_KIND: FIRST})


def merged_by(merge: Callable[[Any, Any], Any]) -> Any:
    """A value with its own merge (e.g. a coverage table); None where no part gave one."""
    kind = Kind("custom", lambda a, b: b if a is None else a if b is None else merge(a, b))
    return dataclasses.field(default=None, metadata={_KIND: kind})


def results() -> Any:
    """Nested results by key (e.g. per moderator), merged key by key."""
    return dataclasses.field(default_factory=dict, metadata={_KIND: RESULTS})


class StageResult:
    """Base of the typed results: subclasses are `@dataclass(slots=True)` with every field of a kind above."""

    __slots__ = ()
    _types: ClassVar[dict[str, type[StageResult]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        StageResult._types[_tag(cls)] = cls

    def __post_init__(self) -> None:
        _kinds(type(self))  # every field declares how it merges (checked once per class)

    def merged(self: R, other: R) -> R:
        """A new result: this one and `other` added up field by field."""
        if type(other) is not type(self):
            raise TypeError(f"cannot merge {type(other).__name__} into {type(self).__name__}")
        return type(self)(**{
            name: kind.merge(getattr(self, name), getattr(other, name)) for name, kind in _kinds(type(self)).items()
        })

    def figures(self) -> dict[str, Any]:
        """The fields by name, in declared order (values as they are)."""
        return {name: getattr(self, name) for name in _kinds(type(self))}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, tagged with the type: what passes between steps."""
        values = {name: kind.to_json(getattr(self, name)) for name, kind in _kinds(type(self)).items()}
        return {_TYPE_TAG: _tag(type(self)), **values}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> StageResult:
        """The result `to_dict` gave (its type must be imported, i.e. defined)."""
        data = dict(data)
        cls = StageResult._types[data.pop(_TYPE_TAG)]
        kinds = _kinds(cls)
        unknown = set(data) - set(kinds)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
        return cls(**{name: kinds[name].from_json(value) for name, value in data.items()})


def merge_all(parts: list[R]) -> R:
    """The parts added up in order (at least one part)."""
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merged(part)
    return merged


def _tag(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@cache
def _kinds(cls: type[StageResult]) -> dict[str, Kind]:
    kinds = {}
    for f in dataclasses.fields(cls):
        if _KIND not in f.metadata:
            raise TypeError(f"{cls.__name__}.{f.name} declares no merge kind (total, tally, union, ...)")
        kinds[f.name] = f.metadata[_KIND]
    return kinds
