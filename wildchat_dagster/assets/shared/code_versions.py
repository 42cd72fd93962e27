"""Each asset's code version: the source it runs and the engines it calls, so no one has to remember a bump.

A code version reads `code=<digest> <engine>=<fingerprint> ...`:

- `code`: a sha256 of the package modules the asset runs: its asset module, the
  modules of the resources it requires, and every package module those import,
  transitively (read from the source with `ast`, nested imports included). Files
  are hashed by content under sorted paths relative to the package, so the digest
  is the same on every machine and checkout.
- one part per engine of the resources it requires (`fingerprint()` of each:
  model names and versions, model file digests, GeoLite2 builds, whether OpenAI
  is enabled, the IP-hash key's key id; never a secret).

Dagster compares the code version with the one recorded at the last
materialization, so `run` and the UI's "stale" agree; `changes` says which part moved.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.resources
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import dagster as dg

PACKAGE = "wildchat_dagster"
PACKAGE_DIR = Path(str(importlib.resources.files(PACKAGE))).resolve()
CODE = "code"
_UNSAFE = re.compile(r"[\s=]+")  # a part is one token: `name=value`, space separated


def _module_file(module: str) -> Path | None:
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    path = PACKAGE_DIR.joinpath(*module.split(".")[1:])
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def _imports(path: Path) -> set[str]:
    """Package modules `path` imports anywhere in its body (`from a import b` counts a.b when it is a module)."""
    return {module for module in _imports_of_source(path.read_text(encoding="utf-8")) if _module_file(module)}


@functools.lru_cache(maxsize=4096)
def _imports_of_source(source: str) -> frozenset[str]:
    """Every module one module's text imports, parsed once per process: every asset's closure shares
    most modules, and definitions are built more than once (keyed by the text: an edit is parsed anew)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(found)


def source_files(modules: Iterable[str]) -> list[Path]:
    """The files of `modules` and of every package module they import, transitively."""
    seen: set[str] = set()
    todo = [module for module in modules if _module_file(module)]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += _imports(_module_file(module))
    return sorted({_module_file(module) for module in seen})


@functools.cache
def source_digest(modules: frozenset[str]) -> str:
    """A short sha256 of the source `modules` run, stable across machines and checkout paths."""
    digest = hashlib.sha256()
    for path in source_files(modules):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def format_code_version(source: str, engines: Mapping[str, str]) -> str:
    parts = {CODE: source, **{name: _UNSAFE.sub("_", str(value)) or "-" for name, value in engines.items()}}
    return " ".join(f"{name}={value}" for name, value in sorted(parts.items(), key=lambda item: item[0] != CODE))


def parse_code_version(version: str | None) -> dict[str, str]:
    """{part: value}; a version of another form (e.g. the former "1") is one opaque `code` part."""
    parts = dict(part.partition("=")[::2] for part in (version or "").split())
    return parts if CODE in parts else {CODE: version or ""}


def changes(asset: str, recorded: str | None, current: str) -> list[str]:
    """What moved between the code version `asset` was materialized with and the current one."""
    old, new = parse_code_version(recorded), parse_code_version(current)
    said = [f"code of {asset} changed"] if old.get(CODE) != new.get(CODE) else []
    for name in sorted((old.keys() | new.keys()) - {CODE}):
        before, after = old.get(name, "none"), new.get(name, "none")
        if before != after:
            said.append(f"engine fingerprint changed: {_engine_change(name, before, after)}")
    return said


def _engine_change(name: str, before: str, after: str) -> str:
    if name == "openai" and "off" in (before, after):
        return "openai enabled" if before == "off" else "openai disabled"
    if name == "ipkey":
        return "ip-hash key rotated"
    return f"{name} {before} -> {after}"


class EngineFingerprints:
    """Each resource's engine fingerprint, taken once per definitions load."""

    def __init__(self, resources: Mapping[str, object]):
        self._resources = resources
        self._taken: dict[str, dict[str, str]] = {}

    def of(self, keys: Iterable[str]) -> dict[str, str]:
        parts: dict[str, str] = {}
        for key in sorted(keys):
            resource = self._resources.get(key)
            if key not in self._taken:
                self._taken[key] = resource.fingerprint() if hasattr(resource, "fingerprint") else {}
            parts.update(self._taken[key])
        return parts

    def modules(self, keys: Iterable[str]) -> set[str]:
        return {type(self._resources[key]).__module__ for key in keys if key in self._resources}


def versioned_assets(modules: Iterable[ModuleType], resources: Mapping[str, object]) -> list[dg.AssetsDefinition]:
    """The assets of `modules`, each with its derived code version (replacing what it declared)."""
    engines = EngineFingerprints(resources)
    out = []
    for module in modules:
        for assets_def in dg.load_assets_from_modules([module]):
            keys = assets_def.required_resource_keys
            source = source_digest(frozenset({module.__name__, *engines.modules(keys)}))
            version = format_code_version(source, engines.of(keys))
            out.append(assets_def.map_asset_specs(lambda spec, v=version: spec.replace_attributes(code_version=v)))
    return out
