"""Benchmark scripts (not unit tests): quality against baselines, latency and memory at scale."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def shared_bench() -> Path:
    """``shared/data/bench`` beside the checkout (found upwards, so worktrees find it too)."""
    for parent in HERE.parents:
        if (parent / "shared" / "data" / "bench").is_dir():
            return parent / "shared" / "data" / "bench"
    return HERE.parents[1] / "shared" / "data" / "bench"
