"""Demo innovation consortia with their common-technology projects, and co-built new-type R&D
institutes with partners, talents and achievements, consistent with the demo city's chains."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Broker, Contract, Deal, DealStep
from silian.chains.models import IndustryChain
from silian.consortia.models import (
    CommonTechProject,
    ConsortiumMember,
    InnovationConsortium,
    InstituteAchievement,
    InstitutePartner,
    InstituteTalent,
    ProjectAchievement,
    ProjectMilestone,
    ProjectTask,
    RdInstitute,
)
from silian.demo import names
from silian.organizations.models import Organization
from silian.talent.models import Talent


class Report(Protocol):
    """What the loader's report offers: counting what was added."""

    def count(self, key: str, n: int = 1) -> None:
        """Add n to the count of key."""


class City(Protocol):
    """The loader's shared state that these steps read."""

    @property
    def session(self) -> Session:
        """The loading session."""

    @property
    def report(self) -> Report:
        """What this load added."""

    @property
    def chains(self) -> dict[str, IndustryChain]:
        """Chains by code."""

    @property
    def chain_companies(self) -> dict[str, list[Organization]]:
        """Each chain's five demo companies, the chain leader first."""

    @property
    def orgs(self) -> dict[str, Organization]:
        """Units by loader key or name."""


# name, chain, member units other than the chain's companies (name, role), goal.
CONSORTIA: list[tuple[str, str, list[tuple[str, str]], str]] = [
    (
        "海洋装备创新联合体（示例）",
        "marine_equipment",
        [
            ("中国海洋大学", "research"),
            ("青岛科技大学", "research"),
            ("青岛示例海洋装备创新研究院", "core"),
        ],
        "突破深远海装备耐压结构、水下通信与智能运维等共性技术，形成可复制的工程化方案。",
    ),
    (
        "集成电路创新联合体（示例）",
        "integrated_circuits",
        [("青岛大学", "research"), ("山东科技大学", "research")],
        "围绕特色工艺芯片设计、封装测试与可靠性评价开展联合攻关，提升本地配套率。",
    ),
    (
        "智能家电创新联合体（示例）",
        "smart_home_appliances",
        [("青岛理工大学", "research"), ("青岛示例智能制造技术研究院", "core")],
        "攻关变频控制、低噪声与智能互联等家电共性技术，支撑链主企业产品迭代。",
    ),
    (
        "新材料创新联合体（示例）",
        "new_materials",
        [("青岛科技大学", "research"), ("青岛示例新材料产业技术研究院", "core")],
        "面向高性能橡胶、复合材料与功能涂层开展中试放大和工艺定型。",
    ),
    (
        "海洋生物医药创新联合体（示例）",
        "marine_biomedicine",
        [
            ("中国海洋大学", "core"),
            ("青岛大学", "research"),
            ("青岛示例生物医药协同创新中心", "research"),
        ],
        "推进海洋活性物质筛选、制剂工艺与临床前评价平台的共建共享。",
    ),
    (
        "新能源创新联合体（示例）",
        "new_energy",
        [("中国石油大学（华东）", "core"), ("青岛示例新能源技术研究院", "research")],
        "聚焦储能材料、氢能装备与海上风电运维的关键共性技术。",
    ),
]
# A project's place in its lifecycle, by its position in the consortium (0: oldest).
PROJECT_PLAN = [
    # status, days before TODAY it started (None: not yet), months it runs, budget (万元)
    ("done", 560, 15, 1200),
    ("running", 200, 18, 800),
    ("planned", None, 24, 500),
]
TASK_TEXT = {
    "lead": "总体方案、系统集成与工程化验证",
    "core": "关键工艺中试验证与工艺定型",
    "research": "机理研究与关键材料、算法攻关",
    "application": "应用场景验证与示范推广",
    "support": "检验检测与标准制定",
}
PART_ORDER = ["core", "research", "application", "support"]
MILESTONES = ["方案评审", "关键技术突破", "样机（样品）验证", "项目验收准备"]


def _month_later(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, min(day.day, 28))


def _by_name(session: Session, model: Any, name: str) -> Any:
    return session.scalar(select(model).where(model.name == name))


