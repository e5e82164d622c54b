"""The workers benchmark's memory summary (spawned vs forked) and its options."""

from __future__ import annotations

import pytest

from bench import workers


def _m(rss: float, pss: float, private: float) -> dict[str, float]:
    return {"rss_mb": rss, "pss_mb": pss, "private_mb": private}


def test_forked_totals_count_the_parent_and_spawned_do_not() -> None:
    alone = _m(560, 520, 480)
    spawned = workers.summarise_memory("spawned", alone, [_m(560, 360, 300)] * 4)
    assert spawned["total_pss_mb"] == 1440 and spawned["ratio"] == 2.57
    assert spawned["parent"] is None
    forked = workers.summarise_memory("forked", alone, [_m(560, 90, 40)] * 4, _m(500, 250, 10))
    assert forked["total_pss_mb"] == 610 and forked["ratio"] == 1.09
    line = workers.memory_line(100000, forked)
    assert line.startswith("| 100,000 | forked | 560 / 520 / 480 | 4 | 560 / 560 / 560 / 560 |")
    assert line.endswith("| 250 | 610 | 1.09× |")
    assert "| spawned |" in workers.memory_line(100000, spawned)


def test_memory_modes_are_checked() -> None:
    assert workers.parse_modes("spawned,forked") == ("spawned", "forked")
    assert workers.parse_modes("forked") == ("forked",)
    with pytest.raises(SystemExit):
        workers.parse_modes("threads")
