"""The README stays true: its commands exist, its opening lines are the two set-up commands."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from silian.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> set[str]:
    root = get_command(app)
    names: set[str] = set()
    for name, cmd in getattr(root, "commands", {}).items():
        names.add(name)
        for sub in getattr(cmd, "commands", {}):
            names.add(f"{name} {sub}")
    return names


def test_readme_opens_with_make_demo_and_make_test() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_every_cli_command_in_readme_exists() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^silian ([a-z]+(?: [a-z]+)?)", text, re.M))
    known = _commands()
    missing = {d for d in documented if d not in known and d.split()[0] not in known}
    assert not missing, f"README documents unknown commands: {missing}"


def test_every_cli_command_is_documented() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in _commands():
        if " " in name or name in ("db", "demo", "user"):
            continue
        assert f"silian {name}" in text, f"`silian {name}` is not in the README"


def _bench_script(module: str) -> Path:
    """The file `python -m bench.<module>` runs (a module, or a package's __main__)."""
    path = ROOT / "bench" / Path(*module.split("."))
    return path / "__main__.py" if path.is_dir() else path.with_suffix(".py")


def test_benchmark_commands_in_docs_exist() -> None:
    """Every `python -m bench.X` the docs give as a command is a script in bench/."""
    for name in ("benchmarks.md", "matching.md"):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        for module in set(re.findall(r"python -m bench\.([a-z_]+(?:\.[a-z_]+)*)", text)):
            assert _bench_script(module).is_file(), f"docs/{name}: bench.{module}"
    scripts = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"__init__", "baselines"}
    scripts |= {p.parent.name for p in (ROOT / "bench").glob("*/__main__.py")}
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for script in scripts:
        assert f"python -m bench.{script}" in text, f"bench/{script}.py is not in benchmarks.md"


def test_conditional_and_idempotent_api_is_documented() -> None:
    """The README's API section states the precondition and idempotency rules we enforce."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("If-Match", "ETag", "428", "412", "Idempotency-Key", "24 hours"):
        assert needle in text, needle
    reliability = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    for heading in ("## Permissions", "## Lost updates", "## Idempotent creates"):
        assert heading in reliability, heading
    for test in re.findall(r"tests/core/test_[a-z_]+\.py", reliability):
        assert (ROOT / test).is_file(), test


def test_every_environment_variable_is_documented() -> None:
    """Each ``SILIAN_*`` setting the code reads is named in the README or a docs page."""
    named = set()
    for path in (ROOT / "src" / "silian").rglob("*.py"):
        named |= set(re.findall(r"[\"'](SILIAN_[A-Z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    docs = (ROOT / "README.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md")
    )
    assert named, "the scan found no settings at all"
    assert sorted(v for v in named if v not in docs) == []
