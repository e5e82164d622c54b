"""Majors catalogue: the shipped file loads with unique codes, and syncing seeds editable
mappings without overwriting the office's edits."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.chains.service import sync_chains
from silian.education import records
from silian.education.models import Major, MajorChain, MajorDiscipline
from silian.education.service import sync_disciplines
from silian.reference import data as reference
from tests.support import Factory


def test_catalogue_codes_are_unique_and_well_formed() -> None:
    rows = reference.majors_catalogue()
    assert len(rows) >= 100
    keys = [(r.level, r.code) for r in rows]
    assert len(keys) == len(set(keys))
    names = [(r.level, r.name) for r in rows]
    assert len(names) == len(set(names))
    for r in rows:
        if r.level == "undergraduate":
            # 本科: 6 digits, discipline category 07–13, optional T (特设) / K (国家控制布点).
            assert re.fullmatch(r"(0[7-9]|1[0-3])\d{4}(T|K|TK)?", r.code), r
        else:
            # 高职专科 (2021): 6 digits starting 41–59.
            assert r.level == "vocational" and re.fullmatch(r"(4[1-9]|5\d)\d{4}", r.code), r
    csl = {d.name for d in reference.csl_disciplines()}
    chains = {c.code for c in reference.load_chains()}
    assert all(d in csl for r in rows for d in r.disciplines)
    assert all(c in chains for r in rows for c in r.chains)
    by_code = {r.code: r.name for r in rows}
    assert by_code["080202"] == "机械设计制造及其自动化"
    assert by_code["080717T"] == "人工智能"
    assert by_code["460306"] == "电气自动化技术"


def test_sync_seeds_mappings_and_keeps_edits(db: Session, factory: Factory) -> None:
    sync_chains(db, None, reference.load_chains())
    sync_disciplines(db)
    added = records.sync_majors(db)
    db.commit()
    assert added == len(reference.majors_catalogue())
    major = db.scalars(select(Major).where(Major.code == "081901")).one()
    chains = db.scalars(select(MajorChain).where(MajorChain.major_id == major.id)).all()
    assert len(chains) == 1
    assert db.scalars(select(MajorDiscipline).where(MajorDiscipline.major_id == major.id)).all()
    office = factory.user("office")
    records.update_major_mapping(db, office, major.id, {"discipline_ids": [], "chain_weights": {}})
    assert records.sync_majors(db) == 0
    db.commit()
    assert not db.scalars(select(MajorChain).where(MajorChain.major_id == major.id)).all()
