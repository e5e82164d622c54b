"""GB/T 4754 tagger figures on a hand-computed example: top-1, top-2, 门类, coverage, none."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.gbt.scoring import LabelError, confusions, load_labels, score

SECTIONS = {"01": "A", "02": "A", "13": "C", "14": "C", "39": "C", "84": "Q"}
LABELS = {
    "a": ["01"],  # tagged 01, 13: top-1 right
    "b": ["13", "14"],  # tagged 14: top-1 wrong, top-2 hit (14), same section C
    "c": ["84"],  # tagged 39, 01: wrong, no hit, other section
    "d": ["02"],  # untagged: wrong on everything
    "e": [],  # none, untagged: correct abstention
    "f": [],  # none, tagged 39
}
PREDICTED = {"a": ["01", "13"], "b": ["14"], "c": ["39", "01"], "d": [], "e": [], "f": ["39"]}


def test_figures_by_hand() -> None:
    fig = score(LABELS, PREDICTED, SECTIONS)
    assert fig.records == 6
    assert fig.labelled == 4
    assert fig.top1 == pytest.approx(1 / 4)  # a
    assert fig.top2 == pytest.approx(2 / 4)  # a, b
    assert fig.section == pytest.approx(2 / 4)  # a (A=A), b (C=C)
    assert fig.coverage == pytest.approx(4 / 6)  # a, b, c, f tagged
    assert fig.none_precision == pytest.approx(1 / 2)  # untagged d, e: only e is none
    assert fig.none_recall == pytest.approx(1 / 2)  # none e, f: only e untagged


def test_subset_and_missing_predictions() -> None:
    fig = score(LABELS, {"a": ["01"]}, SECTIONS, ids=["a", "d"])
    assert (fig.records, fig.labelled, fig.top1, fig.coverage) == (2, 2, 0.5, 0.5)
    assert fig.none_precision == 0.0  # d untagged but labelled 02
    assert fig.none_recall is None  # no none record in the subset


def test_confusions_count_top1_errors_with_none() -> None:
    pairs = confusions(LABELS, PREDICTED)
    assert pairs == {("13", "14"): 1, ("84", "39"): 1, ("02", "none"): 1, ("none", "39"): 1}


def test_bad_label_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "labels.tsv"
    path.write_text("id\tcodes\tnote\ng1\t01\tok\ng2\t99x\tbad\n", encoding="utf-8")
    with pytest.raises(LabelError, match="第 3 行"):
        load_labels(path, SECTIONS)
    path.write_text("id\tcodes\tnote\ng1\tnone\t\ng2\t01,84\t\n", encoding="utf-8")
    assert load_labels(path, SECTIONS) == {"g1": [], "g2": ["01", "84"]}
