"""Who may do what: one declared table of role × action plus the ownership rule.

Services, pages, the API and the permission-matrix test all read ``PERMISSIONS``; no feature
compares ``user.role`` with a literal. An action is ``"<record>.<verb>"``. A rule names the roles
that may do it on *any* record (``anyone``) and the roles that may do it on records their own
unit owns (``owner``). Actions that create a record (no record yet) are allowed to both sets.
Status rules ("only drafts can be edited") stay in each feature's service: this table says
*who*, the workflow says *when*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, true

from silian.core.errors import PermissionDenied
from silian.core.roles import ROLES

ALL_ROLES: frozenset[str] = frozenset(value for value, _label in ROLES)
OFFICE: frozenset[str] = frozenset({"office"})


@dataclass(frozen=True)
class Rule:
    """Roles allowed an action on any record, and roles allowed it on records they own."""

    anyone: frozenset[str] = frozenset()
    owner: frozenset[str] = frozenset()
    message: str = "您的角色无权执行此操作"

    @property
    def roles(self) -> frozenset[str]:
        """Every role that may do this action on some record."""
        return self.anyone | self.owner


def _rule(anyone: Iterable[str] = (), owner: Iterable[str] = (), message: str = "") -> Rule:
    return Rule(frozenset(anyone), frozenset(owner), message or "您的角色无权执行此操作")


PUBLISHERS = ("university", "expert", "office", "platform")
POSTERS = ("enterprise", "office")
NEED_POSTERS = ("enterprise", "university", "office")
SOLVERS = ("expert", "university", "enterprise", "platform")
PLATFORM_OPERATORS = ("platform", "enterprise", "university")
BOOKERS = ("enterprise", "university", "expert")
SUBSIDY_APPLICANTS = ("enterprise", "university", "platform")
TRAINING_BASE_UNITS = ("platform", "university")

PERMISSIONS: dict[str, Rule] = {
    # Listings under review (achievements, demands): create, edit, review, read drafts.
    "achievement.create": _rule(
        owner=PUBLISHERS, message="只有高校、专家、平台和政府部门可以发布成果"
    ),
    "achievement.edit": _rule(OFFICE, PUBLISHERS, "您不能修改此成果"),
    "achievement.view_unpublished": _rule(OFFICE, ALL_ROLES),
    "achievement.view_remarks": _rule(OFFICE, ALL_ROLES),
    "achievement.submit": _rule(OFFICE, ALL_ROLES, "只有发布单位可以执行此操作"),
    "achievement.withdraw": _rule(OFFICE, ALL_ROLES, "只有发布单位可以执行此操作"),
    "achievement.review": _rule(OFFICE, message="只有政府部门可以审核"),
    "achievement.import": _rule(OFFICE, PUBLISHERS, "您的角色不能导入成果"),
    "demand.create": _rule(owner=POSTERS, message="只有企业和政府部门可以发布需求"),
    "demand.create_government_list": _rule(OFFICE, message="政府榜由政府部门发布"),
    "demand.edit": _rule(OFFICE, POSTERS, "您不能修改此需求"),
    "demand.view_unpublished": _rule(OFFICE, ALL_ROLES),
    # Certified brokers work under confidentiality agreements with the platform.
    "demand.view_confidential": _rule(OFFICE | {"broker"}, ALL_ROLES),
    "demand.view_remarks": _rule(OFFICE, ALL_ROLES),
    "demand.submit": _rule(OFFICE, ALL_ROLES, "只有发布单位可以执行此操作"),
    "demand.withdraw": _rule(OFFICE, ALL_ROLES, "只有发布单位可以执行此操作"),
    "demand.review": _rule(OFFICE, message="只有政府部门可以审核"),
    "demand.import": _rule(OFFICE, POSTERS, "您的角色不能导入需求"),
    # Talent chain.
    "talent.view_hidden": _rule(OFFICE, ALL_ROLES),
    "talent.edit": _rule(OFFICE, ALL_ROLES, "您不能修改此人才档案"),
    # A talent's own profile is kept by the person, through an expert account.
    "talent.keep_profile": _rule(owner=("expert",), message="只有专家人才账号可以维护个人档案"),
    "talent_need.create": _rule(
        owner=NEED_POSTERS, message="只有企业、高校和政府部门可以发布人才需求"
    ),
    "talent_need.edit": _rule(OFFICE, NEED_POSTERS, "只有需求单位可以修改此人才需求"),
    # The project register is the offices'; a unit's members see their own unit's projects.
    "talent_project.list": _rule(OFFICE, message="产才融合项目仅对政府部门开放"),
    "talent_project.view": _rule(OFFICE, ALL_ROLES, "产才融合项目仅对政府部门开放"),
    "salary_rule.view": _rule(owner=ALL_ROLES, message="请登录后查看按薪定才标准"),
    "salary_rule.edit": _rule(OFFICE, message="只有政府部门可以修改按薪定才标准"),
    # Education chain.
    "named_class.create": _rule(OFFICE, ("university",), "只有政府部门和高校院所可以创建冠名班"),
    "named_class.edit": _rule(OFFICE, ("university",), "您不能修改此冠名班"),
    # Reference data and units.
    "chain.view_inactive": _rule(OFFICE),
    "chain.edit": _rule(OFFICE, message="只有政府部门可以维护产业链"),
    "organization.view_inactive": _rule(OFFICE, ALL_ROLES),
    "organization.view_drafts": _rule(OFFICE, ALL_ROLES),
    # Matching.
    "match.feedback": _rule(owner=ALL_ROLES, message="当前角色不能评价推荐结果"),
    "investment_project.view_matches": _rule(
        OFFICE, ALL_ROLES, "只有政府部门和项目单位可以查看招商项目的匹配结果"
    ),
    # Work areas: the review queue, brokerage and the joint meetings.
    "review.view": _rule(OFFICE, message="您的角色无权访问此页面"),
    "brokerage.view": _rule(OFFICE | {"broker"}, message="您的角色无权访问此页面"),
    "coordination.view": _rule(OFFICE, message="您的角色无权访问此页面"),
    # 揭榜挂帅 challenges: the poster (enterprise, or office for 政府榜) sets a challenge up on its
    # own published demand; the office publishes it. The poster runs a 企业榜's evaluation
    # (the service keeps 政府榜 evaluation to the office).
    "challenge.create": _rule(OFFICE, ("enterprise",), "只有发榜单位和政府部门可以设置揭榜挂帅"),
    "challenge.edit": _rule(OFFICE, ("enterprise",), "您不能修改此揭榜挂帅设置"),
    "challenge.publish": _rule(OFFICE, message="揭榜挂帅由政府部门发布"),
    "challenge.manage": _rule(OFFICE, ("enterprise",), "只有发榜单位和政府部门可以组织评审"),
    "challenge.view_bids": _rule(OFFICE, ("enterprise",), "只有发榜单位和政府部门可以查看揭榜方案"),
    "bid.submit": _rule(owner=SOLVERS, message="只有专家、高校、企业和平台可以揭榜"),
    "bid.edit": _rule(owner=SOLVERS, message="只能修改本单位的揭榜方案"),
    # Reviewers are assigned per challenge; the service checks the assignment.
    "bid.review": _rule(owner=ALL_ROLES, message="您不是此榜单的评审专家"),
    # Brokerage: the office oversees and reassigns; brokers work deals in their own queue.
    "match.assign": _rule(OFFICE, message="只有政府部门可以分派经纪人"),
    "deal.open": _rule(OFFICE, ("broker",), "只有技术经纪人和政府部门可以发起对接"),
    "deal.advance": _rule(OFFICE, ("broker",), "只有负责此对接的经纪人可以更新进展"),
    "deal.view": _rule(OFFICE, ("broker", "enterprise", "university", "expert", "platform")),
    "contract.create": _rule(
        OFFICE, ("enterprise", "broker"), "只有签约方、经纪人和政府部门可以登记合同"
    ),
    "contract.edit": _rule(OFFICE, ALL_ROLES, "只有合同当事方和政府部门可以更新合同"),
    "contract.view": _rule(OFFICE, ALL_ROLES, "您无权查看此合同"),
    "contract.accept": _rule(OFFICE, ("enterprise",), "只有委托方（买方）和政府部门可以验收"),
    "brokerage.figures": _rule(OFFICE | {"broker"}, message="只有政府部门和经纪人可以查看撮合统计"),
    # Hiring (issue 13): applications and hires, co-shared dispatches, 产才融合 projects and
    # recommendations. An application belongs to the need's unit (which moves it through its
    # stages) and to the talent's own account (which may withdraw it).
    "application.apply": _rule(owner=("expert",), message="只有专家人才账号可以申请岗位"),
    # Enterprises recommend only while holding 自主荐才权 (checked by the service).
    "application.recommend": _rule(
        OFFICE | {"broker"}, ("enterprise",), "只有技术经纪人和获得自主荐才权的企业可以推荐人才"
    ),
    "application.view": _rule(OFFICE, ALL_ROLES, "您无权查看此申请"),
    "application.advance": _rule(OFFICE, NEED_POSTERS, "只有岗位所属单位可以处理申请"),
    "application.withdraw": _rule(owner=("expert",), message="只有申请人本人可以撤回申请"),
    "hire.view": _rule(OFFICE, ALL_ROLES, "您无权查看此录用记录"),
    "hire.dispatch": _rule(OFFICE, NEED_POSTERS, "只有岗位所属单位可以登记派驻"),
    "hire.link_achievement": _rule(OFFICE, NEED_POSTERS, "只有岗位所属单位可以关联场景成果"),
    "talent_project.apply": _rule(OFFICE, ("enterprise",), "只有企业可以申报产才融合项目"),
    "talent_project.review": _rule(OFFICE, message="只有政府部门可以评审产才融合项目"),
    "recommendation.create": _rule(
        owner=("enterprise",), message="只有项目企业可以依据所获权限推荐人才"
    ),
    "recommendation.view": _rule(OFFICE, ALL_ROLES, "您无权查看此推荐"),
    "recommendation.confirm": _rule(OFFICE, message="只有政府部门可以确认人才推荐"),
    "hiring.figures": _rule(OFFICE, message="只有政府部门可以查看引才统计"),
    "notification.read": _rule(owner=ALL_ROLES, message="只能查看自己的提醒"),
    # Acting for others, reporting.
    # Platforms and bookings (issue #12 part 3): the unit operating a platform publishes its
    # services and decides on bookings; enterprises and university or institute teams book.
    "platform_service.create": _rule(
        OFFICE, PLATFORM_OPERATORS, "只有平台运营单位和政府部门可以发布平台服务"
    ),
    "booking.request": _rule(owner=BOOKERS, message="只有企业和高校院所团队可以预约平台服务"),
    "booking.decide": _rule(OFFICE, PLATFORM_OPERATORS, "只有平台运营单位可以确认或拒绝预约"),
    "booking.complete": _rule(OFFICE, PLATFORM_OPERATORS, "只有平台运营单位可以登记服务完成"),
    "booking.cancel": _rule(OFFICE, BOOKERS, "只有预约单位和平台运营单位可以取消预约"),
    "booking.view": _rule(OFFICE, ALL_ROLES, "您无权查看此预约"),
    # Broker training and certification (issue #12 part 6): the office runs the courses.
    "training.manage": _rule(OFFICE, message="只有政府部门可以组织经纪人培训、登记成绩和发证"),
    "training.view_trainees": _rule(OFFICE, message="学员名单仅对政府部门开放"),
    # Dashboard (insights/dashboard.py): roles allowed on any record read the whole city's
    # figures; the others read the same figures for the records of their own unit.
    "dashboard.view": _rule(OFFICE, ALL_ROLES, "请登录后查看数据看板"),
    "record.enter_for_any_unit": _rule(OFFICE),
    "audit.view": _rule(OFFICE, ALL_ROLES),
    # Subsidies (政策与补贴申请): the office keeps policies, reviews, approves and pays;
    # units apply for themselves.
    "policy.edit": _rule(OFFICE, message="只有政府部门可以维护政策"),
    "subsidy.apply": _rule(OFFICE, SUBSIDY_APPLICANTS, "只有企业、高校院所和平台可以申请补贴"),
    "subsidy.view": _rule(OFFICE, SUBSIDY_APPLICANTS, "您无权查看此补贴申请"),
    "subsidy.edit": _rule(OFFICE, SUBSIDY_APPLICANTS, "只有申请单位可以修改此补贴申请"),
    "subsidy.submit": _rule(OFFICE, SUBSIDY_APPLICANTS, "只有申请单位可以提交此补贴申请"),
    "subsidy.review": _rule(OFFICE, message="只有政府部门可以审核补贴申请"),
    "subsidy.pay": _rule(OFFICE, message="只有政府部门可以登记拨付"),
    # Training (实训基地培训项目): a base's unit publishes programmes and records completions;
    # anyone signed in enrols and may withdraw their own enrolment.
    "training_programme.create": _rule(
        OFFICE, TRAINING_BASE_UNITS, "只有实训基地和政府部门可以发布培训项目"
    ),
    "training_programme.edit": _rule(
        OFFICE, TRAINING_BASE_UNITS, "只有本基地和政府部门可以管理此培训项目"
    ),
    "training.enrol": _rule(owner=ALL_ROLES, message="请登录后报名"),
    "enrolment.withdraw": _rule(OFFICE, ALL_ROLES, "只能退出本人的报名"),
    "training.report": _rule(OFFICE, TRAINING_BASE_UNITS, "只有政府部门和实训基地可以查看培训统计"),
    # Joint meetings (会商), gaps and the quarterly briefing: the three offices' desk.
    "meeting.view": _rule(OFFICE, message="联席会商仅对政府部门开放"),
    "meeting.manage": _rule(OFFICE, message="只有政府部门可以安排会商、议定事项和督办任务"),
    "task.progress": _rule(OFFICE, message="只有政府部门可以更新督办进展"),
    "gap.view": _rule(OFFICE, message="短板预警仅对政府部门开放"),
    "briefing.download": _rule(OFFICE, message="季度简报仅对政府部门开放"),
    # --- Workspaces (/my) ---
    # Unit accounts act for their whole unit and list its records; a person (an expert) lists
    # their own records, with the unit's counted beside.
    "workspace.unit_listings": _rule(owner=("office", "university", "enterprise", "platform")),
    # Events (路演、汇演、年度优选): the office runs them; universities and experts enter their
    # own published achievements; enterprises register attendees; judges are assigned per
    # selection (the service checks the assignment); the office and brokers record leads.
    "event.manage": _rule(OFFICE, message="只有政府部门可以组织路演活动"),
    "event.view_planned": _rule(OFFICE),
    "event_entry.create": _rule(
        OFFICE, ("university", "expert"), "只有高校院所和专家可以报名本单位已发布的成果"
    ),
    "event_registration.create": _rule(owner=("enterprise",), message="只有企业可以报名参会"),
    "event_registration.view": _rule(OFFICE, ALL_ROLES, "只有政府部门和报名单位可以查看报名"),
    "event_score.submit": _rule(owner=("expert",), message="您不是此次评选的评审专家"),
    "event_lead.record": _rule(OFFICE | {"broker"}, message="只有政府部门和技术经纪人可以登记意向"),
    "event_lead.convert": _rule(
        OFFICE | {"broker"}, message="只有政府部门和技术经纪人可以把意向转为对接"
    ),
    "event.suggest": _rule(OFFICE, message="只有政府部门可以查看路演成果推荐"),
    # Investment projects (招商引资项目, issue 13 part 5): the offices keep the register, link
    # named classes to it and import it; the register has no review (RecordViews.reviewed).
    "investment_project.create": _rule(OFFICE, message="只有政府部门可以登记招商引资项目"),
    "investment_project.edit": _rule(OFFICE, message="只有政府部门可以修改招商引资项目"),
    "investment_project.link_class": _rule(
        OFFICE, message="只有政府部门可以为招商引资项目对接冠名班"
    ),
    "investment_project.import": _rule(OFFICE, message="只有政府部门可以导入招商引资项目"),
    "named_class.import": _rule(OFFICE, ("university",), "只有政府部门和高校院所可以导入冠名班"),
    "talent_need.import": _rule(OFFICE, NEED_POSTERS, "只有企业、高校和政府部门可以导入人才需求"),
    "subsidy.import": _rule(OFFICE, SUBSIDY_APPLICANTS, "您的角色不能导入补贴申请"),
    # Innovation consortia and co-built R&D institutes (issue #12 parts 4 and 5): the office
    # forms consortia and records institutes; a consortium's lead enterprise runs its projects.
    "consortium.manage": _rule(OFFICE, message="只有政府部门可以组建和修改创新联合体"),
    "consortium_project.manage": _rule(
        OFFICE, ("enterprise",), "只有联合体牵头企业和政府部门可以管理攻关项目"
    ),
    "institute.manage": _rule(OFFICE, message="只有政府部门可以维护新型研发机构"),
    # Platforms themselves: the office registers them; the operating unit keeps its own.
    "platform.create": _rule(OFFICE, message="只有政府部门可以登记平台"),
    "platform.edit": _rule(
        OFFICE, PLATFORM_OPERATORS, "只有平台运营单位和政府部门可以修改平台信息"
    ),
    # Education chain (产教融合): the office keeps consortia, modern industry colleges and
    # training bases and the majors catalogue's mappings; a university records the majors it
    # runs (the office records them for any school).
    "edu_consortium.manage": _rule(OFFICE, message="只有政府部门可以编辑产教联合体"),
    "industry_college.manage": _rule(OFFICE, message="只有政府部门可以编辑现代产业学院"),
    "training_base.manage": _rule(OFFICE, message="只有政府部门可以编辑公共实训基地"),
    "major_offering.create": _rule(OFFICE, ("university",), "只有政府部门和高校可以登记开设专业"),
    "major_offering.edit": _rule(OFFICE, ("university",), "您只能修改本校开设的专业"),
    "major_mapping.edit": _rule(OFFICE, message="只有政府部门可以编辑专业与学科、产业链的对应关系"),
}


def owner_unit(record: Any) -> int | None:
    """The unit that owns record: the column its class names in ``owner_unit_key`` (a named
    class belongs to its school, a unit to itself, a talent profile to no unit but its person),
    else ``organization_id``."""
    key = getattr(record, "owner_unit_key", "organization_id")
    return getattr(record, key, None) if key else None


def owns(user: Any | None, record: Any) -> bool:
    """True when user belongs to the record's owning unit or created it (or is its person)."""
    if user is None or record is None:
        return False
    org_id = owner_unit(record)
    if user.organization_id is not None and org_id is not None and user.organization_id == org_id:
        return True
    created_by = getattr(record, "created_by_id", None)
    user_id = getattr(record, "user_id", None)
    return user.id is not None and user.id in (created_by, user_id)


