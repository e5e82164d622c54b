"""Dependencies point one way: web → insights/matching → features → chains/units/accounts → core."""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

import silian

ROOT = Path(silian.__file__).parent
PYPROJECT = ROOT.parents[1] / "pyproject.toml"
CORE = {"core", "config"}
BASE = {"chains", "organizations", "accounts"}
UPPER = {"web", "insights", "matching", "analytics", "cli", "demo", "io", "models", "__main__"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("silian."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("silian."):
                    found.add(alias.name.split(".")[1])
    return found


def _package_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_import_linter_contracts_hold() -> None:
    """The contracts `make lint` checks (pyproject.toml [tool.importlinter]) are kept."""
    assert PYPROJECT.is_file()
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0


def test_core_imports_no_feature() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        bad = _imports(path) - CORE
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_chains_units_and_accounts_import_only_each_other_and_core() -> None:
    for package in BASE:
        for path in (ROOT / package).rglob("*.py"):
            bad = _imports(path) - CORE - BASE - {"reference"}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_features_never_import_web_matching_or_cli() -> None:
    for path in ROOT.rglob("*.py"):
        package = _package_of(path)
        if package in UPPER or package in CORE or package == "migrations":
            continue
        bad = _imports(path) & UPPER
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


# Modules of matching that connect the engine to the platform; the rest is a pure library.
MATCHING_GLUE = {"sources", "service", "routes", "jobs", "cli"}


def test_matching_engine_is_a_library() -> None:
    for path in (ROOT / "matching").rglob("*.py"):
        if path.stem in MATCHING_GLUE:
            continue
        bad = _imports(path) - {"matching", "config", "reference"}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_matching_glue_never_imports_web_or_cli() -> None:
    for name in MATCHING_GLUE:
        path = ROOT / "matching" / f"{name}.py"
        if path.exists():
            bad = _imports(path) & {"web", "cli", "analytics", "insights"}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_every_module_has_a_docstring() -> None:
    for path in ROOT.rglob("*.py"):
        if "migrations/versions" in str(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no module docstring"
