"""The HTTP throughput script's options, figures and table (the server run itself is manual)."""

from __future__ import annotations

import pytest

from bench import serving


def test_options_are_bounded_and_levels_parsed() -> None:
    args = serving.parse_args(["--workers", "1,2", "--requests", "50", "--duration", "5"])
    assert args.levels == [1, 2] and args.requests == 50 and args.duration == 5.0
    assert args.concurrency == 8
    for bad in (["--workers", "1,x"], ["--workers", "0"], ["--requests", "0"]):
        with pytest.raises(SystemExit):
            serving.parse_args(bad)


def test_a_level_is_summarised_with_qps_percentiles_and_errors() -> None:
    level = serving.Level(2, latencies=[0.01 * i for i in range(1, 101)], elapsed=4.0)
    level.errors = {"HTTP 500": 1, "ConnectionResetError": 2}
    level.load = (1.5, 1.75)
    level.pss_mb = [300, 120, 118]
    row = serving.summarise(level)
    assert row["requests"] == 100 and row["errors"] == 3
    assert row["qps"] == 25.0
    assert row["p50_ms"] == 500.0 and row["p95_ms"] == 950.0
    assert row["load"] == [1.5, 1.75]
    assert row["server_pss_mb"] == 538 and row["processes"] == 3
    assert serving.summarise(serving.Level(1))["qps"] == 0.0


def test_the_server_family_is_found_in_proc() -> None:
    import os

    assert serving.family(os.getpid())[0] == os.getpid()
    assert serving.pss_mb(os.getpid()) > 0
    assert serving.pss_mb(2**22 + 7) == 0  # no such process


def test_the_table_gives_each_level_and_the_ratio() -> None:
    one = serving.summarise(serving.Level(1, latencies=[0.02] * 40, elapsed=2.0))
    two = serving.summarise(serving.Level(2, latencies=[0.02] * 40, elapsed=1.25))
    assert serving.ratio([one, two]) == 1.6
    assert serving.ratio([one]) is None
    text = serving.table([one, two])
    assert text.splitlines()[2].startswith("| 1 | 40 | 0 | 2.0 | 20.0 |")
    assert text.splitlines()[3].startswith("| 2 | 40 | 0 | 1.25 | 32.0 |")
    assert "| 0 (0) |" in text.splitlines()[3]
    assert text.endswith("2 ÷ 1 workers: 1.6×")
