"""What a pool worker builds once and keeps: a stage's batch function, from a picklable spec.

A batch function (rows -> rows and figures) closes over engines that take
seconds and hundreds of MB to load (spaCy, fastText, Detoxify). A worker
process must not load them per batch or per step, so the pool ships a
`WorkerSpec` (a module-level builder and picklable arguments, e.g. a
resource's configuration as `Shared`) and each process builds the function
once per distinct spec, and each `Shared` object once per distinct config.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LogFn = Callable[[str], None]
BatchFn = Callable[[Any], Any]

_BUILT_KEPT = 8  # batch functions a process keeps (a run's stages and months); engines are kept apart
_shared: dict[bytes, Any] = {}  # Shared digest -> object, for the life of the process
_built: OrderedDict[bytes, BatchFn] = OrderedDict()  # WorkerSpec digest -> batch function, least recent first


def _digest(value: Any) -> bytes:
    return hashlib.sha256(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)).digest()


@dataclass(frozen=True)
class Shared:
    """An object a process builds once from picklable arguments and then reuses: `factory(**kwargs)`
    (e.g. a resource class and its configuration, whose engine loads on first use and stays)."""

    factory: Callable[..., Any]
    kwargs: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, factory: Callable[..., Any], **kwargs: Any) -> Shared:
        return cls(factory, tuple(sorted(kwargs.items())))

    def get(self) -> Any:
        """This process's object for this configuration (built on first call)."""
        key = _digest(self)
        if key not in _shared:
            _shared[key] = self.factory(**dict(self.kwargs))
        return _shared[key]


@dataclass(frozen=True)
class WorkerSpec:
    """A batch function as a worker builds it: `build(*args, log=...)`, with every `Shared` argument
    replaced by this process's object. `build` must be a module-level function (pickled by name)."""

    build: Callable[..., BatchFn]
    args: tuple = ()

    def pickled(self) -> tuple[bytes, bytes]:
        """(digest, pickle): what the pool sends with every batch (the digest picks the built function)."""
        data = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        return hashlib.sha256(data).digest(), data

    def function(self, log: LogFn | None = None) -> BatchFn:
        """The batch function, built now (not cached: the caller keeps it)."""
        args = [arg.get() if isinstance(arg, Shared) else arg for arg in self.args]
        return self.build(*args, log=log)


def built_function(key: bytes, data: bytes, log: LogFn) -> BatchFn:
    """This process's batch function for a pickled spec: built on its first batch, then kept."""
    function = _built.get(key)
    if function is None:
        function = pickle.loads(data).function(log)
        _built[key] = function
        while len(_built) > _BUILT_KEPT:
            _built.popitem(last=False)
    _built.move_to_end(key)
    return function