def consortia(city: City, today: date) -> None:
    """Six consortia on the chains with the city's strongest research partners, each with a
    finished, a running and a planned project: tasks per member, milestones, linked outputs."""
    session = city.session
    for name, code, partners, goal in CONSORTIA:
        if _by_name(session, InnovationConsortium, name) is not None:
            continue
        chain = city.chains[code]
        companies = city.chain_companies[code]
        rng = names.rng_for("consortium", name)
        consortium = InnovationConsortium(
            name=name,
            lead_organization_id=companies[0].id,
            chain_id=chain.id,
            goal=goal,
            founded_on=date(2023 + rng.randint(0, 1), rng.randint(1, 12), rng.randint(1, 28)),
            is_sample=True,
        )
        members = [(companies[1], "application"), (companies[2], "application")]
        members += [(city.orgs[n], role) for n, role in partners if n in city.orgs]
        # The research unit that has published most on the chain joins, so outputs are real.
        top = session.execute(
            select(Achievement.organization_id, func.count())
            .join(Organization, Organization.id == Achievement.organization_id)
            .where(
                Achievement.chain_id == chain.id,
                Achievement.status == "published",
                Organization.kind.in_(("university", "institute")),
            )
            .group_by(Achievement.organization_id)
            .order_by(func.count().desc(), Achievement.organization_id)
        ).first()
        if top is not None and top[0] not in {o.id for o, _ in members}:
            members.append((session.get_one(Organization, top[0]), "research"))
        consortium.memberships = [
            ConsortiumMember(organization_id=org.id, part=role) for org, role in members
        ]
        session.add(consortium)
        session.flush()
        city.report.count("innovation_consortia")
        owners = [companies[0].id] + [org.id for org, _ in members]
        outputs = list(
            session.scalars(
                select(Achievement)
                .where(
                    Achievement.organization_id.in_(owners),
                    Achievement.chain_id == chain.id,
                    Achievement.status == "published",
                )
                .order_by(Achievement.id)
                .limit(6)
            )
        )
        for index, (status, started_ago, months, budget) in enumerate(PROJECT_PLAN):
            keyword = chain.keywords[index % len(chain.keywords)]
            started = today - timedelta(days=started_ago) if started_ago is not None else None
            begin = started or today + timedelta(days=30)
            project = CommonTechProject(
                consortium_id=consortium.id,
                title=f"{keyword}关键共性技术攻关",
                budget=Decimal(budget * 10_000),
                description=f"面向{chain.name}产业链，围绕{keyword}开展联合攻关（示例）。",
                status=status,
                started_on=started,
                due_on=_month_later(begin, months),
                accepted_on=today - timedelta(days=40) if status == "done" else None,
            )
            # The lead and four members, the core and research units first.
            ranked = sorted(members, key=lambda m: PART_ORDER.index(m[1]))
            units = [(companies[0], "lead"), *ranked[:4]]
            share = Decimal(budget * 10_000 // len(units))
            project.tasks = [
                ProjectTask(organization_id=org.id, task=TASK_TEXT[role], budget=share)
                for org, role in units
            ]
            for k, label in enumerate(MILESTONES):
                due = _month_later(begin, (k + 1) * months // len(MILESTONES))
                done = status == "done" or (status == "running" and due < today)
                project.milestones.append(
                    ProjectMilestone(
                        name=label,
                        due_on=due,
                        done_on=due - timedelta(days=rng.randint(0, 20)) if done else None,
                    )
                )
            session.add(project)
            session.flush()
            city.report.count("common_tech_projects")
            produced = outputs[:3] if status == "done" else outputs[3:5]
            if status == "planned":
                produced = []
            for achievement in produced:
                session.add(
                    ProjectAchievement(
                        project_id=project.id,
                        achievement_id=achievement.id,
                        produced_on=min(today, begin + timedelta(days=rng.randint(60, 300))),
                    )
                )
    session.flush()


def _major_contract(
    session: Session, achievement: Achievement, buyer: Organization, signed: date
) -> None:
    """A 作价投资 deal and its registered contract of 18,000,000 yuan for a major achievement."""
    rng = names.rng_for("major", achievement.source_ref or achievement.title)
    # A deal on the broker channel names its broker: one of the tech market's sample brokers
    # (not the demo broker account, whose queue holds the sample deals of the brokerage stage;
    # by now every sample broker has an account of its own from the broker trainings).
    demo_account = select(User.id).where(User.username == "broker").scalar_subquery()
    broker = session.scalar(
        select(Broker)
        .where(
            Broker.is_sample.is_(True),
            or_(Broker.user_id.is_(None), Broker.user_id != demo_account),
        )
        .order_by(Broker.id)
        .limit(1)
    )
    deal = Deal(
        title=f"{buyer.name} × {achievement.organization.name}：{achievement.title[:30]}",
        achievement_id=achievement.id,
        seller_id=achievement.organization_id,
        buyer_id=buyer.id,
        stage="signed",
        channel="broker" if broker is not None else "achievements_platform",
        broker_id=broker.id if broker is not None else None,
        trade_mode="equity",
        expected_amount=Decimal(18_000_000),
        signed_on=signed,
        notes="新型研发机构成果作价投资，组建产业化公司（示例）。",
        is_sample=True,
    )
    session.add(deal)
    session.flush()
    # The broker's record of the signing, so the deal's timeline is not empty.
    session.add(
        DealStep(
            deal_id=deal.id,
            stage="signed",
            note="签订技术作价投资合同，成果作价 1,800 万元入股产业化公司（示例）。",
            happened_on=signed,
            actor_id=broker.user_id if broker is not None else None,
        )
    )
    deal.last_activity_on = signed
    session.add(
        Contract(
            deal_id=deal.id,
            title=f"技术作价投资合同：{achievement.title[:40]}",
            amount=Decimal(18_000_000),
            signed_on=signed,
            registration_no=f"{signed.year}370200{rng.randrange(10**6):06d}",
            seller_id=achievement.organization_id,
            buyer_id=buyer.id,
            trade_mode="equity",
            is_sample=True,
        )
    )


def institutes(
    city: City, today: date, specs: list[tuple[str, str, list[str]]], science_office: str
) -> None:
    """The co-built institutes of the demo city (one per institute unit in specs): partners
    with what each brings, talents gathered from the institute and its partner universities,
    its achievements, and major ones — one through a contract recorded on the platform, others
    entered with evidence."""
    session = city.session
    office = city.orgs[science_office]
    for index, (name, code, partner_names) in enumerate(specs):
        if _by_name(session, RdInstitute, name) is not None:
            continue
        unit = city.orgs[name]
        chain = city.chains[code]
        leader = city.chain_companies[code][0]
        rng = names.rng_for("institute", name)
        founded = date(2018 + index % 6, rng.randint(1, 12), rng.randint(1, 28))
        institute = RdInstitute(
            name=name,
            organization_id=unit.id,
            chain_id=chain.id,
            founded_on=founded,
            description=unit.description,
            is_sample=True,
        )
        partners = [
            InstitutePartner(
                organization_id=office.id,
                kind="funding",
                contribution="市级新型研发机构建设资金，分期拨付",
                amount=Decimal(rng.randint(20, 50) * 1_000_000),
            ),
            InstitutePartner(
                organization_id=leader.id,
                kind="funding",
                contribution="产业化资金与应用场景，共建联合实验室",
                amount=Decimal(rng.randint(10, 30) * 1_000_000),
            ),
        ]
        for k, partner in enumerate(partner_names):
            partners.append(
                InstitutePartner(
                    organization_id=city.orgs[partner].id,
                    kind="talent" if k == 0 else "equipment",
                    contribution=(
                        f"派驻科研团队 {rng.randint(15, 60)} 人，共享重点实验室"
                        if k == 0
                        else "开放大型仪器设备与中试场地"
                    ),
                )
            )
        institute.partners = partners
        session.add(institute)
        session.flush()
        city.report.count("rd_institutes")
        universities = [city.orgs[p].id for p in partner_names]
        own = list(
            session.scalars(
                select(Talent).where(Talent.organization_id == unit.id).order_by(Talent.id)
            )
        )
        seconded = [
            t
            for t in session.scalars(
                select(Talent)
                .where(Talent.organization_id.in_(universities), Talent.grade.is_not(None))
                .order_by(Talent.id)
            )
            if set(t.disciplines) & set(chain.disciplines)
        ]
        for talent in (own + seconded)[:10]:
            institute.talents.append(
                InstituteTalent(
                    talent_id=talent.id,
                    joined_on=min(today, founded + timedelta(days=rng.randint(30, 900))),
                )
            )
        achievements = list(
            session.scalars(
                select(Achievement)
                .where(Achievement.organization_id == unit.id, Achievement.status == "published")
                .order_by(Achievement.id)
                .limit(8)
            )
        )
        for k, achievement in enumerate(achievements):
            link = InstituteAchievement(
                achievement_id=achievement.id,
                linked_on=min(today, founded + timedelta(days=rng.randint(200, 1200))),
            )
            if k == 0 and index == 0:
                _major_contract(session, achievement, leader, today - timedelta(days=90))
            elif k == 0 and index % 3 == 1:
                link.evidence_amount = Decimal(rng.randint(10, 30) * 1_000_000)
                link.evidence = (
                    f"技术合同认定登记号 {founded.year + 2}370200{rng.randrange(10**6):06d}，"
                    "合同在平台上线前签订，原件由市科学技术局备案"
                )
            elif k == 1:
                link.evidence_amount = Decimal(rng.randint(50, 500) * 10_000)
                link.evidence = "技术开发合同（平台外签订），合同扫描件已上传备案"
            institute.achievements.append(link)
        session.flush()
