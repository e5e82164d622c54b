"""Record columns: append, filters, delete, and state round trip."""

from __future__ import annotations

from silian.matching.documents import Document, Filters
from silian.matching.records import Records, region_code


def _records() -> Records:
    records = Records()
    rows = [
        {"id": "a", "kind": "achievement", "title": "甲", "region": "370211", "trl": 7},
        {"id": "b", "kind": "demand", "title": "乙", "status": "draft", "chains": ["C38"]},
        {"id": "c", "kind": "achievement", "title": "丙", "keywords": ["电池", "储能"]},
    ]
    for slot, row in enumerate(rows):
        records.append(Document.from_mapping(row), slot)
    return records


def test_filters_select_live_published_slots() -> None:
    records = _records()
    assert records.mask([], Filters()).tolist() == [True, False, True]
    assert records.mask(["demand"], Filters(statuses=["draft"])).tolist() == [False, True, False]
    assert records.mask([], Filters(region="3702")).tolist() == [True, False, False]
    assert records.mask([], Filters(min_trl=5, exclude=["c"])).tolist() == [True, False, False]
    assert records.kind_of(1) == "demand" and records.keywords[2] == "电池 ; 储能"


def test_remove_and_state_round_trip() -> None:
    records = _records()
    assert records.remove("b") == 1 and records.remove("b") is None
    assert records.doc_ids[1] is None and 1 not in records.chains
    meta, arrays = records.state()
    copy = Records()
    copy.restore(meta, arrays)
    assert copy.slot_of == {"a": 0, "c": 2} and copy.titles[2] == "丙"
    assert copy.col_live.view().tolist() == [True, False, True]
    assert region_code("370211") == 370211000000 and region_code("") == 0
