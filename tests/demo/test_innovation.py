"""The demo city's consortia, projects and co-built institutes are believable and coherent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.consortia import figures, service
from silian.consortia.models import InnovationConsortium, RdInstitute
from silian.demo.loader import INSTITUTES, load_demo
from silian.platforms.models import Platform


def test_demo_consortia_and_institutes(db_url: str, db: Session) -> None:
    """Every consortium has members, a finished, a running and a planned project whose tasks
    are the members' and whose outputs are on the consortium's chain; every institute has
    partners, talents and achievements, and some are major; a platform serves two chains."""
    load_demo(db_url)
    consortia = list(db.scalars(select(InnovationConsortium)))
    assert len(consortia) == 6
    for c in consortia:
        units = {c.lead_organization_id} | {m.organization_id for m in c.memberships}
        assert len(c.memberships) >= 4, c.name
        assert sorted(p.status for p in c.projects) == ["done", "planned", "running"], c.name
        for p in c.projects:
            assert {t.organization_id for t in p.tasks} <= units, p.title
            assert sum(t.budget or 0 for t in p.tasks) <= p.budget, p.title
            assert all(o.achievement.chain_id == c.chain_id for o in p.outputs), p.title
            if p.status == "done":
                assert p.outputs and all(m.done_on for m in p.milestones), p.title
            if p.status == "planned":
                assert not p.outputs and p.started_on is None, p.title
    institutes = list(db.scalars(select(RdInstitute)))
    assert len(institutes) == len(INSTITUTES)
    majors = 0
    for i in institutes:
        summary = service.institute_summary(db, i)
        assert len(i.partners) >= 3 and i.talents and i.achievements, i.name
        majors += summary["major_achievements"]
    assert majors >= 3
    year = (date(2026, 1, 1), date(2026, 12, 31))
    assert figures.consortia(db, *year, None) == 6
    assert figures.projects_started(db, *year, None) >= 6
    assert figures.institutes(db, *year, None) == len(INSTITUTES)
    assert figures.talents_gathered(db, *year, None) >= len(INSTITUTES)
    assert figures.major_achievements(db, *year, None) == majors
    assert any(len(p.chains) >= 2 for p in db.scalars(select(Platform)))
