"""Record columns: append, filters, delete, and state round trip."""

from __future__ import annotations

import numpy as np

from silian.matching.documents import Document, Filters, as_documents
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


def test_extend_equals_appending_one_by_one() -> None:
    # A build adds a chunk at a time; the columns, codes and capacities must be the same.
    docs = as_documents(
        [
            {"id": "a", "kind": "achievement", "title": "高镍正极", "keywords": ["锂电", "正极"]},
            {"id": "b", "kind": "demand", "title": "", "price": 12.5, "trl": 6, "region": "320500"},
            {
                "id": "c",
                "kind": "expert",
                "status": "draft",
                "chains": ["新能源"],
                "updated_at": 1.7e9,
            },
            {"id": "a", "kind": "achievement", "title": "重复", "price": 16777217},
        ]
        + [{"id": f"n{i}", "kind": "paper", "title": f"第{i}篇"} for i in range(100)]
    )
    one, many = Records(), Records()
    for slot, doc in enumerate(docs):
        one.append(doc, slot)
    many.extend(docs[:3], 0)
    many.extend(docs[3:], 3)
    assert (one.doc_ids, one.slot_of, one.chains) == (many.doc_ids, many.slot_of, many.chains)
    assert (one.kinds, one.statuses) == (many.kinds, many.statuses)
    for name in ("col_kind", "col_status", "col_trl", "col_price", "col_region", "col_updated"):
        a, b = getattr(one, name), getattr(many, name)
        assert a.data.dtype == b.data.dtype and a.data.shape == b.data.shape
        assert np.array_equal(a.data, b.data, equal_nan=True) and a.n == b.n
    assert np.array_equal(one.col_live.data, many.col_live.data)
    for texts in ("titles", "keywords"):
        a, b = getattr(one, texts), getattr(many, texts)
        assert a.buffer == b.buffer and np.array_equal(a.offsets.view(), b.offsets.view())
