"""`silian demo load`: a believable, deterministic demo city built on real public records.

Real: the Qingdao institutions of the MoE university list, the CSL research records (titles,
abstracts, keywords, disciplines), FewCLUE CSLDCP abstracts, the demand texts, GB/T 4754 codes and
region codes. Fictional and flagged ``is_sample``: companies, people, prices, platforms, events and
every figure attached.

The city is coherent by these rules (each has a table or function below, and
``tests/demo/test_coherence.py`` checks the loaded city against them):

1. **Which papers are achievements.** Papers of disciplines that no technology market lists
   (``NON_MARKET_DISCIPLINES``: every CSL discipline of 管理学, 经济学, 法学 (政治学, 民族学, 法学,
   社会学), 教育学 (教育学, 体育学, 心理学), 文学 (中国语言文学, 新闻传播学), 艺术学, 历史学, 哲学
   and 军事学, plus 天文学) are not loaded. Of the FewCLUE abstracts only those that fit a chain
   are loaded, at most ``CSLDCP_PER_CHAIN`` per chain in file order.
2. **Who owns a paper.** Each institution has a discipline profile (``institution_disciplines``):
   the named Qingdao universities from ``INSTITUTION_FIELDS`` (their real strengths), other
   institutions from the type word in their MoE name (``INSTITUTION_PATTERNS``: 农业 → agronomy
   and veterinary, 医科 → medicine, 海洋 → oceanography and marine engineering, 科技/理工/工学院
   → applied engineering; 电影/艺术/传媒, 师范, 财经, 外贸, 酒店 and vocational (专科) colleges
   own none), the fictional R&D institutes from the disciplines of their chains, hospitals from
   ``HOSPITAL_FIELDS``. A paper goes to one institution whose profile holds its discipline,
   drawn with the institution's weight (public universities 4, institutes and hospitals 2,
   private colleges 1) by a generator seeded with the paper's id; a discipline nobody holds is
   not loaded.
3. **Which chain.** ``chain_fit``: among the chains whose ``disciplines`` list the paper's
   discipline, each scores 2 per chain term (its name or one of its ``keywords``) found in the
   title or keywords and 1 per term found only in the abstract; the best score of at least 2
   wins (catalogue order breaks ties). With no such evidence the paper goes to a chain only when
   its discipline is listed by that chain alone; otherwise to none.
4. **Application field** (``application_field``): up to three of the paper's own keywords, those
   naming a chain term first; a paper without keywords shows the chain terms its text contains.
   Never drawn at random.
5. **Demands.** A demand's chain follows rule 3 on its own text, with the discipline of the
   paper it was written from (demands whose paper is of a non-market discipline are not loaded).
   Enterprise demands are posted by a sample company of that chain: the one whose business word
   the text names, else the chain leader (about 40 %) or another of its companies; a demand
   without a chain is posted by a company of its field group (``FIELD_GROUP_COMPANIES``, on no
   chain). Hospitals and farms are chosen by what the text is about (``HOSPITAL_TERMS``,
   ``FARM_TERMS``: a 口腔科 demand never comes from the maternity hospital), and their demand
   keeps its chain only when the publisher is on that chain. School demands come from a
   vocational college; government lists from the science office.
6. **Companies** are named after their chain (``names.CHAIN_COMPANY_STEMS``) and linked only to it.
7. **Talents.** Each published expert groups up to five achievements of one institution and one
   field group (``FIELD_GROUPS``, every market discipline in exactly one group; at most four
   experts per institution and group), so a profile
   never mixes, say, 历史学 with 光学工程. A title sets an annual salary band (``TITLE_SALARY``)
   and the grade is what the 按薪定才 rules loaded here give for a salary drawn in that band on
   the expert's chain: a 讲师 is at most D类, a 副教授 at most C类, a 教授 at least C类.

Deterministic: every draw uses a generator seeded from the record's natural key, so the same data
gives the same city. Loading twice adds nothing: each record has a natural key (name or
``source_ref``) and rows that exist are left as they are, so edits made in the running demo
survive a reload.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from silian.accounts import service as accounts
from silian.accounts.models import User
from silian.accounts.security import hash_password
from silian.achievements.models import Achievement
from silian.brokerage.choices import DEAL_CHANNELS
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    ContractMilestone,
    Deal,
    DealStep,
    Match,
    TrainingEnrollment,
)
from silian.chains import service as chains_service
from silian.chains.models import IndustryChain
from silian.challenges.models import BidScore, Challenge, Reviewer
from silian.config import Settings
from silian.consortia.models import CommonTechProject, InnovationConsortium, RdInstitute
from silian.coordination.models import InvestmentProject
from silian.core import audit
from silian.core.audit import AuditLog
from silian.core.db import session_scope
from silian.demands.models import Bid, Demand
from silian.demo import innovation, names
from silian.education import records as education_records
from silian.education import service as education_service
from silian.education.models import (
    Consortium,
    IndustryCollege,
    Major,
    MajorOffering,
    NamedClass,
    TrainingBase,
    consortium_members,
)
from silian.events import service as events_service
from silian.events.models import (
    Event,
    EventEntry,
    EventJudge,
    EventLead,
    EventRegistration,
    ExpertScore,
)
from silian.hiring import service as hiring_service
from silian.hiring.models import Application, Dispatch, Hire, HireAchievement, Recommendation
from silian.meetings.models import AgendaItem, Decision, FollowUpTask, JointMeeting, ProgressNote
from silian.notifications import service as notifications
from silian.organizations.models import Organization
from silian.platforms.models import Platform, PlatformService, ServiceBooking
from silian.reference import data as reference
from silian.subsidies import service as subsidies_service
from silian.subsidies.models import Policy, SubsidyApplication
from silian.talent import service as talent_service
from silian.talent.models import SalaryGradeRule, Talent, TalentNeed, TalentProject
from silian.training.models import Enrolment, TrainingProgramme

DEMO_PASSWORD = "silian-demo"
QINGDAO = "3702"
TODAY = date(2026, 11, 24)
Progress = Callable[[str, float | None], None]
T = TypeVar("T")


DEMO_USERS = [
    # username, role, organisation key, display name
    ("office", "office", "office:science", "市科技局 审核员"),
    ("university", "university", "中国海洋大学", "中国海洋大学 成果转化中心"),
    # A second bidder's account, so a challenge can be walked with two teams.
    ("university2", "university", "中国石油大学（华东）", "中国石油大学（华东） 科技成果转化中心"),
    ("enterprise", "enterprise", "leader:new_materials", "企业用户"),
    ("enterprise2", "enterprise", "leader:marine_equipment", "企业用户二"),
    ("broker", "broker", "platform:tech_market", "技术经纪人"),
    ("expert", "expert", "青岛科技大学", "专家用户"),
    # A reviewer from the first university: never scores its own unit's bid (conflict rule).
    ("expert2", "expert", "中国海洋大学", "专家用户二"),
    ("platform", "platform", "platform:pilot_base", "中试平台运营"),
    ("training", "platform", "platform:training", "实训基地运营"),
]

OFFICES = {
    "office:talent": ("市委人才工作领导小组办公室", "统筹人才链，组织会商会议与产才融合项目认定。"),
    "office:science": ("市科学技术局", "负责科技成果转化、技术市场与揭榜挂帅榜单审核。"),
    "office:education": ("市教育局", "负责产教融合、冠名班与市域产教联合体建设。"),
}
PLATFORM_ORGS = {
    "platform:tech_market": (
        "青岛示例海洋技术交易市场服务中心",
        "线上线下技术交易与技术经纪服务。",
    ),
    "platform:pilot_base": ("青岛示例中试基地运营有限公司", "运营多个共享中试平台与概念验证中心。"),
    "platform:training": ("青岛示例公共实训基地管理中心", "运营公共实训基地，开展订单式技能培训。"),
}
# --- coherence rules (see the module docstring) -----------------------------------------------

NON_MARKET_DISCIPLINES: frozenset[str] = frozenset(
    {
        # 管理学 and 经济学: management and economic theory
        "公共管理",
        "农林经济管理",
        "图书馆、情报与档案管理",
        "工商管理",
        "应用经济学",
        "理论经济学",
        # 法学 category
        "政治学",
        "民族学",
        "法学",
        "社会学",
        # 教育学 category
        "教育学",
        "体育学",
        "心理学",
        # 文学, 艺术学, 历史学, 哲学, 军事学
        "中国语言文学",
        "新闻传播学",
        "艺术学",
        "历史学",
        "哲学",
        "军事学",
        # basic science that no technology market lists and no local institution covers
        "天文学",
    }
)

# Field groups: every market discipline in exactly one; an expert's profile stays in one group.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "marine": ("海洋科学", "水产", "船舶与海洋工程", "大气科学"),
    "agriculture": (
        "作物学",
        "园艺学",
        "植物保护",
        "农业资源利用",
        "畜牧学/兽医学",
        "林学/林业工程",
        "农业工程",
    ),
    "medicine": (
        "基础医学/临床医学",
        "中医学/中药学",
        "口腔医学",
        "公共卫生与预防医学",
        "药学",
    ),
    "bio_food": ("生物学/生物科学与工程", "食品科学与工程"),
    "chemistry_materials": (
        "化学/化学工程与技术",
        "材料科学与工程",
        "冶金工程",
        "纺织科学与工程",
    ),
    "mechanical": (
        "机械工程",
        "力学",
        "动力工程及工程热物理",
        "航空宇航科学与技术",
        "兵器科学与技术",
    ),
    "electronics_information": (
        "电子科学与技术",
        "信息与通信工程",
        "计算机科学与技术",
        "控制科学与工程",
        "光学工程",
        "电气工程",
        "数学",
        "物理学",
    ),
    "civil_environment": (
        "土木工程",
        "交通运输工程",
        "建筑学",
        "环境科学与工程",
        "水利工程",
        "测绘科学与技术",
        "地理学",
    ),
    "earth_energy": (
        "地质学/地质资源与地质工程",
        "地球物理学",
        "石油与天然气工程",
        "矿业工程",
        "核科学与技术",
    ),
}
GROUP_OF: dict[str, str] = {d: g for g, ds in FIELD_GROUPS.items() for d in ds}

# The named Qingdao universities' strengths (public knowledge of their schools), strongest first.
INSTITUTION_FIELDS: dict[str, tuple[str, ...]] = {
    "中国海洋大学": (
        "海洋科学",
        "水产",
        "大气科学",
        "船舶与海洋工程",
        "药学",
        "食品科学与工程",
        "生物学/生物科学与工程",
        "环境科学与工程",
        "地质学/地质资源与地质工程",
        "地球物理学",
        "信息与通信工程",
    ),
    "中国石油大学（华东）": (
        "石油与天然气工程",
        "地质学/地质资源与地质工程",
        "地球物理学",
        "化学/化学工程与技术",
        "机械工程",
        "材料科学与工程",
        "控制科学与工程",
        "动力工程及工程热物理",
        "计算机科学与技术",
        "力学",
    ),
    "山东科技大学": (
        "矿业工程",
        "测绘科学与技术",
        "地质学/地质资源与地质工程",
        "控制科学与工程",
        "电气工程",
        "机械工程",
        "计算机科学与技术",
        "信息与通信工程",
        "电子科学与技术",
        "光学工程",
        "土木工程",
        "交通运输工程",
        "地理学",
        "数学",
        "力学",
    ),
    "青岛科技大学": (
        "化学/化学工程与技术",
        "材料科学与工程",
        "机械工程",
        "控制科学与工程",
        "环境科学与工程",
        "动力工程及工程热物理",
        "计算机科学与技术",
        "信息与通信工程",
    ),
    "青岛理工大学": (
        "土木工程",
        "建筑学",
        "环境科学与工程",
        "水利工程",
        "机械工程",
        "力学",
        "交通运输工程",
        "动力工程及工程热物理",
        "测绘科学与技术",
    ),
    "青岛农业大学": (
        "作物学",
        "园艺学",
        "植物保护",
        "农业资源利用",
        "畜牧学/兽医学",
        "农业工程",
        "林学/林业工程",
        "食品科学与工程",
        "生物学/生物科学与工程",
        "水产",
    ),
    "青岛大学": (
        "基础医学/临床医学",
        "中医学/中药学",
        "口腔医学",
        "公共卫生与预防医学",
        "药学",
        "纺织科学与工程",
        "材料科学与工程",
        "电气工程",
        "电子科学与技术",
        "计算机科学与技术",
        "信息与通信工程",
        "物理学",
        "光学工程",
        "数学",
    ),
}
# Other institutions by the type word in their name; the first pattern found decides.
APPLIED_ENGINEERING = (
    "机械工程",
    "计算机科学与技术",
    "电气工程",
    "控制科学与工程",
    "土木工程",
)
INSTITUTION_PATTERNS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("电影", "艺术", "传媒", "媒体", "美术", "音乐", "戏剧", "体育"), ()),
    (("师范", "外国语", "财经", "政法", "外贸", "酒店", "管理"), ()),
    (("农业", "农林"), FIELD_GROUPS["agriculture"] + ("食品科学与工程",)),
    (("医科", "医学院", "中医药", "医药"), FIELD_GROUPS["medicine"]),
    (("海洋", "海事"), FIELD_GROUPS["marine"]),
    (("石油", "石化"), FIELD_GROUPS["earth_energy"] + ("化学/化学工程与技术",)),
    (("科技", "理工", "工学院", "工业", "工程"), APPLIED_ENGINEERING),
)
INSTITUTION_WEIGHT = {"public": 4, "institute": 2, "private": 1}

INSTITUTES = [
    # name, chain, partner universities; a fictional institute's profile is its chain's disciplines
    ("青岛示例海洋装备创新研究院", "marine_equipment", ["中国海洋大学", "青岛科技大学"]),
    ("青岛示例智能制造技术研究院", "smart_manufacturing", ["山东科技大学", "青岛理工大学"]),
    ("青岛示例生物医药协同创新中心", "medicine_devices", ["青岛大学", "中国海洋大学"]),
    ("青岛示例新材料产业技术研究院", "new_materials", ["青岛科技大学"]),
    ("青岛示例现代农业产业研究院", "modern_agriculture", ["青岛农业大学"]),
    ("青岛示例能源装备研究院", "marine_resources", ["中国石油大学（华东）"]),
    ("青岛示例空天技术研究院", "aerospace", ["山东科技大学", "中国海洋大学"]),
    ("青岛示例新能源技术研究院", "new_energy", ["中国石油大学（华东）", "青岛大学"]),
]
HOSPITAL_FIELDS: dict[str, tuple[str, ...]] = {
    "青岛示例中医医院": ("中医学/中药学",),
    "青岛示例第一人民医院": ("基础医学/临床医学", "口腔医学", "公共卫生与预防医学"),
    # A maternity hospital's speciality is not a CSL discipline of its own: it owns no papers.
    "青岛示例妇幼保健院": (),
}
HOSPITALS = list(HOSPITAL_FIELDS)
# Which hospital posts a hospital demand: the first whose terms the text contains.
HOSPITAL_TERMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("青岛示例中医医院", ("中医", "中药", "中成药", "针灸", "针刺", "汤剂", "辨证", "推拿")),
    ("青岛示例妇幼保健院", ("妇科", "产科", "早孕", "孕", "新生儿", "儿科", "小儿", "婴")),
    ("青岛示例第一人民医院", ()),
)
FARMS: dict[str, tuple[str, ...]] = {
    # farm → its chains
    "青岛示例蓝海水产养殖有限公司": ("modern_fishery",),
    "青岛示例康牧生态养殖场": ("modern_agriculture",),
    "青岛示例丰源种业有限公司": ("modern_agriculture",),
    "青岛示例绿野农业专业合作社": ("modern_agriculture", "food_beverage"),
}
FARM_DESCRIPTIONS = {
    "青岛示例蓝海水产养殖有限公司": "水产养殖企业，关注苗种繁育、病害防控与养殖水质调控技术。",
    "青岛示例康牧生态养殖场": "畜禽养殖场，关注健康养殖、饲料营养与粪污资源化技术。",
    "青岛示例丰源种业有限公司": "种业企业，关注良种选育、种子检测与品种区域试验。",
    "青岛示例绿野农业专业合作社": "农业专业合作社，关注果蔬种植、绿色植保与农产品贮藏加工技术。",
}
FARM_TERMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "青岛示例蓝海水产养殖有限公司",
        ("鱼", "虾", "海参", "参苗", "蟹", "贝", "渔", "水产", "育苗场", "池塘"),
    ),
    ("青岛示例康牧生态养殖场", ("猪", "羊", "牛", "鸡", "鸭", "禽", "牧", "畜")),
    ("青岛示例丰源种业有限公司", ("品种", "种子", "育种", "良种", "出苗")),
    ("青岛示例绿野农业专业合作社", ()),
)
# Chainless enterprise demands are posted by a company of the demand's field group.
FIELD_GROUP_COMPANIES: dict[str, tuple[str, str]] = {
    "marine": ("青岛示例海诚海洋技术有限公司", "海洋工程技术服务与海洋环境监测。"),
    "agriculture": ("青岛示例田丰农业发展有限公司", "农业生产经营与农业技术服务。"),
    "medicine": ("青岛示例康宁医药有限公司", "药品生产、医疗健康产品研发与销售。"),
    "bio_food": ("青岛示例禾润生物科技有限公司", "生物制品与食品配料研发生产。"),
    "chemistry_materials": ("青岛示例华泰化工材料有限公司", "化工产品与工业材料生产。"),
    "mechanical": ("青岛示例恒力机械装备有限公司", "机械装备、动力系统与飞行器部件研发制造。"),
    "electronics_information": (
        "青岛示例联创电子信息有限公司",
        "电子产品、软件与信息系统研发。",
    ),
    "civil_environment": (
        "青岛示例城建交通工程有限公司",
        "工程建设、交通基础设施、市政与环境工程服务。",
    ),
    "earth_energy": ("青岛示例地矿能源技术有限公司", "油气、矿产与能源勘探开发技术服务。"),
}
CSLDCP_PER_CHAIN = 25
# Words of company stems too generic to say what a demand's text is about.
GENERIC_STEM_WORDS = frozenset({"科技", "技术", "装备", "工程", "服务", "信息", "智能", "设计"})

# Annual salary band (元) per title; the grade comes from the 按薪定才 rules for that salary.
TITLE_SALARY: dict[str, tuple[int, int]] = {
    "教授": (500_000, 1_300_000),
    "研究员": (500_000, 1_300_000),
    "正高级工程师": (500_000, 1_100_000),
    "副教授": (280_000, 470_000),
    "副研究员": (280_000, 470_000),
    "高级工程师": (280_000, 470_000),
    "讲师": (150_000, 240_000),
}
TITLES = list(TITLE_SALARY)
SALARY_THRESHOLDS = {"A": 1_000_000, "B": 600_000, "C": 400_000, "D": 250_000, "E": 150_000}
SALARY_SCALES: dict[str | None, float] = {
    None: 1.0,
    "integrated_circuits": 1.2,
    "artificial_intelligence": 1.2,
    "modern_fishery": 0.8,
}
# Last year's thresholds (rules carry their year; grading picks the set of the project's year):
# the city and the IC chain raised theirs this year.
SALARY_YEAR_SCALES: dict[tuple[str | None, int], float] = {
    (None, TODAY.year - 1): 0.9,
    ("integrated_circuits", TODAY.year - 1): 1.1,
}


class ChainLike(Protocol):
    """What the chain rule reads of a chain (an ``IndustryChain`` or a ``ChainConfig``)."""

    name: str
    keywords: list[str]
    disciplines: list[str]


C = TypeVar("C", bound=ChainLike)


def chain_terms(chain: ChainLike) -> list[str]:
    """The words that show a text is about a chain: its name and configured keywords."""
    return list(dict.fromkeys([chain.name, *chain.keywords]))


def chain_fit(
    chains: Sequence[C], discipline: str, head: str, body: str = ""
) -> tuple[C | None, list[str]]:
    """Rule 3: the chain a record of ``discipline`` fits, and the chain terms that show it.

    ``head`` is the title and keywords (a term there scores 2), ``body`` the rest (1).
    """
    listing = [c for c in chains if discipline in c.disciplines]
    best: tuple[int, C | None, list[str]] = (0, None, [])
    for chain in listing:
        found = [t for t in chain_terms(chain) if t in head or t in body]
        score = sum(2 if t in head else 1 for t in found)
        if score > best[0]:
            best = (score, chain, found)
    if best[0] >= 2:
        return best[1], best[2]
    if len(listing) == 1:
        return listing[0], []
    return None, []


def application_field(keywords: Sequence[str], terms: Sequence[str]) -> str:
    """Rule 4: up to three of the paper's own keywords (chain terms first), else the terms."""
    if keywords:
        first = [k for k in keywords if any(t in k for t in terms)]
        ordered = list(dict.fromkeys([*first, *keywords]))
        return "、".join(ordered[:3])
    return "、".join(terms[:3])


