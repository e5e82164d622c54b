"""A small city around one industry chain, built per test for the chain/talent/education tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.core.db import utcnow
from silian.demands.models import Demand
from silian.education.models import Consortium, IndustryCollege, NamedClass, TrainingBase
from silian.organizations.models import Organization
from silian.platforms.models import Platform
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject
from tests.support import Factory


@dataclass
class World:
    """Records of one chain, named by what the tests look for."""

    chain: IndustryChain
    other_chain: IndustryChain
    leader: Organization
    enterprise: Organization
    university: Organization
    published: Achievement
    draft: Achievement
    demand: Demand
    draft_demand: Demand
    platform: Platform
    talent: Talent
    hidden_talent: Talent
    need: TalentNeed
    project: TalentProject
    named_class: NamedClass
    base: TrainingBase
    college: IndustryCollege
    consortium: Consortium


def build(db: Session, factory: Factory) -> World:
    """Commit a chain with a leader, units, listings, talents and education records."""
    chain = IndustryChain(
        code="marine-equipment",
        name="海洋装备产业链",
        description="船舶与海洋工程装备、海水淡化装备及关键配套。",
        gbt_codes=["3731", "3732"],
        disciplines=["船舶与海洋工程"],
        keywords=["船舶", "海工"],
        sort_order=1,
    )
    other = IndustryChain(code="ic", name="集成电路产业链", gbt_codes=["3973"], sort_order=2)
    db.add_all([chain, other])
    db.flush()
    leader = factory.org("enterprise", name="北海重工集团", is_chain_leader=True)
    enterprise = factory.org("enterprise", name="蓝港海工科技")
    university = factory.org("university", name="滨海海洋大学")
    for org in (leader, enterprise, university):
        org.chains.append(chain)
    published = Achievement(
        title="深海耐压壳体焊接工艺",
        summary="一种适用于深海装备耐压壳体的窄间隙焊接工艺。",
        organization_id=university.id,
        chain_id=chain.id,
        trl=6,
        status="published",
        published_at=utcnow(),
    )
    draft = Achievement(
        title="未公开的草稿成果",
        summary="草稿内容。",
        organization_id=university.id,
        chain_id=chain.id,
        status="draft",
    )
    demand = Demand(
        title="船用低噪声推进器需求",
        problem="需要降低船用推进器噪声十分贝以上的技术方案。",
        public_summary="船用推进器降噪",
        organization_id=leader.id,
        chain_id=chain.id,
        budget=Decimal("800000"),
        status="published",
        published_at=utcnow(),
    )
    draft_demand = Demand(
        title="尚未提交的需求草稿",
        problem="草稿需求的描述文字至少十个字。",
        organization_id=enterprise.id,
        chain_id=chain.id,
        status="draft",
    )
    platform = Platform(
        name="海工装备中试基地", kind="pilot", organization_id=leader.id, chain_id=chain.id
    )
    talent = Talent(
        name="李海洋",
        title="教授",
        organization_id=university.id,
        disciplines=["船舶与海洋工程"],
        keywords=["焊接", "耐压壳体"],
        expertise="深海装备结构设计与焊接",
        grade="B",
    )
    hidden = Talent(
        name="王隐名",
        title="高级工程师",
        organization_id=enterprise.id,
        disciplines=["船舶与海洋工程"],
        expertise="推进器降噪",
        consent_public=False,
    )
    db.add_all([published, draft, demand, draft_demand, platform, talent, hidden])
    db.flush()
    need = TalentNeed(
        organization_id=leader.id,
        position="海洋装备结构工程师",
        headcount=3,
        salary_min=Decimal("200000"),
        salary_max=Decimal("350000"),
        major="船舶与海洋工程",
        chain_id=chain.id,
        co_shared=True,
        requirements="硕士及以上，熟悉有限元分析。",
    )
    project = TalentProject(
        name="海工装备产才融合项目",
        organization_id=leader.id,
        chain_id=chain.id,
        rights=["self_recommend", "salary_grading"],
        subsidy_amount=Decimal("2000000"),
        talents_gathered=25,
        year=2024,
        status="approved",
    )
    named_class = NamedClass(
        name="北海重工冠名班",
        university_id=university.id,
        enterprise_id=leader.id,
        major_name="船舶与海洋工程",
        students=45,
        graduation_year=2026,
    )
    base = TrainingBase(
        name="海洋装备公共实训基地",
        organization_id=university.id,
        chain_id=chain.id,
        yearly_capacity=3000,
        trainees_this_year=1200,
        programmes=["焊接", "数控加工"],
    )
    college = IndustryCollege(
        name="海洋装备现代产业学院",
        university_id=university.id,
        chain_id=chain.id,
        partner_names=["北海重工集团"],
        majors=["船舶与海洋工程", "轮机工程"],
        students=600,
    )
    consortium = Consortium(
        name="海洋装备市域产教联合体",
        kind="city",
        chain_id=chain.id,
        lead_organization_id=university.id,
        description="由滨海海洋大学牵头的市域产教联合体。",
    )
    consortium.members.extend([leader, enterprise])
    rule = SalaryGradeRule(chain_id=chain.id, grade="C", min_annual_salary=Decimal("500000"))
    db.add_all([need, project, named_class, base, college, consortium, rule])
    db.commit()
    return World(
        chain=chain,
        other_chain=other,
        leader=leader,
        enterprise=enterprise,
        university=university,
        published=published,
        draft=draft,
        demand=demand,
        draft_demand=draft_demand,
        platform=platform,
        talent=talent,
        hidden_talent=hidden,
        need=need,
        project=project,
        named_class=named_class,
        base=base,
        college=college,
        consortium=consortium,
    )
