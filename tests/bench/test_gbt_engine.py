"""bench.gbt's engine path: chain figures never read the judged set's held-out split."""

from __future__ import annotations

from typing import Any

import pytest

from bench.gbt.engine import chain_figures, none_masses_default, temperatures_default
from silian.matching.classify import NONE_MASS, TOKEN_TEMPERATURE


def test_chain_figures_refuse_the_held_out_split() -> None:
    tagger: Any = None  # never reached
    with pytest.raises(ValueError, match="never heldout"):
        chain_figures(tagger, "heldout")


def test_the_sweep_grid_holds_the_shipped_settings() -> None:
    assert TOKEN_TEMPERATURE in temperatures_default()
    assert NONE_MASS in none_masses_default() and None in none_masses_default()
