"""Layout rules a grep can check: one table renderer, nothing read from outside the repository, the
placeholder spelled only in schema.py, asset names only in stages.py, imports that leave os.environ alone."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from wildchat_dagster.stages import all_stages

PACKAGE = Path(__file__).resolve().parents[1] / "wildchat_dagster"
OUTSIDE_REPO = "../sh" + "ared"  # the material folder beside the checkout (spelt so that this line is no hit)
TESTS = Path(__file__).resolve().parent


def _sources(*roots: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for root in roots for p in root.rglob("*.py")}


def test_tables_are_rendered_in_one_place():
    home = PACKAGE / "core" / "reporting" / "tables.py"
    # A separator row or a <table> tag inside a string literal; tables in docstrings are documentation.
    built = re.compile(r"""["']\|-{3}|-{3}:?\|["']|["']<table""")
    builders = [p for p, text in _sources(PACKAGE).items() if p != home and built.search(text)]
    assert builders == [], f"build tables with core.reporting.tables, not by hand: {builders}"


def test_nothing_reads_outside_the_repository():
    # The real WildChat samples ship in the package (kit/samples/real_wildchat, with their NOTICE).
    outside = [p for p, text in _sources(PACKAGE, TESTS).items()
               if p != Path(__file__).resolve() and (OUTSIDE_REPO in text or "parents[2]" in text or "/work/" in text)]
    assert outside == []


def test_no_product_module_imports_the_kit():
    product = [PACKAGE / "core", PACKAGE / "assets", PACKAGE / "resources"]
    importers = [p for p, text in _sources(*product).items() if "wildchat_dagster.kit" in text]
    assert importers == []


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _string_constants(path: Path) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_placeholder_is_spelled_only_in_schema():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in _modules()
        if path != PACKAGE / "schema.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "PRESIDIO_ANONYMIZED" in line
    ]
    assert offenders == []
    assert "PRESIDIO_ANONYMIZED" in (PACKAGE / "schema.py").read_text()


def test_asset_names_are_written_only_in_stages():
    names = set(all_stages())
    offenders = [
        f"{path.relative_to(PACKAGE)}:{lineno} {value!r}"
        for path in _modules()
        if path != PACKAGE / "stages.py"
        for lineno, value in _string_constants(path)
        if value in names
    ]
    assert offenders == []
    assert len(names) >= 14


@pytest.mark.slow
def test_importing_the_package_does_not_write_the_environment():
    # A fresh interpreter imports the heavy dependencies first (torch sets its own
    # TORCHINDUCTOR_CACHE_DIR on import), then every module of the package, and compares os.environ.
    modules = [
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in _modules()
    ]
    script = (
        "import importlib, os\n"
        "import dagster, presidio_analyzer, presidio_anonymizer, spacy, tldextract\n"
        "before = dict(os.environ)\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))\n"
        "print(changed)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