def institution_disciplines(name: str, level: str = "本科") -> tuple[str, ...]:
    """Rule 2: the disciplines an institution of the MoE list (or a sample hospital) owns."""
    if name in INSTITUTION_FIELDS:
        return INSTITUTION_FIELDS[name]
    if name in HOSPITAL_FIELDS:
        return HOSPITAL_FIELDS[name]
    if level != "本科":
        return ()  # vocational colleges train; they do not list research achievements here
    for words, disciplines in INSTITUTION_PATTERNS:
        if any(w in name for w in words):
            return disciplines
    return ()


@dataclass
class DemoReport:
    """Counts of what one demo load added (zero everywhere on a second load)."""

    added: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def count(self, key: str, n: int = 1) -> None:
        """Add n to the count of key."""
        self.added[key] = self.added.get(key, 0) + n

    def summary(self) -> str:
        """Chinese summary with the demo logins."""
        lines = ["示例城市已加载（示例数据标注为“示例数据”，科技成果为真实 CSL 论文记录）："]
        for key, total in self.totals.items():
            lines.append(f"  {key}: 共 {total} 条（本次新增 {self.added.get(key, 0)}）")
        lines.append(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role in self.logins:
            lines.append(f"  {username:<12} {role}")
        return "\n".join(lines)


class _City:
    """State shared by the loading steps: the session, lookups and the report."""

    def __init__(self, session: Session, report: DemoReport) -> None:
        self.session = session
        self.report = report
        self.chains: dict[str, IndustryChain] = {}
        self.orgs: dict[str, Organization] = {}
        self.chain_companies: dict[str, list[Organization]] = {}
        self.universities: list[Organization] = []
        # Institutions that may own papers: (organisation, weight, disciplines it owns).
        self.owners: list[tuple[Organization, int, frozenset[str]]] = []
        self.users: dict[str, User] = {}
        self.talents: list[Talent] = []

    def org(self, key: str) -> Organization:
        """Organisation by loader key or exact name."""
        return self.orgs[key]

    def upsert_org(self, key: str, **values: Any) -> Organization:
        """The organisation named values['name'], created when missing."""
        org = self.session.scalar(select(Organization).where(Organization.name == values["name"]))
        if org is None:
            org = Organization(**values)
            self.session.add(org)
            self.report.count("organizations")
        self.orgs[key] = org
        return org

    def owners_of(self, discipline: str) -> list[tuple[Organization, int]]:
        """Institutions whose profile holds a discipline, with their weights (rule 2)."""
        return [(org, weight) for org, weight, held in self.owners if discipline in held]

    def fit(
        self, discipline: str, head: str, body: str = ""
    ) -> tuple[IndustryChain | None, list[str]]:
        """Rule 3 over the active chains in catalogue order."""
        return chain_fit(list(self.chains.values()), discipline, head, body)


def _by_name(session: Session, model: type[T], name: object, column: str = "name") -> T | None:
    return session.scalar(select(model).where(getattr(model, column) == name))


def _money(rng_value: float, low: int, high: int, step: int = 10_000) -> Decimal:
    return Decimal(int((low + (high - low) * rng_value) / step) * step)


def _at(days_ago: int, hour: int = 10) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# --- reference data and organisations -------------------------------------------------------


def _reference(city: _City) -> None:
    report = chains_service.sync_chains(city.session, None, reference.load_chains())
    city.report.count("industry_chains", len(report.created))
    city.report.count("disciplines", education_service.sync_disciplines(city.session))
    city.report.count("majors", education_records.sync_majors(city.session))
    stmt = (
        select(IndustryChain)
        .where(IndustryChain.is_active)
        .order_by(IndustryChain.sort_order, IndustryChain.id)
    )
    for chain in city.session.scalars(stmt):
        city.chains[chain.code] = chain


def _profile_chains(city: _City, disciplines: Sequence[str]) -> list[IndustryChain]:
    """Up to six chains that list the most of an institution's disciplines."""
    held = set(disciplines)
    ranked = [(len(held & set(c.disciplines)), -i, c) for i, c in enumerate(city.chains.values())]
    return [c for n, _, c in sorted(ranked, key=lambda r: (-r[0], -r[1])) if n > 0][:6]


def _organizations(city: _City) -> None:
    for key, (name, description) in OFFICES.items():
        city.upsert_org(
            key,
            name=name,
            kind="office",
            region_code=QINGDAO,
            description=description,
            is_sample=True,
        )
    qingdao = [u for u in reference.universities() if u.city == "青岛市"]
    for uni in qingdao:
        held = institution_disciplines(uni.name, uni.level)
        strengths = f"优势学科：{'、'.join(held[:6])}。" if held else ""
        org = city.upsert_org(
            uni.name,
            name=uni.name,
            kind="university",
            credit_code=uni.code,
            region_code=QINGDAO,
            description=f"{uni.level}院校，主管部门：{uni.authority}。{uni.note}".rstrip("。")
            + "。"
            + strengths,
        )
        if not org.chains:
            org.chains = _profile_chains(city, held)
        city.universities.append(org)
        if held:
            weight = INSTITUTION_WEIGHT["private" if "民办" in uni.note else "public"]
            city.owners.append((org, weight, frozenset(held)))
    city.session.flush()
    for key, (name, description) in PLATFORM_ORGS.items():
        city.upsert_org(
            key,
            name=name,
            kind="platform",
            region_code="370212",
            description=description,
            is_sample=True,
        )
    districts = sorted(reference.districts_of(QINGDAO))
    for index, (name, chain_code, partners) in enumerate(INSTITUTES):
        chain = city.chains[chain_code]
        org = city.upsert_org(
            name,
            name=name,
            kind="institute",
            region_code=districts[index % len(districts)],
            description=f"新型研发机构，与{'、'.join(partners)}共建，面向{chain.name}产业链开展共性技术研发与成果转化。",
            is_sample=True,
        )
        if not org.co_built_with:
            org.co_built_with = [city.orgs[p] for p in partners]
            org.chains = [chain]
        city.owners.append((org, INSTITUTION_WEIGHT["institute"], frozenset(chain.disciplines)))
    for index, (name, held) in enumerate(HOSPITAL_FIELDS.items()):
        org = city.upsert_org(
            name,
            name=name,
            kind="institute",
            region_code=districts[index % len(districts)],
            description="医疗机构，开展临床研究与新技术应用。",
            is_sample=True,
        )
        org.chains = org.chains or [city.chains["medicine_devices"]]
        if held:
            city.owners.append((org, INSTITUTION_WEIGHT["institute"], frozenset(held)))
    for index, (name, chain_codes) in enumerate(FARMS.items()):
        org = city.upsert_org(
            name,
            name=name,
            kind="enterprise",
            region_code=districts[(index + 5) % len(districts)],
            description=FARM_DESCRIPTIONS[name],
            is_sample=True,
        )
        org.chains = org.chains or [city.chains[c] for c in chain_codes]
    for index, (group, (name, business)) in enumerate(FIELD_GROUP_COMPANIES.items()):
        district = districts[(index + 3) % len(districts)]
        number = names.rng_for(name).randint(1, 300)
        city.upsert_org(
            f"group:{group}",
            name=name,
            kind="enterprise",
            region_code=district,
            address=f"{reference.region_name(district)}示例路{number}号",
            contact_name=names.person_name(name, "contact"),
            contact_phone=names.phone(name),
            description=f"主营{business}",
            is_sample=True,
        )
    used: set[str] = set()
    for chain_index, (code, chain_row) in enumerate(city.chains.items()):
        keywords = chain_row.keywords
        companies = []
        for index in range(5):
            name = names.company_name(code, index)
            while name in used:
                name = name.replace("有限公司", "科技有限公司", 1)
            used.add(name)
            rng = names.rng_for("company", name)
            district = districts[(chain_index + index) % len(districts)]
            org = city.upsert_org(
                f"company:{code}:{index}",
                name=name,
                kind="enterprise",
                region_code=districts[(chain_index + index) % len(districts)],
                address=f"{reference.region_name(district)}示例路{rng.randint(1, 300)}号",
                contact_name=names.person_name(name, "contact"),
                contact_phone=names.phone(name),
                description=(
                    f"{chain_row.name}产业链{'链主' if index == 0 else '骨干'}企业，"
                    f"主营{keywords[index % len(keywords)]}等业务。"
                ),
                is_chain_leader=index == 0,
                is_sample=True,
            )
            if not org.chains:
                org.chains = [chain_row]
            companies.append(org)
        city.chain_companies[code] = companies
        city.orgs[f"leader:{code}"] = companies[0]
    city.session.flush()


def _users(city: _City) -> None:
    for username, role, org_key, display in DEMO_USERS:
        user = _by_name(city.session, User, username, "username")
        if user is None:
            user = accounts.create_user(
                city.session,
                None,
                {
                    "username": username,
                    "password": DEMO_PASSWORD,
                    "role": role,
                    "organization_id": city.org(org_key).id,
                    "display_name": display,
                },
            )
            user.is_sample = True
            city.report.count("users")
        city.users[username] = user
        city.report.logins.append((username, f"{user.role_label}｜{city.org(org_key).name}"))


# --- innovation chain ------------------------------------------------------------------------


def _owner_for(city: _City, discipline: str, seed: str) -> Organization | None:
    """Rule 2: a weighted, seeded draw among the institutions that hold the discipline."""
    owners = city.owners_of(discipline)
    if not owners:
        return None
    rng = names.rng_for("owner", seed)
    return rng.choices([o for o, _ in owners], weights=[w for _, w in owners])[0]


def _achievement_terms(rng: Any, discipline: str) -> dict[str, Any]:
    trl = rng.choice([2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8])
    stage = (
        "lab" if trl <= 3 else "small_pilot" if trl <= 5 else "pilot" if trl <= 7 else "industrial"
    )
    if discipline == "计算机科学与技术" and rng.random() < 0.6:
        ip_type = "software_copyright"
    elif discipline in ("作物学", "园艺学") and rng.random() < 0.4:
        ip_type = "new_variety"
    else:
        ip_type = rng.choices(
            ["invention_patent", "utility_patent", "know_how"], weights=[6, 2, 2]
        )[0]
    modes = sorted(
        rng.sample(["transfer", "license", "equity", "co_development"], rng.randint(1, 3))
    )
    price = None if rng.random() < 0.4 else _money(rng.random(), 50_000, 5_000_000)
    return {
        "trl": trl,
        "stage": stage,
        "ip_type": ip_type,
        "transfer_modes": modes,
        "price": price,
        "trade_type": rng.choices(["listing", "tender", "auction"], weights=[8, 1, 1])[0],
        "origin": rng.choices(["original", "secondary", "absorbed"], weights=[7, 2, 1])[0],
    }


def _status(rng: Any) -> str:
    roll = rng.random()
    return (
        "draft"
        if roll < 0.02
        else "submitted"
        if roll < 0.05
        else "returned"
        if roll < 0.06
        else "published"
    )


_TITLE_SUBJECT = re.compile(r"^(\[?目的\]?[:：\s]*)?(本文|该文|文章|本研究|笔者|作者)?")
_TITLE_VERB = re.compile(
    r"^(通过|采用|利用|针对|基于|为了|首先)?(研究|分析|探讨|介绍|提出|建立|综述|论述|阐述|考察)了?"
)


def csldcp_title(content: str) -> str:
    """A title for a CSLDCP abstract, which comes without one: its opening words, marked if cut."""
    first = re.split(r"[。；;]", content, maxsplit=1)[0].strip()
    first = _TITLE_VERB.sub("", _TITLE_SUBJECT.sub("", first)).strip(" ，,")
    if len(first) < 8:
        first = content.strip()
    return first if len(first) <= 36 else first[:35].rstrip("，,、 ") + "…"


def _paper_rows(city: _City) -> list[dict[str, Any]]:
    """Rule 1: the CSL records and FewCLUE abstracts loaded as achievements, in load order."""
    rows: list[dict[str, Any]] = [
        {
            "ref": r["id"],
            "title": r["title"],
            "summary": r["abstract"],
            "keywords": r["keywords"][:8],
            "discipline": r["discipline"],
            "category": r["category"],
            "channel": "university_repository",
        }
        for r in reference.csl_records()
        if r["discipline"] not in NON_MARKET_DISCIPLINES
    ]
    categories = {d.name: d.category for d in reference.csl_disciplines()}
    per_chain: dict[str, int] = {}
    for r in reference.csldcp_abstracts():
        if r["label"] in NON_MARKET_DISCIPLINES:
            continue
        title = csldcp_title(r["content"])
        chain, _ = city.fit(r["label"], title, r["content"])
        if chain is None or per_chain.get(chain.code, 0) >= CSLDCP_PER_CHAIN:
            continue
        per_chain[chain.code] = per_chain.get(chain.code, 0) + 1
        rows.append(
            {
                "ref": f"csldcp-{r['id']}",
                "title": title,
                "summary": r["content"],
                "keywords": [],
                "discipline": r["label"],
                "category": categories.get(r["label"], ""),
                "channel": "roadshow",
            }
        )
    return rows


def _achievements(city: _City, progress: Progress) -> None:
    session = city.session
    existing = set(
        session.scalars(select(Achievement.source_ref).where(Achievement.source_ref.is_not(None)))
    )
    rows = _paper_rows(city)
    creator = city.users["university"]
    for n, row in enumerate(rows):
        if n % 100 == 0:
            progress(f"科技成果 {n}/{len(rows)}", 0.2 + 0.4 * n / len(rows))
        if row["ref"] in existing:
            continue
        owner = _owner_for(city, row["discipline"], row["ref"])
        if owner is None:
            continue  # no institution of the city works in this discipline
        rng = names.rng_for("achievement", row["ref"])
        chain, terms = city.fit(
            row["discipline"], row["title"] + " " + " ".join(row["keywords"]), row["summary"]
        )
        status = _status(rng)
        lead = names.person_name(row["ref"], "lead")
        inventors = [{"name": lead, "share": 60}]
        inventors += [{"name": names.person_name(row["ref"], i), "share": 20} for i in range(2)]
        item = Achievement(
            title=row["title"][:200],
            summary=row["summary"],
            keywords=row["keywords"],
            organization_id=owner.id,
            created_by_id=creator.id if owner.id == creator.organization_id else None,
            inventors=inventors,
            contact_name=lead,
            contact_phone=names.phone(row["ref"]),
            category=row["category"],
            discipline=row["discipline"],
            chain_id=chain.id if chain else None,
            gbt_code=chain.gbt_codes[0] if chain else "",
            application_field=application_field(row["keywords"], terms),
            status=status,
            review_remarks="请补充与现有技术的对比数据和应用案例。" if status == "returned" else "",
            published_at=_at(rng.randint(1, 540)) if status == "published" else None,
            source_channel=row["channel"],
            source_ref=row["ref"],
            is_sample=True,
            **_achievement_terms(rng, row["discipline"]),
        )
        session.add(item)
        city.report.count("achievements")
    session.flush()


_NEED_MARKERS = (
    "希望寻求",
    "希望引进",
    "希望找到",
    "希望",
    "想找",
    "想引进",
    "想请",
    "想",
    "急需",
    "需要",
    "寻求",
    "征集",
)


def demand_title(text: str) -> str:
    """A short title for a demand text: the clause that says what is wanted."""
    clauses = [c for c in re.split(r"[，。；;！？!?]", text) if c.strip()]
    for clause in clauses:
        for marker in _NEED_MARKERS:
            at = clause.find(marker)
            if at >= 0:
                wanted = clause[at + len(marker) :].strip()
                wanted = re.sub(r"^(有|能|一种|一套|一个|些|一些)", "", wanted)
                if len(wanted) >= 6:
                    return ("征集：" + wanted)[:40]
    return clauses[0][:40] if clauses else text[:40]


def _first_with(text: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """The first entry whose terms the text contains; the last entry is the default."""
    for name, terms in table:
        if any(t in text for t in terms):
            return name
    return table[-1][0]


def _business_words(stem: str) -> set[str]:
    """Two-character words of a company's business stem, without the generic ones."""
    return {stem[i : i + 2] for i in range(len(stem) - 1)} - GENERIC_STEM_WORDS


def _publisher(
    city: _City, org_type: str, text: str, chain: IndustryChain | None, group: str, seed: str
) -> tuple[Organization, str]:
    """Rule 5: who posts a demand, and its list type."""
    rng = names.rng_for("publisher", seed)
    if org_type == "government":
        return city.org("office:science"), "government"
    if org_type == "hospital":
        return city.orgs[_first_with(text, HOSPITAL_TERMS)], "enterprise"
    if org_type == "farm":
        return city.orgs[_first_with(text, FARM_TERMS)], "enterprise"
    if org_type == "school":
        vocational = [u for u in city.universities if u.description.startswith("专科")]
        return vocational[rng.randrange(len(vocational))], "enterprise"
    if chain is None:
        if f"group:{group}" not in city.orgs:
            return city.org("office:science"), "government"
        return city.orgs[f"group:{group}"], "enterprise"
    companies = city.chain_companies[chain.code]
    for index, company in enumerate(companies):
        if any(w in text for w in _business_words(names.company_stem(chain.code, index))):
            return company, "enterprise"  # the company whose business the text names
    # Otherwise chain leaders post the largest share of a chain's demand lists.
    pick = 0 if rng.random() < 0.4 else rng.randrange(len(companies))
    return companies[pick], "enterprise"


def _demands(city: _City, progress: Progress) -> None:
    session = city.session
    existing = set(session.scalars(select(Demand.source_ref).where(Demand.source_ref.is_not(None))))
    papers = {r["id"]: r for r in reference.csl_records()}
    texts = reference.demand_texts()
    for n, row in enumerate(texts):
        ref = f"demand-{n:03d}-{row['paper_id']}"
        discipline = papers.get(row["paper_id"], {}).get("discipline", "")
        if ref in existing or discipline in NON_MARKET_DISCIPLINES:
            continue
        rng = names.rng_for("demand", ref)
        chain, _ = city.fit(discipline, row["text"])
        org, list_type = _publisher(
            city, row["org_type"], row["text"], chain, GROUP_OF.get(discipline, ""), ref
        )
        if org.kind in ("enterprise", "institute") and chain not in org.chains:
            chain = None  # a hospital or farm keeps only a chain it is on
        confidentiality = rng.choices(
            ["public", "summary_only", "confidential"], weights=[80, 12, 8]
        )[0]
        roll = rng.random()
        status = (
            "draft"
            if roll < 0.03
            else "submitted"
            if roll < 0.09
            else "awarded"
            if roll > 0.96
            else "published"
        )
        first = re.split(r"[，。]", row["text"], maxsplit=1)[0]
        summary = (
            row["text"] if confidentiality == "public" else f"{first}，详细需求签署保密协议后提供。"
        )
        enterprise_user = city.users["enterprise"]
        item = Demand(
            title=demand_title(row["text"]),
            list_type=list_type,
            organization_id=org.id,
            created_by_id=enterprise_user.id if org.id == enterprise_user.organization_id else None,
            region_code=org.region_code or QINGDAO,
            public_summary=summary,
            problem=row["text"],
            background=f"{org.name}在生产经营中遇到的实际问题。"
            if list_type == "enterprise"
            else "列入本年度市级“揭榜挂帅”攻关榜单。",
            wanted_outcome="可落地的技术方案及小试或中试验证结果。",
            indicators_must="方案须在需求单位现场完成验证。",
            keywords=[],
            chain_id=chain.id if chain else None,
            gbt_code=chain.gbt_codes[0] if chain else "",
            wanted_trl=rng.choice([4, 5, 6, 6, 7, 7, 8]),
            budget=None if rng.random() < 0.3 else _money(rng.random(), 200_000, 8_000_000),
            deadline=TODAY + timedelta(days=rng.randint(20, 240)),
            confidentiality=confidentiality,
            ip_terms="成果知识产权归属由双方在合同中约定。",
            eligibility="在中国境内注册的高校、科研院所、企业或团队。",
            contact_name=names.person_name(ref, "contact"),
            contact_phone=names.phone(ref),
            status=status,
            published_at=_at(rng.randint(1, 300)) if status in ("published", "awarded") else None,
            is_sample=True,
            source_ref=ref,
        )
        session.add(item)
        city.report.count("demands")
        if n % 40 == 0:
            progress(f"技术需求 {n}/{len(texts)}", 0.6 + 0.1 * n / len(texts))
    session.flush()


# --- talent chain ----------------------------------------------------------------------------


def _salary_grade_rules(city: _City) -> None:
    """按薪定才 thresholds: city-wide and scaled for a few chains (standing, for any year), and
    last year's own sets for the city and one chain."""
    session = city.session
    sets: list[tuple[str | None, int | None, float]] = [
        (code, None, scale) for code, scale in SALARY_SCALES.items()
    ]
    sets += [(code, year, scale) for (code, year), scale in SALARY_YEAR_SCALES.items()]
    for scale_code, year, scale in sets:
        chain_id = city.chains[scale_code].id if scale_code else None
        for grade, amount in SALARY_THRESHOLDS.items():
            rule = session.scalar(
                select(SalaryGradeRule).where(
                    SalaryGradeRule.chain_id.is_(None)
                    if chain_id is None
                    else SalaryGradeRule.chain_id == chain_id,
                    SalaryGradeRule.year.is_(None)
                    if year is None
                    else SalaryGradeRule.year == year,
                    SalaryGradeRule.grade == grade,
                )
            )
            if rule is None:
                session.add(
                    SalaryGradeRule(
                        chain_id=chain_id,
                        year=year,
                        grade=grade,
                        min_annual_salary=Decimal(int(amount * scale)),
                    )
                )
                city.report.count("salary_grade_rules")
    session.flush()


def _talent_grade(city: _City, title: str, chain_id: int | None, seed: str) -> str | None:
    """Rule 7: the grade the 按薪定才 rules give a salary drawn in the title's band."""
    low, high = TITLE_SALARY[title]
    salary = names.rng_for("salary", seed).randint(low // 10_000, high // 10_000) * 10_000
    grade, _ = talent_service.grade_for_salary(city.session, chain_id, Decimal(salary))
    return grade


def _talents(city: _City) -> None:
    session = city.session
    groups: dict[tuple[int, str], list[Achievement]] = {}
    for item in session.scalars(
        select(Achievement).where(Achievement.status == "published").order_by(Achievement.id)
    ):
        group = GROUP_OF.get(item.discipline)
        if group is not None:
            groups.setdefault((item.organization_id, group), []).append(item)
    org_names = {o.id: o.name for o in city.orgs.values()}
    existing = {
        t.source_ref: t
        for t in session.scalars(select(Talent).where(Talent.source_ref.is_not(None)))
    }
    # Each demo expert account is the first published expert of its institution (rule 7 groups);
    # the achievements of that profile name the expert as their lead inventor.
    free_experts = {
        user.organization_id: user
        for username, role, _org, _name in DEMO_USERS
        if role == "expert"
        and (user := city.users[username]).organization_id is not None
        and _by_name(session, Talent, user.id, "user_id") is None
    }
    # Nothing read below depends on the talents being added: no flush before each rule lookup.
    with session.no_autoflush:
        for (org_id, group), items in sorted(groups.items()):
            for k in range(0, min(len(items), 20), 5):
                chunk = items[k : k + 5]
                # Keyed by the institution's name, not its row id: every database, same city.
                ref = f"talent-{names.key(org_names[org_id])}-{group}-{k}"
                if ref in existing:
                    city.talents.append(existing[ref])
                    continue
                rng = names.rng_for(ref)
                keywords = list(dict.fromkeys(kw for a in chunk for kw in a.keywords))[:10]
                counts: dict[str, int] = {}
                for a in chunk:
                    counts[a.discipline] = counts.get(a.discipline, 0) + 1
                disciplines = sorted(counts, key=lambda d: -counts[d])[:3]
                chain_ids = [a.chain_id for a in chunk if a.chain_id is not None]
                # The most frequent chain; the earliest achievement's breaks a tie.
                chain_id = max(chain_ids, key=chain_ids.count) if chain_ids else None
                title = rng.choice(TITLES)
                talent = Talent(
                    name=names.person_name(ref),
                    organization_id=org_id,
                    title=title,
                    expertise="、".join(keywords[:6]) or "、".join(disciplines),
                    disciplines=disciplines,
                    keywords=keywords,
                    grade=_talent_grade(city, title, chain_id, ref),
                    bio=f"长期从事{'、'.join(disciplines)}方向研究，代表成果：《{chunk[0].title}》。",
                    consent_public=rng.random() > 0.08,
                    is_sample=True,
                    source_ref=ref,
                )
                expert = free_experts.pop(org_id, None)
                if expert is not None:
                    talent.user_id = expert.id
                    for a in chunk:
                        a.inventors = [{"name": talent.name, "share": 60}, *a.inventors[1:]]
                        a.contact_name = talent.name
                session.add(talent)
                city.talents.append(talent)
                city.report.count("talents")
        # Practitioners who do not publish: enterprise engineers listed with their consent.
        for code, companies in city.chain_companies.items():
            chain = city.chains[code]
            ref = f"talent-practitioner-{code}"
            if ref in existing:
                continue
            session.add(
                Talent(
                    name=names.person_name(ref),
                    organization_id=companies[1].id,
                    title="高级工程师",
                    expertise=f"{'、'.join(chain.keywords[:3])}工程化与量产经验",
                    disciplines=chain.disciplines[:1],
                    keywords=chain.keywords[:5],
                    grade=_talent_grade(city, "高级工程师", chain.id, ref),
                    bio=f"企业一线技术骨干，十余年{chain.name}领域工程实践经验，未公开发表论文，经本人同意展示。",
                    consent_public=True,
                    is_sample=True,
                    source_ref=ref,
                )
            )
            city.report.count("talents")
    session.flush()


def _talent_needs_and_projects(city: _City) -> None:
    session = city.session
    positions = ["研发工程师", "工艺工程师", "测试工程师", "技术总监", "博士后研究员", "首席科学家"]
    for code, companies in city.chain_companies.items():
        chain = city.chains[code]
        for index, company in enumerate(companies[:3]):
            ref = f"need-{code}-{index}"
            if _by_name(session, TalentNeed, ref, "source_ref") is not None:
                continue
            rng = names.rng_for(ref)
            keyword = chain.keywords[index % len(chain.keywords)]
            position = f"{keyword}{positions[(index + len(code)) % len(positions)]}"
            low = rng.randint(15, 40) * 10_000
            session.add(
                TalentNeed(
                    organization_id=company.id,
                    position=position,
                    headcount=rng.randint(1, 6),
                    salary_min=Decimal(low),
                    salary_max=Decimal(low + rng.randint(5, 30) * 10_000),
                    requirements=f"硕士及以上学历，{'、'.join(chain.disciplines[:2])}等相关专业，熟悉{chain.keywords[0]}相关技术，有项目经验者优先。",
                    major=chain.disciplines[0] if chain.disciplines else "",
                    chain_id=chain.id,
                    co_shared=index == 2,
                    deadline=TODAY + timedelta(days=rng.randint(30, 180)),
                    status="open" if rng.random() > 0.1 else "filled",
                    is_sample=True,
                    source_ref=ref,
                )
            )
            city.report.count("talent_needs")
    for index, code in enumerate(list(city.chains)[:10]):
        chain = city.chains[code]
        name = f"{chain.name}产才融合示范项目（{2025 + index % 2}年度）"
        if _by_name(session, TalentProject, name) is None:
            rng = names.rng_for(name)
            session.add(
                TalentProject(
                    name=name,
                    organization_id=city.chain_companies[code][0].id,
                    chain_id=chain.id,
                    rights=["self_recommend", "salary_grading"]
                    if index % 3
                    else ["salary_grading"],
                    subsidy_amount=_money(rng.random(), 500_000, 3_000_000),
                    talents_gathered=rng.randint(8, 60),
                    year=2025 + index % 2,
                    status=["approved", "running", "applying"][index % 3],
                    is_sample=True,
                )
            )
            city.report.count("talent_projects")
    session.flush()


def _hiring(city: _City) -> None:
    """Hiring through the platform: the demo enterprise's need with applications at every
    stage, a co-shared post of the demo university hired and dispatched to the enterprise's
    scene with an achievement produced there, and a 按薪定才 recommendation awaiting the office."""
    session = city.session
    if _by_name(session, TalentNeed, "need-hiring-demo", "source_ref") is not None:
        return
    ent = city.org("leader:new_materials")
    uni = city.org("中国海洋大学")
    chain = city.chains.get("new_materials")
    chain_id = chain.id if chain else None
    need = TalentNeed(
        organization_id=ent.id,
        position="高性能复合材料研发工程师",
        headcount=2,
        salary_min=Decimal(300_000),
        salary_max=Decimal(500_000),
        requirements="材料科学与工程相关专业硕士及以上，熟悉复合材料成型工艺。",
        major="材料科学与工程",
        chain_id=chain_id,
        deadline=TODAY + timedelta(days=90),
        is_sample=True,
        source_ref="need-hiring-demo",
    )
    shared = TalentNeed(
        organization_id=uni.id,
        position="海洋新材料共引共享研究员",
        headcount=1,
        requirements="高校引进、企业共享：在企业产业场景中开展海洋防腐材料攻关。",
        major="材料科学与工程",
        chain_id=chain_id,
        co_shared=True,
        host_organization_id=uni.id,
        scene_organization_id=ent.id,
        status="filled",
        is_sample=True,
        source_ref="need-hiring-co-shared",
    )
    session.add_all([need, shared])
    session.flush()
    city.report.count("talent_needs", 2)
    expert = _by_name(session, Talent, city.users["expert"].id, "user_id")
    public = [t for t in city.talents if t.consent_public and t.user_id is None]
    pool = ([expert] if expert else []) + public[:4]
    stages = ["applied", "shortlisted", "interviewed", "declined", "applied"]
    for index, (talent, status) in enumerate(zip(pool, stages, strict=False)):
        session.add(
            Application(
                need_id=need.id,
                talent_id=talent.id,
                organization_id=ent.id,
                user_id=talent.user_id,
                channel="broker" if index == 4 else "self",
                submitted_by_id=city.users["broker"].id if index == 4 else talent.user_id,
                status=status,
                note="示例数据：申请说明。",
                decline_reason="示例数据：研究方向与岗位不符。" if status == "declined" else "",
            )
        )
        city.report.count("applications")
    host_talent = next((t for t in public if t.organization_id == uni.id), public[-1])
    application = Application(
        need_id=shared.id,
        talent_id=host_talent.id,
        organization_id=uni.id,
        status="hired",
        note="示例数据：愿赴企业驻场。",
    )
    session.add(application)
    session.flush()
    hire = Hire(
        application_id=application.id,
        need_id=shared.id,
        talent_id=host_talent.id,
        organization_id=uni.id,
        chain_id=chain_id,
        co_shared=True,
        host_organization_id=uni.id,
        scene_organization_id=ent.id,
        hired_on=TODAY - timedelta(days=120),
    )
    session.add(hire)
    session.flush()
    session.add(
        Dispatch(
            hire_id=hire.id,
            organization_id=uni.id,
            scene_organization_id=ent.id,
            start_on=TODAY - timedelta(days=110),
            end_on=TODAY + timedelta(days=255),
            host_share=Decimal(60),
            scene_share=Decimal(40),
            note="示例数据：每周驻企三天，薪酬按六四分担。",
        )
    )
    produced = session.scalar(
        select(Achievement)
        .where(Achievement.organization_id == uni.id, Achievement.status == "published")
        .order_by(Achievement.id)
    )
    if produced is not None:
        session.add(HireAchievement(hire_id=hire.id, achievement_id=produced.id))
    city.report.count("hires")
    project = TalentProject(
        name=f"{ent.name}产才融合项目（{TODAY.year}年度）",
        organization_id=ent.id,
        chain_id=chain_id,
        rights=["self_recommend", "salary_grading"],
        requested_rights=["self_recommend", "salary_grading"],
        year=TODAY.year,
        status="approved",
        review_remarks="示例数据：同意认定，授予自主荐才权和按薪定才权。",
        is_sample=True,
    )
    session.add(project)
    session.flush()
    city.report.count("talent_projects")
    salary = Decimal(800_000)
    grading = hiring_service.grade_for_project(session, project, salary)
    recommended = public[5] if len(public) > 5 else host_talent
    session.add(
        Recommendation(
            project_id=project.id,
            organization_id=ent.id,
            talent_id=recommended.id,
            right_kind="salary_grading",
            annual_salary=salary,
            grade=grading.grade,
            rule_id=grading.rule.rule_id if grading.rule else None,
            rule_grade=grading.rule.grade if grading.rule else None,
            rule_threshold=grading.rule.min_annual_salary if grading.rule else None,
            rule_scope=grading.scope,
            grading_note=grading.note,
            reason="示例数据：企业约定年薪80万元引进。",
            submitted_by_id=city.users["enterprise"].id,
        )
    )
    city.report.count("recommendations")
    session.flush()


# --- industry chain: platforms and brokerage -------------------------------------------------

PLATFORMS = [
    (
        "海洋装备中试平台",
        "pilot",
        "marine_equipment",
        ["水池试验", "结构强度测试", "样机试制"],
        ["拖曳水池", "六自由度运动平台"],
    ),
    (
        "海洋生物医药中试平台",
        "pilot",
        "marine_biomedicine",
        ["原料药中试放大", "制剂工艺验证"],
        ["200L发酵罐", "冻干机"],
    ),
    (
        "集成电路概念验证中心",
        "poc",
        "integrated_circuits",
        ["流片验证", "芯片测试", "可靠性评估"],
        ["探针台", "自动测试设备"],
    ),
    (
        "新材料中试基地",
        "pilot",
        "new_materials",
        ["材料配方放大", "性能表征", "小批量试制"],
        ["双螺杆挤出机", "万能试验机"],
    ),
    (
        "智能家电概念验证中心",
        "poc",
        "smart_home_appliances",
        ["样机快速验证", "能效测试", "用户试用评价"],
        ["焓差实验室", "噪声测试室"],
    ),
    (
        "食品饮料中试平台",
        "pilot",
        "food_beverage",
        ["发酵工艺放大", "配方中试", "保质期测试"],
        ["中试发酵线", "喷雾干燥塔"],
    ),
    (
        "新能源汽车电池中试平台",
        "pilot",
        "new_energy_vehicles",
        ["电芯试制", "电池包测试"],
        ["卷绕机", "充放电测试柜"],
    ),
    (
        "人工智能概念验证中心",
        "poc",
        "artificial_intelligence",
        ["算法验证", "场景测试", "算力租用"],
        ["GPU集群", "数据标注平台"],
    ),
    (
        "现代农业中试基地",
        "pilot",
        "modern_agriculture",
        ["品种区域试验", "设施栽培中试"],
        ["智能温室", "人工气候箱"],
    ),
    (
        "纺织新材料中试线",
        "pilot",
        "textiles_apparel",
        ["功能面料小批量试制", "纤维性能检测"],
        ["纺丝试验机", "染色小样机"],
    ),
]


def _service_kind(kind: str, capability: str) -> tuple[str, str, int]:
    """Service category, unit and capacity per day for a platform capability."""
    if any(w in capability for w in ("试制", "放大", "中试", "栽培")):
        return "small_batch", "批次", 1
    if any(w in capability for w in ("租用",)):
        return "equipment", "卡·天", 8
    if kind == "poc" and "验证" in capability:
        return "testing", "项", 2
    return "testing", "台次", 4


PLATFORM_EXTRA_CHAINS: dict[str, tuple[str, ...]] = {
    "marine_equipment": ("marine_resources",),
    "integrated_circuits": ("new_display",),
    "new_materials": ("new_energy_vehicles", "fine_chemicals"),
    "artificial_intelligence": ("industrial_internet",),
    "marine_biomedicine": ("medicine_devices",),
}


def _platforms(city: _City) -> None:
    """Each platform: run by the demo platform operator, its capabilities and equipment as
    bookable services (capacity per day, open dates), a PoC funding call for PoC centres, and
    bookings of the chain's companies — completed with fees, approved, pending, declined and
    cancelled — that never exceed a service's capacity on any day."""
    session = city.session
    operator = city.org("platform:pilot_base")
    opens, closes = TODAY - timedelta(days=150), TODAY + timedelta(days=210)
    for index, (short, kind, code, capabilities, equipment) in enumerate(PLATFORMS):
        name = f"青岛示例{short}"
        chain = city.chains[code]
        platform = _by_name(session, Platform, name)
        if platform is not None:
            continue
        rng = names.rng_for(name)
        platform = Platform(
            name=name,
            kind=kind,
            organization_id=operator.id,
            chain_id=chain.id,
            description=(
                f"面向{chain.name}产业链提供{'、'.join(capabilities)}等共享服务，"
                "按台次、批次或机时收费，在线预约、平台确认后使用。"
            ),
            capabilities=capabilities,
            equipment=equipment,
            support_amount=_money(rng.random(), 2_000_000, 20_000_000, 100_000),
            status="active" if index != 9 else "building",
            is_sample=True,
        )
        # Some platforms also serve neighbouring chains (the first chain stays the primary one).
        platform.chains = [chain] + [city.chains[c] for c in PLATFORM_EXTRA_CHAINS.get(code, ())]
        session.add(platform)
        session.flush()
        offers = [(c, *_service_kind(kind, c)) for c in capabilities]
        offers += [(f"{e}共享使用", "equipment", "机时", 8) for e in equipment[:1]]
        if kind == "poc":
            offers.append(("概念验证项目资助申报", "poc_funding", "项", 2))
        for k, (title, service_kind, unit, capacity) in enumerate(offers):
            funding = service_kind == "poc_funding"
            service = PlatformService(
                platform_id=platform.id,
                name=title,
                kind=service_kind,
                description=(
                    "面向早期成果的概念验证资助，每项最高 50 万元，平台组织专家评审后立项。"
                    if funding
                    else f"{title}服务，含方案设计、过程记录与测试报告。"
                ),
                unit=unit,
                unit_price=Decimal(0)
                if funding
                else _money(rng.random(), 800 if unit == "机时" else 3_000, 60_000, 500),
                capacity_per_day=capacity,
                available_from=opens,
                available_to=closes,
            )
            session.add(service)
            session.flush()
            if platform.status == "active":
                _demo_bookings(city, service, code, rng, seed=index * 10 + k)
        city.report.count("platforms")
    session.flush()


def _demo_bookings(city: _City, service: PlatformService, code: str, rng: Any, seed: int) -> None:
    """Bookings of the chain's companies on one service, within its capacity on every day."""
    buyers = city.chain_companies[code][:3]
    held: dict[date, int] = {}
    # (days from TODAY to the start, days, status): three months done, the next weeks booked.
    plan = [
        (-75, 2, "completed"),
        (-48, 3, "completed"),
        (-20, 1, "completed"),
        (-6, 2, "completed"),
        (5, 2, "approved"),
        (12, 1, "approved"),
        (19, 3, "approved"),
        (9, 1, "requested"),
        (26, 2, "requested"),
        (15, 1, "rejected"),
        (33, 1, "cancelled"),
    ]
    for n, (offset, days, status) in enumerate(plan):
        if (seed + n) % 4 == 3 and status in ("completed", "approved"):
            continue  # not every service is equally busy
        start = TODAY + timedelta(days=offset + (seed % 3))
        end = start + timedelta(days=days - 1)
        quantity = max(1, min(service.capacity_per_day, 1 + (seed + n) % service.capacity_per_day))
        span = [start + timedelta(days=i) for i in range(days)]
        holds = status in ("approved", "completed")
        if holds and any(held.get(d, 0) + quantity > service.capacity_per_day for d in span):
            continue
        if holds:
            for d in span:
                held[d] = held.get(d, 0) + quantity
        buyer = buyers[(seed + n) % len(buyers)]
        amount = (service.unit_price * quantity * days).quantize(Decimal("0.01"))
        actual = quantity if (seed + n) % 3 else max(1, quantity - 1)
        city.session.add(
            ServiceBooking(
                service_id=service.id,
                organization_id=buyer.id,
                start_date=start,
                end_date=end,
                quantity=quantity,
                amount=amount,
                status=status,
                team_name=f"{buyer.name.removeprefix('青岛示例')}研发中心" if n % 2 else "",
                remarks=(
                    f"{service.name}：{'样品' if n % 2 else '样机'}"
                    f"共 {quantity * days} {service.unit}"
                ),
                decision_reason="该时段设备年度计量检定，建议改约下周"
                if status == "rejected"
                else ("企业项目计划调整" if status == "cancelled" else ""),
                decided_at=_at(max(1, -offset + 3)) if status != "requested" else None,
                actual_quantity=actual if status == "completed" else None,
                fee=(service.unit_price * actual * days).quantize(Decimal("0.01"))
                if status == "completed"
                else None,
                completed_on=end if status == "completed" else None,
            )
        )
    city.session.flush()


BROKER_COURSES = [
    "技术转移概论",
    "知识产权运营",
    "技术合同与认定登记",
    "成果评价与作价",
    "商务谈判",
]


def _trainee(city: _City, username: str, name: str, role: str, org_id: int, pw: str) -> User:
    """A registered (sample) user who took a broker course; signs in only with a reset password."""
    user = _by_name(city.session, User, username, "username")
    if user is None:
        user = User(
            username=username,
            display_name=name,
            password_hash=pw,
            role=role,
            organization_id=org_id,
            is_sample=True,
        )
        city.session.add(user)
        city.session.flush()
    return user


def _broker_trainings(city: _City) -> None:
    """The broker courses of 2023–2025 that certified the demo brokers (each certified broker
    is a trainee who passed; others passed without a certificate yet, or failed), and the 2026
    course under way. Counts on the courses are read from these rows."""
    session = city.session
    name = "技术经纪人初级培训班"
    organizer = city.org("office:science")
    market = city.org("platform:tech_market")
    pw = hash_password(secrets.token_urlsafe(16))
    brokers = list(
        session.scalars(
            select(Broker).where(Broker.certificate_no.like("QDJJR-%")).order_by(Broker.id)
        )
    )
    companies = [c for group in city.chain_companies.values() for c in group[1:3]]
    for year in (2023, 2024, 2025, 2026):
        if session.scalar(
            select(BrokerTraining).where(BrokerTraining.name == name, BrokerTraining.year == year)
        ):
            continue
        training = BrokerTraining(
            name=name,
            year=year,
            organizer_id=organizer.id,
            hours=48,
            starts_on=date(year, 4, 8) if year < 2026 else date(2026, 10, 12),
            courses=BROKER_COURSES,
        )
        session.add(training)
        session.flush()
        enrolled = training.starts_on or date(year, 4, 8)
        exam_on = date(year, 5, 30)
        rows: list[TrainingEnrollment] = []
        if year < 2026:
            for broker in brokers:
                if broker.certified_on is None or broker.certified_on.year != year:
                    continue
                if broker.user_id is None:
                    user = _trainee(
                        city,
                        f"jjr{(broker.certificate_no or '')[-4:]}",
                        broker.name,
                        "broker",
                        market.id,
                        pw,
                    )
                    broker.user_id = user.id
                rng = names.rng_for("exam", broker.id)
                rows.append(
                    TrainingEnrollment(
                        training_id=training.id,
                        user_id=broker.user_id,
                        enrolled_on=enrolled,
                        exam_score=rng.randint(68, 96),
                        passed=True,
                        exam_on=exam_on,
                        certificate_no=broker.certificate_no,
                        certified_on=broker.certified_on,
                        broker_id=broker.id,
                    )
                )
        # Trainees from the chains' companies: some passed (certificate pending), some failed;
        # the 2026 class has not sat its exam yet.
        for k in range(7 if year < 2026 else 12):
            org = companies[(year * 7 + k) % len(companies)]
            person = names.person_name("trainee", year, k)
            user = _trainee(city, f"xueyuan{year}{k:02d}", person, "enterprise", org.id, pw)
            score = None if year == 2026 else (52 + (year + k * 7) % 40)
            rows.append(
                TrainingEnrollment(
                    training_id=training.id,
                    user_id=user.id,
                    enrolled_on=enrolled,
                    exam_score=score,
                    passed=None if score is None else score >= 60,
                    exam_on=None if score is None else exam_on,
                )
            )
        session.add_all(rows)
        session.flush()
        counts = session.execute(
            select(
                func.count(),
                func.count().filter(TrainingEnrollment.passed.is_(True)),
                func.count(TrainingEnrollment.certificate_no),
            ).where(TrainingEnrollment.training_id == training.id)
        ).one()
        training.trainees, training.passed, training.certificates_issued = (int(v) for v in counts)
        city.report.count("broker_trainings")
    session.flush()


def _mode_word(trade_mode: str) -> str:
    return "转让" if trade_mode == "transfer" else "许可" if trade_mode == "license" else "开发"


def _brokerage(city: _City) -> None:
    session = city.session
    broker_user = city.users["broker"]
    chains = list(city.chains.values())
    for index in range(30):
        cert = f"QDJJR-{2023 + index % 3}-{index + 1:04d}"
        if _by_name(session, Broker, cert, "certificate_no") is not None:
            continue
        rng = names.rng_for("broker", index)
        specialties = [chains[(index + k * 7) % len(chains)].name for k in range(2)]
        session.add(
            Broker(
                name=names.person_name("broker", index),
                user_id=broker_user.id if index == 0 else None,
                organization_id=city.org("platform:tech_market").id,
                certificate_no=cert,
                certified_on=date(2023 + index % 3, 6, 15),
                specialties=specialties,
                # The demo broker account carries the sample deals and still has room for a queue.
                max_active_deals=20 if index == 0 else rng.choice([5, 8, 10, 12]),
                rating=round(3.5 + rng.random() * 1.5, 1),
                is_sample=True,
            )
        )
        city.report.count("brokers")
    session.flush()
    _broker_trainings(city)
    broker = session.scalar(select(Broker).where(Broker.user_id == broker_user.id))
    # Deals from demands whose answering paper is listed: introduction through to contract.
    demands = list(
        session.scalars(
            select(Demand)
            .where(Demand.status.in_(("published", "awarded")))
            .order_by(Demand.id)
            .limit(40)
        )
    )
    achievements = {
        a.source_ref: a
        for a in session.scalars(select(Achievement).where(Achievement.status == "published"))
    }
    stages = [
        "contacted",
        "negotiating",
        "negotiating",
        "signed",
        "signed",
        "implemented",
        "contacted",
        "recommended",
    ]
    channels = DEAL_CHANNELS.values
    made = 0
    for demand in demands:
        paper_ref = (demand.source_ref or "").split("-", 2)[-1]
        achievement = achievements.get(paper_ref)
        if achievement is None or made >= len(stages) * 2:
            continue
        if achievement.organization_id == demand.organization_id:
            continue  # a unit does not sign a technology contract with itself
        exists = session.scalar(
            select(Match).where(
                Match.source_kind == "demand",
                Match.source_id == demand.id,
                Match.target_kind == "achievement",
                Match.target_id == achievement.id,
            )
        )
        if exists is not None:
            made += 1
            continue
        stage = stages[made % len(stages)]
        rng = names.rng_for("deal", demand.source_ref)
        match = Match(
            source_kind="demand",
            source_id=demand.id,
            target_kind="achievement",
            target_id=achievement.id,
            score=round(0.6 + rng.random() * 0.35, 3),
            reasons={"note": "经纪人根据需求与成果内容人工撮合（示例）"},
            status="converted",
            broker_id=broker.id if broker else None,
        )
        session.add(match)
        session.flush()
        amount = _money(rng.random(), 300_000, 3_000_000)
        deal = Deal(
            title=(
                f"{demand.organization.name} × {achievement.organization.name}："
                f"{achievement.title[:30]}"
            ),
            demand_id=demand.id,
            achievement_id=achievement.id,
            match_id=match.id,
            broker_id=broker.id if broker else None,
            seller_id=achievement.organization_id,
            buyer_id=demand.organization_id,
            stage=stage,
            channel=channels[made % len(channels)],
            trade_mode=rng.choice(["transfer", "license", "co_development", "service"]),
            expected_amount=amount,
            broker_fee=(amount * Decimal("0.05")).quantize(Decimal("1")),
            notes="示例对接记录：已完成首次引荐与技术交流。",
            is_sample=True,
        )
        session.add(deal)
        session.flush()
        deal.last_activity_on = TODAY - timedelta(days=rng.randint(1, 30))
        match.created_at = _at(rng.randint(220, 300))
        if stage in ("signed", "implemented"):
            signed = TODAY - timedelta(days=rng.randint(10, 200))
            if stage == "implemented":
                # Accepted before the demo's today, never in its future.
                signed = min(signed, TODAY - ACCEPTED_AFTER - timedelta(days=10))
            deal.signed_on = signed
            session.add(
                Contract(
                    deal_id=deal.id,
                    title=f"技术{_mode_word(deal.trade_mode)}合同：{achievement.title[:40]}",
                    amount=amount,
                    signed_on=signed,
                    registration_no=f"{signed.year}370200{rng.randrange(10**6):06d}",
                    seller_id=achievement.organization_id,
                    buyer_id=demand.organization_id,
                    trade_mode=deal.trade_mode,
                    broker_fee=deal.broker_fee or Decimal(0),
                    milestones=[
                        ContractMilestone(
                            seq=1,
                            name="首付款",
                            due_on=signed + timedelta(days=30),
                            amount=(amount * Decimal("0.3")).quantize(Decimal("0.01")),
                            done_on=signed + timedelta(days=25),
                            evidence="银行回单（示例）",
                        ),
                        ContractMilestone(
                            seq=2,
                            name="中试验收",
                            due_on=signed + timedelta(days=180),
                            amount=(amount * Decimal("0.7")).quantize(Decimal("0.01")),
                            done_on=signed + timedelta(days=170)
                            if stage == "implemented"
                            else None,
                            evidence="中试验收报告（示例）" if stage == "implemented" else "",
                        ),
                    ],
                    status="done" if stage == "implemented" else "performing",
                    accepted_on=signed + ACCEPTED_AFTER if stage == "implemented" else None,
                    is_sample=True,
                )
            )
            city.report.count("contracts")
        _deal_timeline(session, deal, match, broker)
        city.report.count("deals")
        made += 1
        if stage == "signed":
            session.add(
                Bid(
                    demand_id=demand.id,
                    organization_id=achievement.organization_id,
                    team_name=f"{achievement.organization.name}团队",
                    proposal=f"以成果《{achievement.title}》为基础提出解决方案。",
                    amount=amount,
                    score=86.5,
                    status="awarded",
                    live_key=f"org:{achievement.organization_id}",
                )
            )
    session.flush()
    _broker_queue(city, broker, demands, achievements)


# What a broker records at each stage of a demo deal: the note and the next action.
DEAL_STEP_TEXTS = {
    "recommended": ("向双方推送需求与成果，附推荐理由（示例）", "电话联系需求方技术负责人"),
    "contacted": ("双方技术负责人首次交流，需求方有合作意向（示例）", "组织现场考察与技术对接会"),
    "negotiating": (
        "就价格、交易方式与知识产权归属洽谈（示例）",
        "确定合同条款并报双方审批",
    ),
    "signed": ("双方签订技术合同并完成登记（示例）", "跟进首付款与中试节点"),
    "implemented": ("合同节点全部完成，需求方验收（示例）", ""),
}
DEAL_ROAD = ("recommended", "contacted", "negotiating", "signed", "implemented")
# An implemented demo deal's contract is accepted this long after its signature.
ACCEPTED_AFTER = timedelta(days=175)


def _deal_timeline(session: Session, deal: Deal, match: Match, broker: Broker | None) -> None:
    """The steps of a demo deal up to its stage: from a few days after the suggestion to its
    last activity (the signature, or the acceptance of an implemented deal), evenly spaced;
    the last step's next action and due date are the deal's, so its broker's queue has work
    due and overdue."""
    rng = names.rng_for("deal-steps", deal.title)
    road = DEAL_ROAD[: DEAL_ROAD.index(deal.stage) + 1]
    begin = match.created_at.date() + timedelta(days=rng.randint(2, 6))
    # The road to the signature (or to the current stage) is spread evenly from the first
    # contact; an implemented deal is accepted ACCEPTED_AFTER its signature.
    spread = road[: DEAL_ROAD.index("signed") + 1] if deal.stage == "implemented" else road
    if deal.stage in ("signed", "implemented") and deal.signed_on is not None:
        end = deal.signed_on
    else:
        end = deal.last_activity_on or TODAY
    days = (
        [
            begin + timedelta(days=round((end - begin).days * i / (len(spread) - 1)))
            for i in range(len(spread))
        ]
        if len(spread) > 1
        else [end]
    )
    if len(road) > len(spread):
        days.append(end + ACCEPTED_AFTER)
    for stage, day in zip(road, days, strict=True):
        note, next_action = DEAL_STEP_TEXTS[stage]
        due = day + timedelta(days=rng.randint(7, 21)) if next_action else None
        session.add(
            DealStep(
                deal_id=deal.id,
                stage=stage,
                note=note,
                happened_on=day,
                next_action=next_action,
                next_due=due,
                actor_id=broker.user_id if broker else None,
            )
        )
        deal.next_action, deal.next_due = next_action, due
    deal.last_activity_on = days[-1]


QUEUED_FOR_DEMO_BROKER = 4


def _broker_queue(
    city: _City,
    broker: Broker | None,
    demands: Sequence[Demand],
    achievements: dict[str | None, Achievement],
) -> None:
    """Suggestions waiting in the demo broker account's queue.

    The engine's suggestions queued after loading go to the least-loaded brokers, never to the
    demo account (it carries the sample deals), so its queue would hold nothing to act on. The
    next demands (after those with deals) whose answering paper is listed are suggested to it,
    with the keywords both share as the reason; rows already there are kept.
    """
    if broker is None:
        return
    session = city.session
    matched = set(session.scalars(select(Match.source_id).where(Match.source_kind == "demand")))
    open_now = session.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.broker_id == broker.id, Match.status == "suggested")
    )
    wanted = QUEUED_FOR_DEMO_BROKER - int(open_now or 0)
    for demand in demands:
        if wanted <= 0:
            break
        paper_ref = (demand.source_ref or "").split("-", 2)[-1]
        achievement = achievements.get(paper_ref)
        if achievement is None or demand.id in matched or demand.status != "published":
            continue
        shared = [k for k in demand.keywords if k in achievement.keywords][:4]
        rng = names.rng_for("queue", demand.source_ref)
        session.add(
            Match(
                source_kind="demand",
                source_id=demand.id,
                target_kind="achievement",
                target_id=achievement.id,
                score=round(0.7 + rng.random() * 0.25, 3),
                reasons={
                    "共同关键词": shared or achievement.keywords[:3],
                    "依据": "需求所述技术问题与该成果研究内容一致（示例）",
                },
                status="suggested",
                broker_id=broker.id,
                assignment_note="示例：经纪人专长对口，尚有对接容量",
            )
        )
        city.report.count("matches")
        wanted -= 1
        # The bell says so, as for a match the engine queues (one unread item per queue).
        notifications.notify(
            session,
            broker.user_id,
            "match_assigned",
            "新的撮合建议待处理",
            "/brokerage",
            dedupe_key="queue",
        )
    session.flush()


# --- 揭榜挂帅 challenges ------------------------------------------------------------------------

CHALLENGE_CRITERIA = [
    {"name": "技术方案先进性", "weight": 40},
    {"name": "团队能力", "weight": 30},
    {"name": "报价与进度", "weight": 30},
]


def _challenge_for(
    city: _City, demand: Demand, status: str, deadline: date, prize: Decimal
) -> Challenge:
    item = Challenge(
        demand_id=demand.id,
        created_by_id=demand.created_by_id,
        status=status,
        bidding_deadline=deadline,
        phases=[
            {
                "name": "方案征集",
                "starts_on": (deadline - timedelta(days=40)).isoformat(),
                "ends_on": deadline.isoformat(),
                "criteria": "提交技术方案与成熟度证明",
            },
            {
                "name": "攻关与中试验证",
                "starts_on": (deadline + timedelta(days=30)).isoformat(),
                "ends_on": (deadline + timedelta(days=210)).isoformat(),
                "criteria": "达到需求中的必须指标并通过中试",
            },
        ],
        criteria=CHALLENGE_CRITERIA,
        scoring_criteria=CHALLENGE_CRITERIA if status != "bidding" else None,
        prize=prize,
        ip_terms="shared_licence",
        published_at=_at(50),
        is_sample=True,
    )
    city.session.add(item)
    city.session.flush()
    city.report.count("challenges")
    return item


def _demo_bid(city: _City, demand: Demand, org: Organization, amount: Decimal, trl: int) -> Bid:
    bid = Bid(
        demand_id=demand.id,
        organization_id=org.id,
        team_name=f"{org.name}攻关团队",
        proposal=f"面向“{demand.title}”，{org.name}提出分阶段攻关方案：先完成小试验证，再联合企业开展中试。",
        amount=amount,
        trl=trl,
        trl_evidence="小试样品检测报告（示例）",
        schedule="第1—3个月小试验证；第4—9个月中试；第10—12个月验收",
        team_members=[
            {"name": names.person_name("bid", org.id), "role": "负责人", "talent_id": None}
        ],
        attachments=["技术方案.pdf", "检测报告.pdf"],
        status="submitted",
        live_key=f"org:{org.id}",
        submitted_at=_at(20),
    )
    city.session.add(bid)
    city.session.flush()
    return bid


def _challenges(city: _City) -> None:
    """Two enterprise challenges in bidding and one awarded with a contract in progress."""
    session = city.session
    poster = city.users["enterprise"]
    demands = list(
        session.scalars(
            select(Demand)
            .where(
                Demand.organization_id == poster.organization_id,
                Demand.status == "published",
                Demand.list_type == "enterprise",
            )
            .order_by(Demand.id)
            .limit(3)
        )
    )
    if len(demands) < 3 or session.scalar(
        select(Challenge.id).where(Challenge.demand_id.in_([d.id for d in demands]))
    ):
        return
    # Reviewers never score their own unit's bid: bidders come from other universities.
    universities = [u for u in city.universities if u.id != city.users["expert"].organization_id]
    for k, demand in enumerate(demands[:2]):
        _challenge_for(
            city, demand, "bidding", TODAY + timedelta(days=20 + 15 * k), Decimal(800_000 * (k + 1))
        )
        _demo_bid(city, demand, universities[k], Decimal(600_000 + 100_000 * k), 5)
    demand = demands[2]
    item = _challenge_for(
        city, demand, "in_progress", TODAY - timedelta(days=60), Decimal(1_500_000)
    )
    winner = _demo_bid(city, demand, universities[2], Decimal(1_200_000), 6)
    loser = _demo_bid(city, demand, universities[3], Decimal(1_600_000), 4)
    expert = session.scalar(select(Talent).where(Talent.user_id == city.users["expert"].id))
    if expert is not None:
        reviewer = Reviewer(
            challenge_id=item.id,
            talent_id=expert.id,
            user_id=expert.user_id or city.users["expert"].id,
            declared_at=_at(55),
        )
        session.add(reviewer)
        session.flush()
        weights = {str(c["name"]): float(str(c["weight"])) for c in CHALLENGE_CRITERIA}
        for bid, marks in ((winner, (90, 85, 80)), (loser, (75, 70, 60))):
            scores = dict(zip(weights, map(float, marks), strict=True))
            total = round(sum(scores[n] * w for n, w in weights.items()) / 100, 2)
            session.add(
                BidScore(
                    bid_id=bid.id,
                    reviewer_id=reviewer.id,
                    scores=scores,
                    weights=weights,
                    total=total,
                )
            )
    winner.status = "awarded"
    loser.status = "rejected"
    loser.feedback_reason = "cost"
    loser.feedback = "报价高于榜额上限，且中试验证计划不够具体（示例反馈）。"
    item.awarded_bid_id = winner.id
    item.awarded_at = _at(45)
    demand.status = "awarded"
    signed = TODAY - timedelta(days=40)
    session.add(
        Contract(
            challenge_id=item.id,
            title=f"揭榜挂帅合同：{demand.title[:40]}",
            amount=Decimal(1_200_000),
            signed_on=signed,
            registration_no=f"{signed.year}370200{900000 + item.id:06d}",
            trade_mode="co_development",
            seller_id=winner.organization_id,
            buyer_id=demand.organization_id,
            status="performing",
            milestones=[
                ContractMilestone(
                    seq=1,
                    name="小试验证",
                    due_on=signed + timedelta(days=30),
                    amount=Decimal(400_000),
                    done_on=signed + timedelta(days=28),
                    evidence="小试验证报告（示例）",
                ),
                ContractMilestone(
                    seq=2,
                    name="中试验收",
                    due_on=signed + timedelta(days=180),
                    amount=Decimal(800_000),
                ),
            ],
            is_sample=True,
        )
    )
    city.report.count("contracts")
    session.flush()


# --- education chain -------------------------------------------------------------------------


def _education(city: _City) -> None:
    session = city.session
    vocational = [u for u in city.universities if u.description.startswith("专科")]
    undergrad = [u for u in city.universities if u.description.startswith("本科")]
    projects: list[InvestmentProject] = []
    # (name, chain, needs (major, headcount), days from today to opening, classes cover needs):
    # covered projects' linked classes are large enough after retention; the others fall short
    # and have a free class of the right major waiting to be linked (the forecast shows it).
    project_specs = [
        (
            "智能家电产业园三期",
            "smart_home_appliances",
            [("电气自动化技术", 60), ("智能控制技术", 40)],
            210,
            True,
        ),
        (
            "海洋装备配套产业基地",
            "marine_equipment",
            [("船舶工程技术", 50), ("焊接技术与自动化", 40)],
            320,
            False,
        ),
        (
            "新能源汽车零部件项目",
            "new_energy_vehicles",
            [("新能源汽车技术", 80), ("汽车检测与维修技术", 30)],
            -60,
            True,
        ),
        (
            "集成电路封装测试项目",
            "integrated_circuits",
            [("微电子技术", 50), ("电子信息工程技术", 40)],
            400,
            False,
        ),
        (
            "海洋生物医药产业园",
            "marine_biomedicine",
            [("药品生产技术", 40), ("生物技术", 30)],
            250,
            True,
        ),
        (
            "工业互联网创新中心",
            "industrial_internet",
            [("软件技术", 60), ("物联网应用技术", 40)],
            150,
            False,
        ),
        (
            "高端食品饮料产业基地",
            "food_beverage",
            [("食品检验检测技术", 30), ("食品生物技术", 30)],
            380,
            True,
        ),
        (
            "轨道交通装备维保基地",
            "rail_transit",
            [("城市轨道交通车辆技术", 50), ("机电一体化技术", 30)],
            -20,
            False,
        ),
    ]
    districts = sorted(reference.districts_of(QINGDAO))
    covered: dict[int, bool] = {}
    for index, (name, code, needs, days, enough) in enumerate(project_specs):
        full = f"{name}（示例）"
        project = _by_name(session, InvestmentProject, full)
        if project is None:
            rng = names.rng_for(full)
            opening = TODAY + timedelta(days=days)
            project = InvestmentProject(
                name=full,
                organization_id=city.chain_companies[code][index % 3].id,
                chain_id=city.chains[code].id,
                region_code=districts[index % len(districts)],
                opening_date=opening,
                investment=_money(rng.random(), 200_000_000, 3_000_000_000, 10_000_000),
                talent_needs=[
                    {"major": m, "code": "", "year": opening.year, "count": c} for m, c in needs
                ],
                description=(
                    f"{city.chains[code].name}产业链招商引资项目，投产后需要"
                    f"{'、'.join(m for m, _ in needs)}等专业技术技能人才。"
                ),
                status=["signed", "building", "opened"][index % 3] if days > 0 else "opened",
                is_sample=True,
            )
            session.add(project)
            city.report.count("investment_projects")
        projects.append(project)
        covered[len(projects) - 1] = enough
    session.flush()
    retention = Settings.talent_retention_rate
    for index, project in enumerate(projects):
        school = vocational[index % len(vocational)]
        other = vocational[(index + 1) % len(vocational)]
        year = project.opening_date.year if project.opening_date else TODAY.year + 1
        enterprise = project.organization or city.chain_companies["smart_home_appliances"][0]
        short = enterprise.name.replace("青岛", "")[:6]
        for k, need in enumerate(project.talent_needs):
            count = int(need["count"])
            # Covered: enough students that retention still meets the need; else about half.
            students = math.ceil(count / retention) + 2 if covered[index] else count // 2
            classes: list[tuple[str, Organization, int | None, int]] = [
                (f"{short}{need['major']}冠名班", school, project.id, students)
            ]
            if not covered[index] and k == 0:
                # A class of the same major not yet serving any project: linking it closes
                # the gap of the first major.
                spare = math.ceil(count / retention) - students + 3
                classes.append((f"{short}{need['major']}订单班", other, None, spare))
            for class_name, at, project_id, size in classes:
                if (
                    session.scalar(
                        select(NamedClass).where(
                            NamedClass.university_id == at.id, NamedClass.name == class_name
                        )
                    )
                    is None
                ):
                    session.add(
                        NamedClass(
                            name=class_name,
                            university_id=at.id,
                            enterprise_id=enterprise.id,
                            major_name=need["major"],
                            students=size,
                            graduation_year=year,
                            investment_project_id=project_id,
                            is_sample=True,
                        )
                    )
                    city.report.count("named_classes")
    colleges = [
        (
            "海洋装备现代产业学院",
            "marine_equipment",
            0,
            ["船舶与海洋工程", "机械设计制造及其自动化"],
        ),
        ("智能家电现代产业学院", "smart_home_appliances", 1, ["电气工程及其自动化", "自动化"]),
        (
            "集成电路现代产业学院",
            "integrated_circuits",
            2,
            ["微电子科学与工程", "集成电路设计与集成系统"],
        ),
        ("生物医药现代产业学院", "medicine_devices", 3, ["药学", "生物制药"]),
    ]
    for name, code, uni_index, majors in colleges:
        university = undergrad[uni_index % len(undergrad)]
        full = f"{university.name}{name}（示例）"
        if _by_name(session, IndustryCollege, full) is None:
            session.add(
                IndustryCollege(
                    name=full,
                    university_id=university.id,
                    chain_id=city.chains[code].id,
                    partner_names=[c.name for c in city.chain_companies[code][:3]],
                    majors=majors,
                    students=names.rng_for(full).randint(300, 1200),
                    is_sample=True,
                )
            )
            city.report.count("industry_colleges")
    bases = [
        ("智能制造公共实训基地", "smart_manufacturing", ["工业机器人运维", "数控加工", "PLC编程"]),
        ("海洋装备焊接公共实训基地", "marine_equipment", ["船舶焊接", "无损检测"]),
        ("新一代信息技术公共实训基地", "industrial_internet", ["网络运维", "软件测试", "数据标注"]),
        ("现代农业公共实训基地", "modern_agriculture", ["设施园艺", "农机操作与维护"]),
        ("食品加工公共实训基地", "food_beverage", ["食品检验", "发酵工艺"]),
    ]
    for name, code, programmes in bases:
        full = f"青岛示例{name}"
        if _by_name(session, TrainingBase, full) is None:
            rng = names.rng_for(full)
            capacity = rng.randint(8, 30) * 100
            session.add(
                TrainingBase(
                    name=full,
                    organization_id=city.org("platform:training").id,
                    chain_id=city.chains[code].id,
                    yearly_capacity=capacity,
                    trainees_this_year=int(capacity * (0.5 + rng.random() * 0.45)),
                    programmes=programmes,
                    description=f"面向{city.chains[code].name}产业链的公共实训基地，开展订单式培训和技能等级认定。",
                    is_sample=True,
                )
            )
            city.report.count("training_bases")
    consortia = [
        ("青岛市域智能家电产教联合体（示例）", "city", "smart_home_appliances"),
        ("海洋装备行业产教融合共同体（示例）", "industry", "marine_equipment"),
        ("集成电路行业产教融合共同体（示例）", "industry", "integrated_circuits"),
        ("现代农业市域产教联合体（示例）", "city", "modern_agriculture"),
    ]
    for index, (name, kind, code) in enumerate(consortia):
        if _by_name(session, Consortium, name) is None:
            lead = undergrad[index % len(undergrad)]
            consortium = Consortium(
                name=name,
                kind=kind,
                chain_id=city.chains[code].id,
                lead_organization_id=lead.id,
                description=f"由{lead.name}牵头，联合{city.chains[code].name}产业链企业、职业院校共同组建，开展人才共育、技术共研。",
                is_sample=True,
            )
            consortium.members = [
                lead,
                *city.chain_companies[code][:3],
                vocational[index % len(vocational)],
            ]
            session.add(consortium)
            city.report.count("consortia")
    session.flush()


# --- majors universities run (supply for the fit index) --------------------------------------

# Per university (MoE list name, or a prefix for the film academy): (major name, yearly intake,
# first year, chain code for a major opened for a chain or ""). Established majors date from
# 2012 for the demo; the ones with a chain are 新增专业 opened in recent years.
DEMO_OFFERINGS: dict[str, list[tuple[str, int, int, str]]] = {
    "中国海洋大学": [
        ("海洋科学", 120, 2012, ""),
        ("海洋技术", 60, 2012, ""),
        ("船舶与海洋工程", 90, 2012, ""),
        ("水产养殖学", 80, 2012, ""),
        ("海洋渔业科学与技术", 40, 2012, ""),
        ("海洋药学", 40, 2019, "marine_biomedicine"),
        ("食品科学与工程", 80, 2012, ""),
        ("环境工程", 60, 2012, ""),
        ("计算机科学与技术", 120, 2012, ""),
        ("通信工程", 60, 2012, ""),
        ("药学", 60, 2012, ""),
        ("生物技术", 60, 2012, ""),
    ],
    "中国石油大学（华东）": [
        ("石油工程", 240, 2012, ""),
        ("油气储运工程", 120, 2012, ""),
        ("资源勘查工程", 90, 2012, ""),
        ("地球物理学", 60, 2012, ""),
        ("化学工程与工艺", 200, 2012, ""),
        ("过程装备与控制工程", 120, 2012, ""),
        ("机械设计制造及其自动化", 180, 2012, ""),
        ("海洋资源开发技术", 60, 2021, "marine_resources"),
        ("人工智能", 60, 2020, "artificial_intelligence"),
        ("新能源科学与工程", 60, 2021, "new_energy"),
    ],
    "山东科技大学": [
        ("采矿工程", 150, 2012, ""),
        ("测绘工程", 120, 2012, ""),
        ("地质工程", 90, 2012, ""),
        ("电气工程及其自动化", 180, 2012, ""),
        ("自动化", 120, 2012, ""),
        ("机械设计制造及其自动化", 200, 2012, ""),
        ("计算机科学与技术", 180, 2012, ""),
        ("软件工程", 150, 2012, ""),
        ("智能制造工程", 60, 2021, "smart_manufacturing"),
        ("机器人工程", 60, 2020, "smart_manufacturing"),
    ],
    "青岛科技大学": [
        ("高分子材料与工程", 240, 2012, ""),
        ("化学工程与工艺", 240, 2012, ""),
        ("应用化学", 120, 2012, ""),
        ("材料科学与工程", 90, 2012, ""),
        ("制药工程", 90, 2012, ""),
        ("机械设计制造及其自动化", 150, 2012, ""),
        ("数据科学与大数据技术", 60, 2019, "artificial_intelligence"),
        ("功能材料", 60, 2020, "new_materials"),
    ],
    "青岛理工大学": [
        ("土木工程", 300, 2012, ""),
        ("建筑学", 90, 2012, ""),
        ("智能建造", 60, 2020, "green_building"),
        ("建筑环境与能源应用工程", 90, 2012, ""),
        ("机械设计制造及其自动化", 180, 2012, ""),
        ("车辆工程", 90, 2012, ""),
        ("新能源汽车工程", 60, 2022, "new_energy_vehicles"),
        ("环境工程", 60, 2012, ""),
    ],
    "青岛农业大学": [
        ("农学", 150, 2012, ""),
        ("园艺", 120, 2012, ""),
        ("植物保护", 90, 2012, ""),
        ("种子科学与工程", 60, 2012, ""),
        ("水产养殖学", 60, 2012, ""),
        ("食品科学与工程", 120, 2012, ""),
        ("食品质量与安全", 90, 2012, ""),
        ("智慧农业", 60, 2021, "modern_agriculture"),
        ("农业机械化及其自动化", 60, 2012, ""),
        ("生物技术", 60, 2012, ""),
    ],
    "青岛大学": [
        ("临床医学", 300, 2012, ""),
        ("药学", 120, 2012, ""),
        ("护理学", 150, 2012, ""),
        ("纺织工程", 90, 2012, ""),
        ("服装设计与工程", 60, 2012, ""),
        ("电子信息工程", 120, 2012, ""),
        ("计算机科学与技术", 150, 2012, ""),
        ("自动化", 90, 2012, ""),
        ("微电子科学与工程", 60, 2019, "integrated_circuits"),
        ("集成电路设计与集成系统", 60, 2022, "integrated_circuits"),
        ("虚拟现实技术", 40, 2022, "virtual_reality"),
        ("生物医学工程", 60, 2012, ""),
        ("物流管理", 90, 2012, ""),
    ],
    "青岛滨海学院": [
        ("电子信息工程", 90, 2012, ""),
        ("软件工程", 120, 2012, ""),
        ("护理学", 120, 2012, ""),
        ("物流管理", 90, 2012, ""),
        ("机械电子工程", 90, 2012, ""),
    ],
    "青岛恒星科技学院": [
        ("软件工程", 90, 2012, ""),
        ("物联网工程", 60, 2012, ""),
        ("数字媒体艺术", 90, 2012, ""),
        ("动画", 60, 2012, ""),
        ("物流管理", 60, 2012, ""),
    ],
    "青岛黄海学院": [
        ("机械设计制造及其自动化", 120, 2012, ""),
        ("电气工程及其自动化", 90, 2012, ""),
        ("智能制造工程", 60, 2021, "smart_manufacturing"),
        ("护理学", 90, 2012, ""),
    ],
    "青岛理工大学琴岛学院": [
        ("土木工程", 120, 2012, ""),
        ("计算机科学与技术", 90, 2012, ""),
        ("机械设计制造及其自动化", 90, 2012, ""),
    ],
    "青岛工学院": [
        ("机械设计制造及其自动化", 90, 2012, ""),
        ("车辆工程", 60, 2012, ""),
        ("软件工程", 90, 2012, ""),
        ("工业设计", 40, 2012, ""),
        ("新能源汽车工程", 60, 2021, "new_energy_vehicles"),
    ],
    "北京电影学院": [
        ("数字媒体艺术", 120, 2012, ""),
        ("动画", 90, 2012, ""),
        ("数字媒体技术", 60, 2020, "virtual_reality"),
    ],
    "青岛职业技术学院": [
        ("电气自动化技术", 150, 2012, ""),
        ("机电一体化技术", 180, 2012, ""),
        ("工业机器人技术", 90, 2012, ""),
        ("软件技术", 120, 2012, ""),
        ("物联网应用技术", 90, 2012, ""),
        ("智能控制技术", 60, 2022, "smart_home_appliances"),
        ("应用电子技术", 90, 2012, ""),
        ("药品生物技术", 60, 2012, ""),
        ("食品检验检测技术", 60, 2012, ""),
    ],
    "青岛飞洋职业技术学院": [
        ("新能源汽车技术", 60, 2019, "new_energy_vehicles"),
        ("汽车检测与维修技术", 90, 2012, ""),
        ("计算机应用技术", 90, 2012, ""),
    ],
    "山东外贸职业学院": [("现代物流管理", 150, 2012, ""), ("计算机网络技术", 60, 2012, "")],
    "青岛酒店管理职业技术学院": [
        ("食品智能加工技术", 40, 2021, "food_beverage"),
        ("现代物流管理", 60, 2012, ""),
    ],
    "青岛港湾职业技术学院": [
        ("现代物流管理", 150, 2012, ""),
        ("机电一体化技术", 120, 2012, ""),
        ("城市轨道车辆应用技术", 60, 2021, "rail_transit"),
        ("电气自动化技术", 90, 2012, ""),
        ("航海技术", 60, 2012, ""),
    ],
    "青岛求实职业技术学院": [
        ("数字媒体技术", 60, 2012, ""),
        ("计算机应用技术", 90, 2012, ""),
        ("护理", 120, 2012, ""),
    ],
    "青岛远洋船员职业学院": [
        ("航海技术", 200, 2012, ""),
        ("船舶电气工程技术", 60, 2012, ""),
        ("船舶工程技术", 60, 2020, "marine_equipment"),
        ("智能焊接技术", 40, 2022, "marine_equipment"),
    ],
}
DEMO_CONSORTIUM_MAJORS = {
    "smart_home_appliances": (
        ["电气自动化技术", "智能控制技术", "物联网应用技术"],
        ["家电智能制造订单班"],
        400,
    ),
    "marine_equipment": (
        ["船舶与海洋工程", "船舶工程技术", "智能焊接技术"],
        ["船舶焊接", "海工装备运维"],
        360,
    ),
    "integrated_circuits": (
        ["微电子科学与工程", "集成电路设计与集成系统", "微电子技术"],
        ["芯片封装测试实训"],
        240,
    ),
    "modern_agriculture": (
        ["智慧农业", "种子科学与工程", "农学"],
        ["设施园艺", "农机操作与维护"],
        300,
    ),
}

# Campus recruitment by major (校园招聘) posted by chain enterprises: (chain, major, headcount in
# the first year); the same need is posted for three graduation years, growing 15 % a year.
CAMPUS_NEEDS: list[tuple[str, str, int]] = [
    ("integrated_circuits", "集成电路设计与集成系统", 120),
    ("integrated_circuits", "微电子科学与工程", 90),
    ("artificial_intelligence", "人工智能", 150),
    ("artificial_intelligence", "数据科学与大数据技术", 80),
    ("smart_manufacturing", "智能制造工程", 160),
    ("smart_manufacturing", "机械设计制造及其自动化", 200),
    ("smart_manufacturing", "工业机器人技术", 60),
    ("smart_home_appliances", "电气工程及其自动化", 150),
    ("smart_home_appliances", "电气自动化技术", 120),
    ("marine_biomedicine", "海洋药学", 70),
    ("marine_equipment", "船舶与海洋工程", 80),
    ("marine_equipment", "船舶工程技术", 90),
    ("new_energy_vehicles", "新能源汽车工程", 120),
    ("new_energy_vehicles", "车辆工程", 80),
    ("industrial_internet", "软件工程", 200),
    ("industrial_internet", "软件技术", 150),
    ("marine_resources", "石油工程", 60),
    ("green_building", "智能建造", 90),
    ("modern_agriculture", "智慧农业", 80),
    ("virtual_reality", "虚拟现实技术", 60),
    ("medicine_devices", "药学", 60),
    ("food_beverage", "食品科学与工程", 60),
]


def _campus_needs(city: _City) -> None:
    session = city.session
    for index, (code, major, headcount) in enumerate(CAMPUS_NEEDS):
        chain = city.chains.get(code)
        companies = city.chain_companies.get(code) or []
        if chain is None or not companies:
            continue
        for step, year in enumerate((2026, 2027, 2028)):
            ref = f"campus-{code}-{index}-{year}"
            if _by_name(session, TalentNeed, ref, "source_ref") is not None:
                continue
            session.add(
                TalentNeed(
                    organization_id=companies[(index + step) % len(companies)].id,
                    position=f"{year}届校园招聘：{major}",
                    headcount=round(headcount * 1.15**step),
                    requirements=f"{year}届{major}专业毕业生，面向{chain.name}产业链岗位。",
                    major=major,
                    chain_id=chain.id,
                    deadline=date(year, 6, 30),
                    status="filled" if date(year, 6, 30) < TODAY else "open",
                    is_sample=True,
                    source_ref=ref,
                )
            )
            city.report.count("talent_needs")
    session.flush()


def _major_offerings(city: _City) -> None:
    session = city.session
    by_name: dict[tuple[str, str], Major] = {}
    for row in session.scalars(select(Major)):
        by_name[(row.name, row.level)] = row
    schools = [u for u in city.universities]
    for key, rows in DEMO_OFFERINGS.items():
        school = next((u for u in schools if u.name == key or u.name.startswith(key)), None)
        if school is None:
            continue
        vocational = school.description.startswith("专科")
        level, other = (
            ("vocational", "undergraduate") if vocational else ("undergraduate", "vocational")
        )
        for name, intake, first_year, chain_code in rows:
            major = by_name.get((name, level)) or by_name.get((name, other))
            if major is None:
                continue
            exists = session.scalar(
                select(MajorOffering.id).where(
                    MajorOffering.university_id == school.id, MajorOffering.major_id == major.id
                )
            )
            if exists is not None:
                continue
            duration = 5 if name == "临床医学" else 3 if vocational else 4
            chain = city.chains.get(chain_code) if chain_code else None
            session.add(
                MajorOffering(
                    university_id=school.id,
                    major_id=major.id,
                    chain_id=chain.id if chain else None,
                    yearly_intake=intake,
                    duration_years=duration,
                    first_year=first_year,
                    note=f"面向{chain.name}产业链新增专业" if chain else "",
                    is_sample=True,
                )
            )
            city.report.count("major_offerings")
    _campus_needs(city)
    # Consortia and colleges: the lead unit's role, the majors they run and their intake.
    for consortium in session.scalars(select(Consortium).where(Consortium.is_sample.is_(True))):
        session.execute(
            update(consortium_members)
            .where(
                consortium_members.c.consortium_id == consortium.id,
                consortium_members.c.organization_id == consortium.lead_organization_id,
            )
            .values(role="lead")
        )
        code = next((c for c, ch in city.chains.items() if ch.id == consortium.chain_id), "")
        if code in DEMO_CONSORTIUM_MAJORS and not consortium.majors:
            majors, programmes, intake = DEMO_CONSORTIUM_MAJORS[code]
            consortium.majors, consortium.programmes = majors, programmes
            consortium.yearly_intake = intake
    for college in session.scalars(
        select(IndustryCollege).where(
            IndustryCollege.is_sample.is_(True), IndustryCollege.yearly_intake == 0
        )
    ):
        college.yearly_intake = max(60, college.students // 4)
    session.flush()


# --- events and coordination -----------------------------------------------------------------


def _events(city: _City) -> None:
    session = city.session
    published = list(
        session.scalars(
            select(Achievement).where(Achievement.status == "published").order_by(Achievement.id)
        )
    )
    on_chain: dict[int, list[Achievement]] = {}
    for item in published:
        if item.chain_id is not None:
            on_chain.setdefault(item.chain_id, []).append(item)
    # Events feature chains with enough listed achievements to fill a programme of five.
    featured = [c for c in city.chains.values() if len(on_chain.get(c.id, [])) >= 5]
    # (kind, title, days ago, status): past roadshows are closed, the latest one was held last
    # week and its leads are being followed up, December's takes entries now.
    specs: list[tuple[str, str, int, str]] = []
    for month in range(6, 12):
        specs.append(
            (
                "roadshow",
                f"2026年{month}月“好成果”月度路演",
                (TODAY - date(2026, month, 18)).days,
                "closed" if month < 11 else "held",
            )
        )
    specs.append(("roadshow", "2026年12月“好成果”月度路演", -24, "open_for_entries"))
    specs.append(
        ("showcase", "2026年第三季度科技成果汇演", (TODAY - date(2026, 9, 26)).days, "closed")
    )
    specs.append(("showcase", "2026年第四季度科技成果汇演", -30, "planned"))
    for index, (kind, title, days_ago, status) in enumerate(specs):
        if _by_name(session, Event, title, "title") is not None:
            continue
        chain = featured[index % len(featured)]
        event = Event(
            kind=kind,
            title=title,
            starts_at=_at(days_ago, 14),
            location="青岛示例国际技术转移中心路演厅",
            online_url="https://live.example.cn/roadshow" if kind == "roadshow" else "",
            capacity=150 if kind == "roadshow" else 300,
            organizer_id=city.org("office:science").id,
            chain_id=chain.id,
            description=f"聚焦{chain.name}，遴选高校院所优质成果现场路演，企业、投资机构、技术经纪人参会对接。",
            status=status,
            created_by_id=city.users["office"].id,
            is_sample=True,
        )
        session.add(event)
        session.flush()
        programme = on_chain[chain.id][:5]
        entries = []
        for order, achievement in enumerate(programme, 1):
            # December's programme is still being put together: the last entry awaits review.
            pending = status == "open_for_entries" and order == len(programme)
            entry = EventEntry(
                event_id=event.id,
                achievement_id=achievement.id,
                organization_id=achievement.organization_id,
                status="pending" if pending else "approved",
                running_order=None if pending else order,
                presenter=achievement.contact_name,
            )
            session.add(entry)
            entries.append(entry)
        if status != "planned":
            for company in city.chain_companies[chain.code][:3]:
                session.add(
                    EventRegistration(
                        event_id=event.id,
                        organization_id=company.id,
                        attendees=names.rng_for(title, company.name).randint(1, 4),
                        contact_name=company.contact_name,
                    )
                )
        if status == "held":
            # Leads recorded after last week's roadshow: the chain's companies and the
            # achievements they asked about.
            for company, achievement in zip(
                city.chain_companies[chain.code][:3], programme[:3], strict=False
            ):
                session.add(
                    EventLead(
                        event_id=event.id,
                        achievement_id=achievement.id,
                        organization_id=company.id,
                        contact_name=company.contact_name,
                        note="路演后现场交流，希望进一步了解技术参数与转让价格。",
                        created_by_id=city.users["broker"].id,
                    )
                )
        session.flush()
        city.report.count("events")
    _selections(city, published)
    session.flush()


SELECTION_CRITERIA = [
    {"name": "技术先进性", "weight": 40},
    {"name": "成熟度与转化前景", "weight": 35},
    {"name": "经济社会效益", "weight": 25},
]


def _selections(city: _City, published: list[Achievement]) -> None:
    """Last year's annual selection with its published ranked list, and this year's taking
    entries."""
    session = city.session
    past = "2025年度“好成果”优选"
    if _by_name(session, Event, past, "title") is None and len(published) >= 8:
        event = Event(
            kind="selection",
            title=past,
            starts_at=_at((TODAY - date(2026, 1, 16)).days, 9),
            location="青岛示例国际会议中心",
            organizer_id=city.org("office:science").id,
            description="全市高校院所年度优秀科技成果评选，评审专家按加权指标评分，"
            "结果作为“青岛好成果”榜单向社会发布。",
            status="closed",
            criteria=SELECTION_CRITERIA,
            created_by_id=city.users["office"].id,
            is_sample=True,
        )
        session.add(event)
        session.flush()
        # Spread over the catalogue: one achievement in every few, eight entries.
        step = max(len(published) // 8, 1)
        chosen = published[::step][:8]
        entries = [
            EventEntry(
                event_id=event.id,
                achievement_id=a.id,
                organization_id=a.organization_id,
                status="approved",
                running_order=order,
                presenter=a.contact_name,
            )
            for order, a in enumerate(chosen, 1)
        ]
        session.add_all(entries)
        session.flush()
        judges = [t for t in city.talents if t.id is not None][:3]
        expert = session.scalar(select(Talent).where(Talent.user_id == city.users["expert"].id))
        if expert is not None and expert not in judges:
            judges = [expert, *judges[:2]]
        for judge in judges:
            if judge.user_id is not None:
                session.add(
                    EventJudge(
                        event_id=event.id,
                        talent_id=judge.id,
                        user_id=judge.user_id,
                        declared_at=event.starts_at,
                    )
                )
        results: list[tuple[int, list[float]]] = []
        for entry in entries:
            totals = []
            for k, judge in enumerate(judges):
                if judge.organization_id == entry.organization_id:
                    continue  # judges abstain on their own unit's entries
                rng = names.rng_for(past, str(entry.achievement_id), str(judge.id))
                marks = {str(c["name"]): float(rng.randint(70, 96) - k) for c in SELECTION_CRITERIA}
                total, marks = events_service.weighted_total(SELECTION_CRITERIA, marks)
                session.add(
                    ExpertScore(
                        entry_id=entry.id,
                        talent_id=judge.id,
                        score=total,
                        scores=marks,
                        comment="技术先进，产业化路径清晰。",
                    )
                )
                totals.append(total)
            results.append((entry.id, totals))
        by_id = {e.id: e for e in entries}
        for row in events_service.rank(results):
            entry = by_id[row.entry_id]
            entry.rank = row.rank
            entry.final_score = row.mean
            entry.award = events_service.award_for(row.rank)
        event.results_published_at = _at((TODAY - date(2026, 1, 20)).days, 10)
        session.flush()
        city.report.count("events")
    current = "2026年度“好成果”优选"
    if _by_name(session, Event, current, "title") is None:
        session.add(
            Event(
                kind="selection",
                title=current,
                starts_at=_at(-45, 9),
                location="青岛示例国际会议中心",
                organizer_id=city.org("office:science").id,
                description="2026年度优秀科技成果评选，面向全市高校院所征集已发布成果。",
                status="open_for_entries",
                criteria=SELECTION_CRITERIA,
                created_by_id=city.users["office"].id,
                is_sample=True,
            )
        )
        session.flush()
        city.report.count("events")


def _coordination(city: _City) -> None:
    session = city.session
    meetings = [
        ("2026年第三季度人才、教育、科技工作会商会议（示例）", "2026Q3", date(2026, 9, 20)),
        ("2026年第四季度人才、教育、科技工作会商会议（示例）", "2026Q4", date(2026, 11, 18)),
    ]
    office_user = city.users.get("office")
    ic, home = city.chains["integrated_circuits"], city.chains["smart_home_appliances"]
    for title, quarter, held_on in meetings:
        if _by_name(session, JointMeeting, title, "title") is not None:
            continue
        latest = quarter == "2026Q4"
        meeting = JointMeeting(
            title=title,
            quarter=quarter,
            held_on=held_on,
            location="市政府第三会议室",
            offices=["市委人才办", "市教育局", "市科学技术局"],
            attendees=["市委人才办 分管副主任", "市教育局 职成处处长", "市科学技术局 成果处处长"],
            minutes="会议通报了四链融合重点任务进展，研究了技术需求榜单对接、冠名班扩招与中试平台建设等事项。",
            created_by_id=office_user.id if office_user else None,
            is_sample=True,
        )
        session.add(meeting)
        session.flush()
        agenda = [
            ("集成电路、智能家电新投产项目的人才到岗", ic),
            ("揭榜中长期未对接的技术需求", None),
            ("产业人才薪酬补贴兑现", None),
        ]
        items = [
            AgendaItem(
                meeting_id=meeting.id,
                seq=k + 1,
                title=text,
                chain_id=chain.id if chain else None,
                records=[{"kind": "chain", "id": chain.id, "title": chain.name}] if chain else [],
            )
            for k, (text, chain) in enumerate(agenda)
        ]
        session.add_all(items)
        session.flush()
        decisions = [
            (
                "扩大集成电路、智能家电冠名班招生规模，对接新投产招商项目用工需求。",
                "市教育局",
                "完成冠名班扩招计划",
                [ic, home],
            ),
            (
                "对揭榜中超过90天未对接的技术需求，安排技术经纪人主动撮合。",
                "市科学技术局",
                "梳理长期未对接需求清单",
                [],
            ),
            ("研究产业人才薪酬补贴兑现流程，压缩审核时限。", "市委人才办", "修订补贴审核流程", []),
        ]
        for k, (content, lead, task, concerned) in enumerate(decisions):
            # In the latest meeting the science office's list was due ten days later and is
            # still open: the demo's one overdue task (flagged and in the office's bell).
            due = held_on + timedelta(days=10 if latest and k == 1 else 45)
            decision = Decision(
                meeting_id=meeting.id,
                content=content,
                lead_office=lead,
                due_date=due,
                agenda_item_id=items[k].id,
                records=[{"kind": "chain", "id": c.id, "title": c.name} for c in concerned],
            )
            session.add(decision)
            session.flush()
            status = ["in_progress", "open", "done"][k] if latest else "done"
            follow = FollowUpTask(
                decision_id=decision.id,
                title=task,
                assignee_id=city.org(["office:education", "office:science", "office:talent"][k]).id,
                assignee_user_id=office_user.id if office_user else None,
                due_date=due,
                status=status,
                progress="已召开专题推进会。" if status != "open" else "",
            )
            session.add(follow)
            session.flush()
            if status != "open":
                session.add(
                    ProgressNote(
                        task_id=follow.id,
                        noted_on=held_on + timedelta(days=20),
                        note="已召开专题推进会。",
                        status=status,
                        author_id=office_user.id if office_user else None,
                    )
                )
        city.report.count("joint_meetings")
    session.flush()


def _innovation(city: _City) -> None:
    """Innovation consortia with their projects, and the co-built R&D institutes."""
    innovation.consortia(city, TODAY)
    innovation.institutes(city, TODAY, INSTITUTES, "office:science")


def _totals(session: Session, report: DemoReport) -> None:
    models: dict[str, Any] = {
        "organizations": Organization,
        "users": User,
        "industry_chains": IndustryChain,
        "achievements": Achievement,
        "demands": Demand,
        "talents": Talent,
        "talent_needs": TalentNeed,
        "platforms": Platform,
        "brokers": Broker,
        "deals": Deal,
        "contracts": Contract,
        "challenges": Challenge,
        "named_classes": NamedClass,
        "investment_projects": InvestmentProject,
        "events": Event,
        "joint_meetings": JointMeeting,
        "innovation_consortia": InnovationConsortium,
        "common_tech_projects": CommonTechProject,
        "rd_institutes": RdInstitute,
    }
    for key, model in models.items():
        report.totals[key] = int(session.scalar(select(func.count()).select_from(model)) or 0)


def _no_progress(_description: str, _fraction: float | None = None) -> None:
    return None


# --- subsidies and training ------------------------------------------------------------------

# title, kind, formula, fact label, rate %, fixed amount, per-application max, cap per unit-year,
# eligible unit kinds, terms.
DEMO_POLICIES: list[
    tuple[str, str, str, str, str | None, int | None, int | None, int, list[str], str]
] = [
    (
        "中试平台建设支持政策（示例）",
        "pilot_platform",
        "percentage",
        "设备投入",
        "30",
        None,
        20_000_000,
        20_000_000,
        ["platform", "enterprise", "institute"],
        "对新认定的市级中试平台，按设备投入的30%给予支持，单个平台每年最高2000万元。",
    ),
    (
        "产业人才薪酬补贴（示例）",
        "salary_subsidy",
        "percentage",
        "引进人才年薪",
        "20",
        None,
        500_000,
        1_000_000,
        ["enterprise"],
        "对重点产业链企业按薪定才引进的人才，按年薪的20%给予补贴，每人最高50万元，每家企业每年最高100万元。",
    ),
    (
        "市场化引才奖励（示例）",
        "headhunting",
        "percentage",
        "猎头费用",
        "50",
        None,
        300_000,
        1_000_000,
        ["enterprise", "university", "institute"],
        "通过猎头机构引进高层次人才的，按猎头费用的50%给予补贴，单笔最高30万元，每家单位每年最高100万元。",
    ),
    (
        "科技成果转化奖补（示例）",
        "achievement_transfer",
        "percentage",
        "技术交易额",
        "5",
        None,
        None,
        3_000_000,
        [],
        "对登记的技术合同，按技术交易额的5%给予奖补，每家单位每年最高300万元。",
    ),
    (
        "技能培训补贴（示例）",
        "training",
        "per_person",
        "",
        None,
        2_000,
        None,
        500_000,
        ["enterprise", "platform"],
        "组织职工参加公共实训基地培训并取得证书的，按每人2000元给予补贴，每家单位每年最高50万元。",
    ),
]
# policy index, unit key (None: the demo enterprise's own), fact amount, persons, status.
DEMO_APPLICATIONS: list[tuple[int, str | None, int | None, int | None, str]] = [
    (0, "platform:pilot_base", 40_000_000, None, "paid"),
    (0, "platform:pilot_base", 30_000_000, None, "submitted"),  # would pass the 20M cap
    (1, None, 1_200_000, None, "approved"),
    (1, None, 3_000_000, None, "approved"),  # 60万 capped at 50万 per application
    (1, None, 2_000_000, None, "submitted"),  # 40万 on top of 74万 would pass the 100万 cap
    (1, "leader:marine_equipment", 900_000, None, "paid"),
    (1, "leader:marine_equipment", 600_000, None, "draft"),
    (2, None, 360_000, None, "returned"),
    (2, "leader:marine_equipment", 500_000, None, "rejected"),
    (3, None, 8_000_000, None, "submitted"),
    (4, "leader:marine_equipment", None, 35, "approved"),
]


def _subsidies(city: _City) -> None:
    session = city.session
    policies: list[Policy] = []
    for title, kind, formula, label, rate, fixed, most, cap, kinds, content in DEMO_POLICIES:
        policy = _by_name(session, Policy, title, "title")
        if policy is None:
            policy = Policy(
                title=title,
                kind=kind,
                issuer="市委人才办"
                if kind in ("salary_subsidy", "headhunting")
                else "市科学技术局",
                eligibility="在本市注册、纳税，信用良好的单位。",
                eligible_kinds=kinds,
                content=content,
                formula=formula,
                fact_label=label,
                rate=Decimal(rate) if rate else None,
                fixed_amount=Decimal(fixed) if fixed else None,
                per_application_max=Decimal(most) if most else None,
                cap_per_org_year=Decimal(cap),
                valid_from=date(2025, 1, 1),
                valid_to=date(2027, 12, 31),
            )
            session.add(policy)
            session.flush()
            city.report.count("policies")
        policies.append(policy)
    if session.scalar(select(SubsidyApplication.id).where(SubsidyApplication.is_sample)):
        return
    own = city.users["enterprise"]
    for index, (which, key, fact, persons, status) in enumerate(DEMO_APPLICATIONS):
        policy = policies[which]
        org = city.org(key) if key else city.org("leader:new_materials")
        result = subsidies_service.compute(policy, Decimal(fact) if fact else None, persons)
        decided = datetime(2026, 6 + index % 5, 10 + index, tzinfo=UTC)
        session.add(
            SubsidyApplication(
                policy_id=policy.id,
                organization_id=org.id,
                year=2026,
                fact_amount=Decimal(fact) if fact else None,
                persons=persons,
                amount=result.amount,
                computation=result.text,
                reason="按政策条款申报，佐证材料已线下报送（示例）。",
                status=status,
                review_remarks={
                    "returned": "请补充猎头服务合同和发票。",
                    "rejected": "引进人员不符合高层次人才认定条件。",
                }.get(status, ""),
                submitted_at=None if status == "draft" else decided,
                decided_at=decided
                if status in ("approved", "paid", "returned", "rejected")
                else None,
                paid_on=date(2026, 10, 15) if status == "paid" else None,
                created_by_id=own.id if key is None else None,
                is_sample=True,
            )
        )
        city.report.count("subsidy_applications")
    session.flush()


# base name suffix, programme, skills, hours, start, end, seats.
DEMO_PROGRAMMES: list[tuple[str, str, list[str], int, date, date, int]] = [
    (
        "智能制造公共实训基地",
        "工业机器人运维（中级）",
        ["工业机器人运维", "PLC编程"],
        120,
        date(2026, 3, 2),
        date(2026, 4, 30),
        300,
    ),
    (
        "智能制造公共实训基地",
        "数控加工技能提升班",
        ["数控加工"],
        80,
        date(2027, 1, 11),
        date(2027, 2, 26),
        2,
    ),
    (
        "海洋装备焊接公共实训基地",
        "船舶焊接（高级工）",
        ["船舶焊接", "无损检测"],
        160,
        date(2026, 5, 11),
        date(2026, 7, 31),
        240,
    ),
    (
        "海洋装备焊接公共实训基地",
        "无损检测二级认证班",
        ["无损检测"],
        96,
        date(2027, 3, 1),
        date(2027, 4, 30),
        120,
    ),
    (
        "新一代信息技术公共实训基地",
        "网络运维工程师",
        ["网络运维", "软件测试"],
        100,
        date(2026, 9, 7),
        date(2026, 11, 20),
        400,
    ),
    (
        "现代农业公共实训基地",
        "设施园艺技术员",
        ["设施园艺"],
        64,
        date(2026, 4, 6),
        date(2026, 5, 29),
        150,
    ),
    (
        "食品加工公共实训基地",
        "食品检验员",
        ["食品检验"],
        72,
        date(2027, 2, 22),
        date(2027, 4, 16),
        180,
    ),
]


def _training(city: _City) -> None:
    session = city.session
    if session.scalar(select(TrainingProgramme.id).where(TrainingProgramme.is_sample)):
        return
    people = [city.users[name] for name in ("expert", "enterprise", "enterprise2", "university")]
    for index, (suffix, name, skills, hours, start, end, seats) in enumerate(DEMO_PROGRAMMES):
        base = _by_name(session, TrainingBase, f"青岛示例{suffix}")
        if base is None:
            continue
        finished = end < TODAY
        enrolled = people[:2] if index % 2 == 0 or seats <= 2 else people[:1]
        programme = TrainingProgramme(
            base_id=base.id,
            organization_id=base.organization_id,
            name=name,
            chain_id=base.chain_id,
            skills=skills,
            hours=hours,
            starts_on=start,
            ends_on=end,
            seats=seats,
            taken=len(enrolled),
            description=f"{base.name}开设的{name}，理论与实操结合，结业考核合格颁发培训合格证书。",
            status="closed" if finished else "open",
            is_sample=True,
        )
        session.add(programme)
        session.flush()
        for k, person in enumerate(enrolled):
            session.add(
                Enrolment(
                    programme_id=programme.id,
                    user_id=person.id,
                    status="completed" if finished else "enrolled",
                    enrolled_at=datetime.combine(start, datetime.min.time(), UTC),
                    completed_on=end if finished else None,
                    certificate_no=f"QDSX{start.year}{programme.id:03d}{k + 1:03d}"
                    if finished
                    else None,
                    is_sample=True,
                )
            )
        city.report.count("training_programmes")
    session.flush()


def _returns(city: _City) -> None:
    """The office's return of each sample record the demo shows as returned, in the audit log
    as the workflow writes it, so that once the unit resubmits, the reviewer's page lists what
    changed since the return. A record whose return is already logged is left alone."""
    session = city.session
    office = city.users.get("office")
    logged: set[tuple[str, int]] = {
        (row.entity_type, row.entity_id)
        for row in session.execute(
            select(AuditLog.entity_type, AuditLog.entity_id).where(AuditLog.action == "return")
        )
    }
    returned: list[tuple[Achievement | Demand, str]] = [
        (a, "成果")
        for a in session.scalars(
            select(Achievement)
            .where(Achievement.status == "returned", Achievement.is_sample)
            .order_by(Achievement.id)
        )
    ]
    returned += [
        (d, "需求")
        for d in session.scalars(
            select(Demand).where(Demand.status == "returned", Demand.is_sample).order_by(Demand.id)
        )
    ]
    for item, noun in returned:
        if (type(item).__tablename__, item.id) in logged:
            continue
        remarks = item.review_remarks
        audit.record(
            session,
            actor=office,
            action="return",
            entity=item,
            changes={"status": ["submitted", "returned"], "review_remarks": remarks},
            summary=f"退回修改{noun}：{item.title}" + (f"（{remarks}）" if remarks else ""),
        )
    session.flush()


def load_demo(database_url: str | None = None, progress: Progress | None = None) -> DemoReport:
    """Build (or complete) the demo city in one transaction; returns what was added."""
    step: Progress = progress or _no_progress
    report = DemoReport()
    with session_scope(database_url) as session:
        city = _City(session, report)
        stages: list[tuple[str, Callable[[], None]]] = [
            ("参考数据与产业链", lambda: _reference(city)),
            ("机构", lambda: _organizations(city)),
            ("演示账号", lambda: _users(city)),
            ("科技成果", lambda: _achievements(city, step)),
            ("技术需求", lambda: _demands(city, step)),
            ("退回记录", lambda: _returns(city)),
            ("按薪定才标准", lambda: _salary_grade_rules(city)),
            ("专家人才", lambda: _talents(city)),
            ("人才需求与产才融合项目", lambda: _talent_needs_and_projects(city)),
            ("岗位申请与共引共享", lambda: _hiring(city)),
            ("中试平台", lambda: _platforms(city)),
            ("技术经纪与对接", lambda: _brokerage(city)),
            ("揭榜挂帅", lambda: _challenges(city)),
            ("产教融合", lambda: _education(city)),
            ("高校开设专业", lambda: _major_offerings(city)),
            ("路演活动", lambda: _events(city)),
            ("统筹会商", lambda: _coordination(city)),
            ("创新联合体与新型研发机构", lambda: _innovation(city)),
            ("政策与补贴", lambda: _subsidies(city)),
            ("实训项目", lambda: _training(city)),
        ]
        for index, (label, run) in enumerate(stages):
            step(label, index / len(stages))
            run()
        added = sum(report.added.values())
        if added:
            session.add(
                AuditLog(
                    actor_name="system",
                    action="demo_load",
                    entity_type="demo",
                    entity_id=0,
                    summary=f"加载示例城市，新增 {added} 条记录",
                    changes=dict(report.added),
                )
            )
        _totals(session, report)
        step("完成", 1.0)
    return report