def visible_where(user: Any | None, action: str, model: Any, public: Any) -> Any:
    """SQL condition for the rows of model that user may see under action.

    The shape every feature's ``visible_query`` takes: roles in the rule's ``anyone`` see every
    row (no filter); roles in ``owner`` see the public rows plus their own unit's and their own;
    everyone else (visitors included) sees the public rows only.
    """
    if sees_everything(user, action):
        return true()
    if user is None or user.role not in rule(action).owner:
        return public
    key = getattr(model, "owner_unit_key", "organization_id")
    own = [
        getattr(model, column) == user.id
        for column in ("created_by_id", "user_id")
        if hasattr(model, column)
    ]
    if key and user.organization_id is not None:
        own.append(getattr(model, key) == user.organization_id)
    return or_(public, *own)


def rule(action: str) -> Rule:
    """The declared rule for action; an undeclared action is a programming error."""
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise KeyError(f"permission {action!r} is not declared in core.permissions") from None


def roles_for(action: str) -> frozenset[str]:
    """Every role that may do action on some record (for menus and role checks on forms)."""
    return rule(action).roles


def can(user: Any | None, action: str, record: Any | None = None) -> bool:
    """Whether user may do action (on record, or in general when record is None)."""
    if user is None or not getattr(user, "is_active", True):
        return False
    r = rule(action)
    if user.role in r.anyone:
        return True
    if user.role not in r.owner:
        return False
    return record is None or owns(user, record)


def sees_everything(user: Any | None, action: str) -> bool:
    """Whether user may do action on every record (no ownership filter needed in a query)."""
    return user is not None and user.role in rule(action).anyone


def denied(action: str) -> PermissionDenied:
    """The refusal for action, with the rule's Chinese message (for the caller to raise)."""
    return PermissionDenied(rule(action).message)


def require(user: Any | None, action: str, record: Any | None = None) -> None:
    """Raise PermissionDenied with the rule's Chinese message unless can(user, action, record)."""
    if not can(user, action, record):
        raise denied(action)
