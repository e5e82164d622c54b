"""Records as the engine indexes them: talents and named classes carry their pages' chains."""

from __future__ import annotations

from sqlalchemy.orm import Session

from silian.chains.models import IndustryChain
from silian.matching import sources
from tests.support import Factory


def test_talents_and_named_classes_carry_the_chains_their_pages_show(
    db: Session, factory: Factory
) -> None:
    marine = IndustryChain(code="marine", name="海洋装备", disciplines=["船舶与海洋工程"])
    water = IndustryChain(code="water", name="海水淡化", disciplines=["环境科学与工程"])
    db.add_all([marine, water])
    db.commit()
    org = factory.org("enterprise")
    org.chains.append(water)
    db.commit()
    # The chain map lists a talent under its unit's chains and under every chain sharing one
    # of its disciplines (talent.service.chain_talent_ids); a named class under its
    # enterprise's chains and its investment project's (education.class_in_chain).
    talent = factory.talent(disciplines=["船舶与海洋工程"], consent_public=True)
    talent.organization_id = org.id
    db.commit()
    loner = factory.talent(disciplines=["数学"], consent_public=True)
    project = factory.investment_project(chain_id=marine.id)
    named = factory.named_class(enterprise=org, investment_project_id=project.id)
    both = ["海水淡化", "海洋装备"]

    assert sources.load_record(db, "talent", talent.id).chains == both  # type: ignore[union-attr]
    assert sources.load_record(db, "talent", loner.id).chains == []  # type: ignore[union-attr]
    assert sources.load_record(db, "named_class", named.id).chains == both  # type: ignore[union-attr]
    batched = sources.load_records(db, [("talent", talent.id), ("named_class", named.id)])
    assert batched["talent", talent.id].chains == both
    assert batched["named_class", named.id].chains == both
    every = {r.doc_id: r for r in sources.iter_records(db)}
    assert every[f"talent:{talent.id}"].chains == both
    assert every[f"named_class:{named.id}"].chains == both
