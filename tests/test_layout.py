"""Layout rules a grep can check: one table renderer, nothing read from outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wildchat_dagster"
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
               if p != Path(__file__).resolve() and ("../shared" in text or "parents[2]" in text or "/work/" in text)]
    assert outside == []


def test_no_product_module_imports_the_kit():
    product = [PACKAGE / "core", PACKAGE / "assets", PACKAGE / "resources"]
    importers = [p for p, text in _sources(*product).items() if "wildchat_dagster.kit" in text]
    assert importers == []
