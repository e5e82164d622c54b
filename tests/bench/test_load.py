"""The load script: starts its own server, signs clients in, runs the mix, reports figures."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench import load
from silian.demo.loader import load_demo


def test_percentile_picks_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert load._percentile(values, 50) == 50.0
    assert load._percentile(values, 95) == 95.0
    assert load._percentile(values, 99) == 99.0
    assert load._percentile([0.2], 99) == 0.2
    assert load._percentile([], 50) == 0.0


def test_load_script_runs_a_bounded_mix_against_its_own_server(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "load.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    load_demo(url)
    out = tmp_path / "figures.json"
    figures = load.main(
        ["--database-url", url, "--home", str(tmp_path / "home"), "--clients", "3"]
        + ["--duration", "20", "--requests", "40", "--json", str(out)]
    )
    (level,) = figures["levels"]
    assert level["clients"] == 3
    assert level["requests"] == 40  # the request budget bounds the run
    assert level["errors"] == 0, level["error_kinds"]
    assert {"browse", "search", "detail", "suggestions", "match"} <= set(level["kinds"])
    assert {"create", "edit"} & set(level["kinds"])
    for row in level["kinds"].values():
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert out.read_text(encoding="utf-8").startswith("{")
