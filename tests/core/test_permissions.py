"""Who may do what: every route of the app × every role, on pages and /api/v1, with no drift.

The table below is the permission matrix. Each row is one request (a route, the concrete URL it
is called with, and a body for state-changing methods), and its letters give the outcome for each
principal, in the order of ``PRINCIPALS``:

    O  allowed: 200/201, or a 303 that does not lead to the login page
    L  sign-in required: 303 to /login on pages, 401 on the API
    F  forbidden: 403
    N  not found: 404, also used when the record exists but the caller may not see it
    C  conflict: 409, the action is not possible in the record's status
    V  rejected input: 422
    A  authentication failed: 401 from the login form

The letters are not restated here: a row names the action of the declared table
``silian.core.permissions.PERMISSIONS`` that gates the request (``by``, ``seen``), and the
expected letter of each principal is computed from that rule (visitors → L or N, roles the rule
allows → O, others → F, or N where they may not even see the record). Only facts of the world
(who belongs to which unit: ``OWNERS``) and role-independent rows (open to everyone, or to every
signed-in user) are written out.

"university" and "enterprise" are *other* units' users; the records belong to "uni_owner"'s
university and "ent_owner"'s enterprise, so those two columns are the owners' rights.
State-changing rows act on a fresh record per principal, and a refused request must leave that
record unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from silian.accounts import security
from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import (
    Broker,
    BrokerTraining,
    Contract,
    ContractMilestone,
    Deal,
    Match,
    TrainingEnrollment,
)
from silian.chains.models import IndustryChain
from silian.challenges.models import BidScore, Challenge, Reviewer
from silian.config import Settings
from silian.consortia.models import (
    CommonTechProject,
    InnovationConsortium,
    InstituteAchievement,
    InstituteTalent,
    ProjectAchievement,
    ProjectMilestone,
    RdInstitute,
)
from silian.coordination.models import InvestmentProject
from silian.core import clock, permissions
from silian.core.db import Base, utcnow
from silian.demands.models import Bid, Demand
from silian.education.models import (
    Consortium,
    IndustryCollege,
    Major,
    MajorOffering,
    NamedClass,
    TrainingBase,
)
from silian.events.models import Event, EventEntry, EventJudge, EventLead, ExpertScore
from silian.hiring.models import Application, Hire, Recommendation
from silian.meetings.models import Decision, FollowUpTask, JointMeeting
from silian.notifications.models import Notification
from silian.organizations.models import Organization
from silian.platforms.models import Platform, PlatformService, ServiceBooking
from silian.subsidies.models import Policy, SubsidyApplication
from silian.talent.models import Talent, TalentNeed, TalentProject
from silian.training.models import Enrolment, TrainingProgramme
from silian.web.app import create_app
from tests.support import PASSWORD, Factory, login

PRINCIPALS = (
    "anonymous",
    "office",
    "university",
    "enterprise",
    "broker",
    "expert",
    "platform",
    "uni_owner",
    "ent_owner",
)
ROLE_OF = {"uni_owner": "university", "ent_owner": "enterprise"}
CODES = set("OLFNCVA")

SECRET = "核心工艺参数为每小时八百吨"
DRAFT_TITLE = "尚未发布的蓝港草稿需求"
DRAFT_ACHIEVEMENT = "尚未发布的滨海草稿成果"
REMARKS = "内部审核意见：预算依据不足"
HIDDEN_TALENT = "王不公开"
ACH_REMARKS = "成果审核内部意见：报价依据不足"
PROJECT = "海工装备产才融合项目"
ORG_CONTACT = "钱联络"

ACHIEVEMENT_BODY: dict[str, Any] = {
    "title": "高通量抗污染反渗透膜",
    "summary": "一种高通量、抗污染的反渗透膜材料及其制备方法。",
    "trl": 5,
    "organization_id": "{uni}",
}
DEMAND_BODY: dict[str, Any] = {
    "title": "海水淡化能耗优化需求",
    "problem": "希望将反渗透海水淡化的吨水能耗降低百分之十五以上。",
    "organization_id": "{ent}",
}
NEED_BODY: dict[str, Any] = {
    "position": "焊接工艺工程师",
    "headcount": 2,
    "organization_id": "{ent}",
}
CLASS_BODY: dict[str, Any] = {
    "name": "蓝港冠名班{n}",
    "university_id": "{uni}",
    "enterprise_id": "{ent}",
    "major_name": "船舶与海洋工程",
    "students": 40,
    "graduation_year": 2027,
}
INVESTMENT_BODY: dict[str, Any] = {
    "name": "海工配套招商项目{n}",
    "opening_date": "2028-09-01",
    "talent_needs": [{"major": "船舶工程技术", "year": 2028, "count": 20}],
    "status": "signed",
}
INVESTMENT_FORM: dict[str, Any] = {
    "name": "海工配套招商项目{n}",
    "status": "signed",
    "need_major": "船舶工程技术",
    "need_year": "2028",
    "need_count": "20",
}
CONSORTIUM_BODY: dict[str, Any] = {
    "name": "{p}产教联合体{n}",
    "kind": "city",
    "lead_organization_id": "{uni}",
    "yearly_intake": 0,
}
CONSORTIUM_EDIT = CONSORTIUM_BODY | {"name": "海洋装备市域产教联合体"}
COLLEGE_BODY: dict[str, Any] = {
    "name": "{p}产业学院{n}",
    "university_id": "{uni}",
    "students": 0,
    "yearly_intake": 0,
}
COLLEGE_EDIT = COLLEGE_BODY | {"name": "海洋装备现代产业学院"}
BASE_BODY: dict[str, Any] = {
    "name": "{p}实训基地{n}",
    "organization_id": "{uni}",
    "yearly_capacity": 100,
    "trainees_this_year": 0,
}
BASE_EDIT = BASE_BODY | {"name": "海洋装备公共实训基地"}
OFFERING_BODY: dict[str, Any] = {
    "university_id": "{uni}",
    "major_id": "{major}",
    "yearly_intake": 60,
    "duration_years": 4,
    "first_year": 2020,
}
# A new offering of the world's major at the same school is refused (422) once allowed.
OFFERING_BAD = OFFERING_BODY | {"last_year": 2010}
DISPATCH_BODY: dict[str, Any] = {"start_on": "2026-03-02", "host_share": 60, "scene_share": 40}
PROJECT_FORM: dict[str, Any] = {
    "name": "{p}的产才融合项目{n}",
    "year": 2026,
    "requested_rights": "salary_grading",
    "organization_id": "{ent}",
}
PROJECT_JSON: dict[str, Any] = PROJECT_FORM | {"requested_rights": ["salary_grading"]}
PROFILE_BODY: dict[str, Any] = {"name": "李研究员", "title": "研究员", "consent_public": False}
RULES_BODY: dict[str, Any] = {"chain_id": None, "grade_A": 3000000, "grade_B": 1500000}
RETURN_BODY: dict[str, Any] = {"remarks": "请补充中试数据"}
CHALLENGE_JSON: dict[str, Any] = {
    "bidding_deadline": (clock.today() + timedelta(days=30)).isoformat(),
    "criteria": [{"name": "技术方案", "weight": 100}],
    "prize": "500000",
}
CHALLENGE_FORM: dict[str, Any] = {
    "bidding_deadline": CHALLENGE_JSON["bidding_deadline"],
    "criterion_name_0": "技术方案",
    "criterion_weight_0": 100,
    "prize": "500000",
    "ip_terms": "solver_keeps",
}
DEAL_BODY: dict[str, Any] = {
    "match_id": "{new_match}",
    "next_action": "联系双方",
    "next_due": (clock.today() + timedelta(days=3)).isoformat(),
}
STEP_BODY: dict[str, Any] = {
    "stage": "contacted",
    "note": "已电话联系企业",
    "next_action": "安排技术交流",
    "next_due": (clock.today() + timedelta(days=7)).isoformat(),
}
CONTRACT_JSON: dict[str, Any] = {
    "title": "推进器降噪技术许可合同",
    "amount": "300000",
    "signed_on": clock.today().isoformat(),
    "trade_mode": "license",
    "milestones": [{"name": "资料交付", "due_on": clock.today().isoformat(), "amount": "300000"}],
}
CONTRACT_FORM: dict[str, Any] = {
    "title": "推进器降噪技术许可合同",
    "amount": "300000",
    "signed_on": clock.today().isoformat(),
    "trade_mode": "license",
    "milestone_name_0": "资料交付",
    "milestone_due_0": clock.today().isoformat(),
    "milestone_amount_0": "300000",
}
PAYMENT_BODY: dict[str, Any] = {"amount": "1000", "received_on": clock.today().isoformat()}
BID_BODY: dict[str, Any] = {
    "team_name": "{p}团队",
    "proposal": "采用改性膜材料与在线清洗结合的技术路线解决问题。",
}
TODAY = clock.today().isoformat()
POLICY_BODY: dict[str, Any] = {
    "title": "人才薪酬补贴{n}",
    "kind": "salary_subsidy",
    "formula": "percentage",
    "fact_label": "年薪",
    "rate": "20",
    "cap_per_org_year": "100万",
}
SUBSIDY_BODY: dict[str, Any] = {
    "policy_id": "{policy}",
    "year": clock.today().year,
    "fact_amount": "10万",
}
PROGRAMME_BODY: dict[str, Any] = {
    "base_id": "{base}",
    "name": "{p}焊接培训{n}",
    "hours": 40,
    "starts_on": (clock.today() + timedelta(days=10)).isoformat(),
    "ends_on": (clock.today() + timedelta(days=40)).isoformat(),
    "seats": 30,
}

MEETING_FORM: dict[str, Any] = {
    "title": "矩阵会商{n}",
    "quarter": "2026Q4",
    "held_on": TODAY,
    "offices": "市教育局",
}
MEETING_JSON: dict[str, Any] = {"title": "矩阵会商{n}", "quarter": "2026Q4", "held_on": TODAY}
AGENDA_BODY: dict[str, Any] = {"title": "矩阵议题"}
DECISION_BODY: dict[str, Any] = {"content": "矩阵议定事项", "lead_office": "市教育局"}
TASK_BODY: dict[str, Any] = {"title": "矩阵督办任务", "assignee_user_id": "{office_user}"}
PROGRESS_BODY: dict[str, Any] = {"note": "矩阵进展", "status": "in_progress"}
GAP_FORM: dict[str, Any] = {"gap": "talent_shortage:{chain}", "meeting_id": "{new_meeting}"}
GAP_JSON: dict[str, Any] = {"gap_key": "talent_shortage:{chain}", "meeting_id": "{new_meeting}"}
CREDENTIALS: dict[str, Any] = {"username": "{username}", "password": "{password}"}
# Platforms and bookings; broker training.
BOOK_DAY = (clock.today() + timedelta(days=10)).isoformat()
SERVICE_BODY: dict[str, Any] = {"name": "新服务{n}", "unit": "台次", "capacity_per_day": 2}
BOOKING_BODY: dict[str, Any] = {
    "service_id": "{svc}",
    "start_date": BOOK_DAY,
    "end_date": BOOK_DAY,
    "quantity": 1,
}
DECLINE_BODY: dict[str, Any] = {"reason": "设备检修"}
COMPLETE_BODY: dict[str, Any] = {"actual_quantity": 1, "fee": "1000"}
TRAINING_BODY: dict[str, Any] = {"name": "技术经纪人培训班{n}", "year": 2026, "hours": 48}
ENROLL_BODY: dict[str, Any] = {"username": "ent_owner"}
EXAM_BODY: dict[str, Any] = {"exam_score": 75, "exam_on": clock.today().isoformat()}
CERTIFY_BODY: dict[str, Any] = {
    "certificate_no": "QDJJR-T-{n}",
    "certified_on": clock.today().isoformat(),
    "specialties": "海洋装备",
}
EVENT_BODY: dict[str, Any] = {
    "kind": "roadshow",
    "title": "{p}路演活动{n}",
    "starts_at": "2026-12-18T14:00",
    "location": "路演厅",
    "capacity": 100,
}
ENTRY_BODY: dict[str, Any] = {"achievement_id": "{ach_pub}"}
LEAD_BODY: dict[str, Any] = {"achievement_id": "{last_achievement}", "organization_id": "{ent}"}
LEAD_DEAL_BODY: dict[str, Any] = {
    "next_action": "联系双方",
    "next_due": (clock.today() + timedelta(days=3)).isoformat(),
}
# Innovation consortia, their common-technology projects, co-built institutes; platforms.
ICONS_BODY: dict[str, Any] = {"name": "{p}创新联合体{n}", "lead_organization_id": "{ent}"}
CT_PROJECT_BODY: dict[str, Any] = {"title": "{p}攻关项目{n}", "budget": "1000000"}
INSTITUTE_BODY: dict[str, Any] = {"name": "{p}新型研发机构{n}"}
PLATFORM_BODY: dict[str, Any] = {
    "name": "{p}登记平台{n}",
    "kind": "pilot",
    "organization_id": "{plat_org}",
    "status": "active",
}
FEEDBACK_BODY: dict[str, Any] = {
    "source_kind": "demand",
    "source_id": "{dem_pub}",
    "target_kind": "achievement",
    "target_id": "{ach_pub}",
    "verdict": "useful",
}


@dataclass(frozen=True)
class Case:
    """One request of the matrix and its expected outcome per principal."""

    method: str
    route: str
    row: str
    url: str = ""
    body: dict[str, Any] | None = None
    form: bool = False
    last: bool = False

    @property
    def expected(self) -> str:
        """The outcome letters without spaces."""
        return self.row.replace(" ", "")

    @property
    def is_api(self) -> bool:
        """Whether the route belongs to the REST API."""
        return self.route.startswith("/api/")


def _get(route: str, row: str, url: str = "") -> Case:
    return Case("GET", route, row, url)


#  columns:  anon office university enterprise broker expert platform uni_owner ent_owner
EVERYONE = "O O O O O O O O O"
SIGNED_IN = "L O O O O O O O O"
ENT_OWNED_HIDDEN = "N O N N N N N N O"  # an enterprise's unpublished record (揭榜挂帅 rows)

# Which principals belong to (own) each unit's records in the world below: a fact of the world,
# not a role rule. Who may do what is read from silian.core.permissions.PERMISSIONS.
OWNERS: dict[str, frozenset[str]] = {
    "uni": frozenset({"uni_owner"}),
    "ent": frozenset({"ent_owner"}),
    "expert": frozenset({"expert"}),  # the expert's own (unpublished) profile
    "org_off": frozenset(),  # a deactivated unit nobody here belongs to
    # An application belongs to the need's unit and to the talent's own account.
    "application": frozenset({"ent_owner", "expert"}),
    # A co-shared hire is seen by the holding university and the scene enterprise.
    "hire": frozenset({"uni_owner", "ent_owner"}),
    "plat": frozenset({"platform"}),  # the platform unit operating the pilot platform
}
# ent_owner's enterprise holds 自主荐才权 (an approved 产才融合 project): it may recommend.
SELF_RECOMMENDERS = frozenset({"ent_owner"})


def allows(principal: str, action: str, owner: str | None = None) -> bool:
    """What the declared table says: may principal do action (on a record owned by owner)?"""
    if principal == "anonymous":
        return False
    role = ROLE_OF.get(principal, principal)
    rule = permissions.PERMISSIONS[action]
    if role in rule.anyone:
        return True
    return role in rule.owner and (owner is None or principal in OWNERS[owner])


def by(
    action: str,
    owner: str | None = None,
    *,
    hidden: str | None = None,
    hidden_owner: str | None = None,
    allowed: str = "O",
    denied: str = "F",
    anon: str = "L",
) -> str:
    """The row for a request gated by action: anon for visitors; N for those who may not see the
    record (hidden: the action that shows it); allowed for those the table allows; else denied."""
    letters = []
    for principal in PRINCIPALS:
        if principal == "anonymous":
            letters.append(anon)
        elif hidden and not allows(principal, hidden, hidden_owner or owner):
            letters.append("N")
        else:
            letters.append(allowed if allows(principal, action, owner) else denied)
    return " ".join(letters)


def seen(action: str, owner: str | None = None) -> str:
    """The row for reading a record that only action shows: everyone else gets 404."""
    return by(action, owner, denied="N", anon="N")


# A booking of ent_owner's enterprise on the platform unit's service: the office and the platform
# decide (the booking unit sees it but may not); the office, platform and booking unit cancel.
BOOKING_DECIDE = "L O N N N N O N F"
BOOKING_SEEN = "L O N N N N O N O"

# Applying (experts, with their own profile) or recommending (brokers and offices; enterprises
# only while holding 自主荐才权).
APPLY_OR_RECOMMEND = " ".join(
    "L"
    if p == "anonymous"
    else "O"
    if allows(p, "application.apply")
    or p in permissions.PERMISSIONS["application.recommend"].anyone
    or p in SELF_RECOMMENDERS
    else "F"
    for p in PRINCIPALS
)

# 政府榜: those who may post government lists get it; other demand posters a 422 on list_type.
GOVERNMENT_LIST = " ".join(
    "L"
    if p == "anonymous"
    else "O"
    if allows(p, "demand.create_government_list")
    else "V"
    if allows(p, "demand.create")
    else "F"
    for p in PRINCIPALS
)

# Subsidy applications: units apply for themselves; the office, which belongs to no unit in
# this world, must name the unit (422 without it).
APPLY = " ".join(
    "L"
    if p == "anonymous"
    else "V"
    if p == "office"
    else "O"
    if allows(p, "subsidy.apply")
    else "F"
    for p in PRINCIPALS
)
# An enrolment of ent_owner's in a programme of uni's training base: its person withdraws it,
# the base records completion, the office may do both; nobody else sees it.
ENROLMENT_WITHDRAW = "L O N N N N N F O"
ENROLMENT_COMPLETE = "L O N N N N N O F"

PERMISSIONS: dict[str, list[Case]] = {
    # Site-wide pages, accounts and the office's review queue.
    "site": [
        _get("/healthz", EVERYONE),
        _get("/api/v1/openapi.json", EVERYONE),
        _get("/api/v1/docs", EVERYONE),
        _get("/docs/oauth2-redirect", EVERYONE),
        _get("/", EVERYONE),
        _get("/my", SIGNED_IN),
        _get("/review", by("review.view")),
        _get("/login", EVERYONE),
        Case("POST", "/login", "A O O O O O O O O", body=CREDENTIALS),
        Case("POST", "/api/v1/auth/token", "L O O O O O O O O", body=CREDENTIALS, form=True),
        _get("/api/v1/me", SIGNED_IN),
        # Ends every session of the user, so it runs after the group's other rows.
        Case("POST", "/logout", EVERYONE, body={}, last=True),
    ],
    "achievements": [
        _get("/achievements", EVERYONE),
        _get("/achievements/new", by("achievement.create")),
        Case("POST", "/achievements/new", by("achievement.create"), body=ACHIEVEMENT_BODY),
        _get("/achievements/{achievement_id}", EVERYONE, "/achievements/{ach_pub}"),
        _get(
            "/achievements/{achievement_id}",
            seen("achievement.view_unpublished", "uni"),
            "/achievements/{ach_draft}",
        ),
        _get(
            "/achievements/{achievement_id}/edit",
            by("achievement.edit", "uni"),
            "/achievements/{ach_pub}/edit",
        ),
        _get(
            "/achievements/{achievement_id}/edit",
            by("achievement.edit", "uni", hidden="achievement.view_unpublished"),
            "/achievements/{ach_draft}/edit",
        ),
        Case(
            "POST",
            "/achievements/{achievement_id}/edit",
            by("achievement.edit", "uni", hidden="achievement.view_unpublished"),
            "/achievements/{new_ach_draft}/edit",
            ACHIEVEMENT_BODY,
        ),
        Case(
            "POST",
            "/achievements/{achievement_id}/edit",
            by("achievement.edit", "uni"),
            "/achievements/{new_ach_published}/edit",
            ACHIEVEMENT_BODY,
        ),
        Case(
            "POST",
            "/achievements/{achievement_id}/{action}",
            by("achievement.submit", "uni", hidden="achievement.view_unpublished"),
            "/achievements/{new_ach_draft}/submit",
            {},
        ),
        Case(
            "POST",
            "/achievements/{achievement_id}/{action}",
            by("achievement.review", "uni", hidden="achievement.view_unpublished"),
            "/achievements/{new_ach_submitted}/approve",
            {},
        ),
        Case(
            "POST",
            "/achievements/{achievement_id}/{action}",
            by("achievement.review", "uni", hidden="achievement.view_unpublished"),
            "/achievements/{new_ach_submitted}/return",
            RETURN_BODY,
        ),
        Case(
            "POST",
            "/achievements/{achievement_id}/{action}",
            by("achievement.review", "uni", allowed="C"),
            "/achievements/{new_ach_published}/approve",
            {},
        ),
        Case(
            "POST",
            "/achievements/{achievement_id}/{action}",
            by("achievement.withdraw", "uni"),
            "/achievements/{new_ach_published}/withdraw",
            {},
        ),
        _get("/api/v1/achievements", EVERYONE),
        _get("/api/v1/achievements/{achievement_id}", EVERYONE, "/api/v1/achievements/{ach_pub}"),
        _get(
            "/api/v1/achievements/{achievement_id}",
            seen("achievement.view_unpublished", "uni"),
            "/api/v1/achievements/{ach_draft}",
        ),
        Case("POST", "/api/v1/achievements", by("achievement.create"), body=ACHIEVEMENT_BODY),
        Case(
            "PUT",
            "/api/v1/achievements/{achievement_id}",
            by("achievement.edit", "uni", hidden="achievement.view_unpublished"),
            "/api/v1/achievements/{new_ach_draft}",
            ACHIEVEMENT_BODY,
        ),
        Case(
            "PUT",
            "/api/v1/achievements/{achievement_id}",
            by("achievement.edit", "uni"),
            "/api/v1/achievements/{new_ach_published}",
            ACHIEVEMENT_BODY,
        ),
        Case(
            "POST",
            "/api/v1/achievements/{achievement_id}/{action}",
            by("achievement.submit", "uni", hidden="achievement.view_unpublished"),
            "/api/v1/achievements/{new_ach_draft}/submit",
            {},
        ),
        Case(
            "POST",
            "/api/v1/achievements/{achievement_id}/{action}",
            by("achievement.review", "uni", hidden="achievement.view_unpublished"),
            "/api/v1/achievements/{new_ach_submitted}/approve",
            {},
        ),
        Case(
            "POST",
            "/api/v1/achievements/{achievement_id}/{action}",
            by("achievement.review", "uni", hidden="achievement.view_unpublished"),
            "/api/v1/achievements/{new_ach_submitted}/return",
            RETURN_BODY,
        ),
        Case(
            "POST",
            "/api/v1/achievements/{achievement_id}/{action}",
            by("achievement.review", "uni", allowed="C"),
            "/api/v1/achievements/{new_ach_published}/approve",
            {},
        ),
        Case(
            "POST",
            "/api/v1/achievements/{achievement_id}/{action}",
            by("achievement.withdraw", "uni"),
            "/api/v1/achievements/{new_ach_published}/withdraw",
            {},
        ),
    ],
    "demands": [
        _get("/demands", EVERYONE),
        _get("/demands/new", by("demand.create")),
        Case("POST", "/demands/new", by("demand.create"), body=DEMAND_BODY),
        _get("/demands/{demand_id}", EVERYONE, "/demands/{dem_pub}"),
        _get("/demands/{demand_id}", EVERYONE, "/demands/{dem_secret}"),
        _get(
            "/demands/{demand_id}", seen("demand.view_unpublished", "ent"), "/demands/{dem_draft}"
        ),
        _get("/demands/{demand_id}/edit", by("demand.edit", "ent"), "/demands/{dem_secret}/edit"),
        _get(
            "/demands/{demand_id}/edit",
            by("demand.edit", "ent", hidden="demand.view_unpublished"),
            "/demands/{dem_draft}/edit",
        ),
        Case(
            "POST",
            "/demands/{demand_id}/edit",
            by("demand.edit", "ent", hidden="demand.view_unpublished"),
            "/demands/{new_dem_draft}/edit",
            DEMAND_BODY,
        ),
        Case(
            "POST",
            "/demands/{demand_id}/edit",
            by("demand.edit", "ent"),
            "/demands/{new_dem_published}/edit",
            DEMAND_BODY,
        ),
        Case(
            "POST",
            "/demands/{demand_id}/{action}",
            by("demand.submit", "ent", hidden="demand.view_unpublished"),
            "/demands/{new_dem_draft}/submit",
            {},
        ),
        Case(
            "POST",
            "/demands/{demand_id}/{action}",
            by("demand.review", "ent", hidden="demand.view_unpublished"),
            "/demands/{new_dem_submitted}/approve",
            {},
        ),
        Case(
            "POST",
            "/demands/{demand_id}/{action}",
            by("demand.review", "ent", hidden="demand.view_unpublished"),
            "/demands/{new_dem_submitted}/return",
            RETURN_BODY,
        ),
        Case(
            "POST",
            "/demands/{demand_id}/{action}",
            by("demand.review", "ent", allowed="C"),
            "/demands/{new_dem_published}/approve",
            {},
        ),
        Case(
            "POST",
            "/demands/{demand_id}/{action}",
            by("demand.withdraw", "ent"),
            "/demands/{new_dem_published}/withdraw",
            {},
        ),
        _get("/api/v1/demands", EVERYONE),
        _get("/api/v1/demands/{demand_id}", EVERYONE, "/api/v1/demands/{dem_secret}"),
        _get(
            "/api/v1/demands/{demand_id}",
            seen("demand.view_unpublished", "ent"),
            "/api/v1/demands/{dem_draft}",
        ),
        Case("POST", "/api/v1/demands", by("demand.create"), body=DEMAND_BODY),
        # 政府榜 are posted by the offices only.
        Case(
            "POST",
            "/api/v1/demands",
            GOVERNMENT_LIST,
            body=DEMAND_BODY | {"list_type": "government"},
        ),
        Case(
            "PUT",
            "/api/v1/demands/{demand_id}",
            by("demand.edit", "ent", hidden="demand.view_unpublished"),
            "/api/v1/demands/{new_dem_draft}",
            DEMAND_BODY,
        ),
        Case(
            "PUT",
            "/api/v1/demands/{demand_id}",
            by("demand.edit", "ent"),
            "/api/v1/demands/{new_dem_published}",
            DEMAND_BODY,
        ),
        Case(
            "POST",
            "/api/v1/demands/{demand_id}/{action}",
            by("demand.submit", "ent", hidden="demand.view_unpublished"),
            "/api/v1/demands/{new_dem_draft}/submit",
            {},
        ),
        Case(
            "POST",
            "/api/v1/demands/{demand_id}/{action}",
            by("demand.review", "ent", hidden="demand.view_unpublished"),
            "/api/v1/demands/{new_dem_submitted}/approve",
            {},
        ),
        Case(
            "POST",
            "/api/v1/demands/{demand_id}/{action}",
            by("demand.review", "ent", hidden="demand.view_unpublished"),
            "/api/v1/demands/{new_dem_submitted}/return",
            RETURN_BODY,
        ),
        Case(
            "POST",
            "/api/v1/demands/{demand_id}/{action}",
            by("demand.review", "ent", allowed="C"),
            "/api/v1/demands/{new_dem_published}/approve",
            {},
        ),
        Case(
            "POST",
            "/api/v1/demands/{demand_id}/{action}",
            by("demand.withdraw", "ent"),
            "/api/v1/demands/{new_dem_published}/withdraw",
            {},
        ),
    ],
    # The chain maps, the unit directory and the city figures.
    "directory": [
        _get("/chains", EVERYONE),
        _get("/chains/{chain_id}", EVERYONE, "/chains/{chain}"),
        _get("/chains/{chain_id}", seen("chain.view_inactive"), "/chains/{chain_off}"),
        _get("/api/v1/chains", EVERYONE),
        _get("/api/v1/chains/{chain_id}", EVERYONE, "/api/v1/chains/{chain}"),
        _get(
            "/api/v1/chains/{chain_id}", seen("chain.view_inactive"), "/api/v1/chains/{chain_off}"
        ),
        _get("/organizations", EVERYONE),
        _get("/organizations/{org_id}", EVERYONE, "/organizations/{ent}"),
        _get(
            "/organizations/{org_id}",
            seen("organization.view_inactive", "org_off"),
            "/organizations/{org_off}",
        ),
        _get("/api/v1/organizations", EVERYONE),
        _get("/api/v1/organizations/{org_id}", EVERYONE, "/api/v1/organizations/{uni}"),
        _get(
            "/api/v1/organizations/{org_id}",
            seen("organization.view_inactive", "org_off"),
            "/api/v1/organizations/{org_off}",
        ),
        # City figures are aggregate counts, public like the home page's headline figures.
        _get("/api/v1/figures", EVERYONE),
        # The dashboard: the office reads the city, every other signed-in role its own unit.
        _get("/dashboard", by("dashboard.view")),
        _get(
            "/dashboard/records",
            by("dashboard.view"),
            "/dashboard/records?figure=achievements_published&start=2026-01-01&end=2026-12-31",
        ),
        # The dashboard's data as JSON: the same rule and scope as the page.
        _get("/api/v1/dashboard", by("dashboard.view")),
        # A chain's registered figures of the year (loaded into the chain map): public like it.
        _get("/chains/{chain_id}/figures", EVERYONE, "/chains/{chain}/figures"),
        _get(
            "/chains/{chain_id}/figures", seen("chain.view_inactive"), "/chains/{chain_off}/figures"
        ),
    ],
    "hiring": [
        Case(
            "POST",
            "/hiring/needs/{need_id}/apply",
            APPLY_OR_RECOMMEND,
            "/hiring/needs/{new_need}/apply",
            {"talent_id": "{talent_pub}", "note": "申请说明"},
        ),
        _get(
            "/hiring/needs/{need_id}/recommend",
            by("application.recommend"),
            "/hiring/needs/{need}/recommend",
        ),
        _get(
            "/hiring/needs/{need_id}/applications",
            by("application.advance", "ent"),
            "/hiring/needs/{need}/applications",
        ),
        _get(
            "/hiring/applications/{application_id}",
            by("application.view", "application", denied="N"),
            "/hiring/applications/{application}",
        ),
        Case(
            "POST",
            "/hiring/applications/{application_id}/{action}",
            by("application.advance", "application", hidden="application.view"),
            "/hiring/applications/{new_application}/shortlist",
            {},
        ),
        _get(
            "/hiring/hires/{hire_id}", by("hire.view", "hire", denied="N"), "/hiring/hires/{hire}"
        ),
        Case(
            "POST",
            "/hiring/hires/{hire_id}/dispatches",
            by("hire.dispatch", "uni", hidden="hire.view", hidden_owner="hire"),
            "/hiring/hires/{new_hire}/dispatches",
            DISPATCH_BODY,
        ),
        Case(
            "POST",
            "/hiring/hires/{hire_id}/achievements",
            by("hire.link_achievement", "uni", hidden="hire.view", hidden_owner="hire"),
            "/hiring/hires/{new_hire}/achievements",
            {"achievement_id": "{ach_pub}"},
        ),
        _get("/hiring/projects/new", by("talent_project.apply")),
        Case("POST", "/hiring/projects/new", by("talent_project.apply"), body=PROJECT_FORM),
        _get(
            "/hiring/projects/{project_id}",
            by("talent_project.view", "ent", denied="N"),
            "/hiring/projects/{project}",
        ),
        Case(
            "POST",
            "/hiring/projects/{project_id}/review",
            by("talent_project.review", "ent", hidden="talent_project.view"),
            "/hiring/projects/{new_project}/review",
            {"decision": "approve", "rights": "self_recommend"},
        ),
        Case(
            "POST",
            "/hiring/projects/{project_id}/recommendations",
            by("recommendation.create", "ent", hidden="talent_project.view"),
            "/hiring/projects/{new_project_ok}/recommendations",
            {"talent_id": "{talent_pub}", "right": "self_recommend"},
        ),
        Case(
            "POST",
            "/hiring/recommendations/{recommendation_id}/{action}",
            by("recommendation.confirm"),
            "/hiring/recommendations/{new_recommendation}/confirm",
            {},
        ),
        _get("/api/v1/applications", SIGNED_IN),
        Case(
            "POST",
            "/api/v1/applications",
            APPLY_OR_RECOMMEND,
            body={"need_id": "{new_need}", "talent_id": "{talent_pub}"},
        ),
        _get(
            "/api/v1/applications/{application_id}",
            by("application.view", "application", denied="N"),
            "/api/v1/applications/{application}",
        ),
        Case(
            "POST",
            "/api/v1/applications/{application_id}/{action}",
            by("application.advance", "application", hidden="application.view"),
            "/api/v1/applications/{new_application}/shortlist",
            {},
        ),
        Case(
            "POST",
            "/api/v1/applications/{application_id}/{action}",
            by("application.withdraw", "application", hidden="application.view"),
            "/api/v1/applications/{new_application}/withdraw",
            {},
        ),
        _get("/api/v1/hires", SIGNED_IN),
        _get(
            "/api/v1/hires/{hire_id}", by("hire.view", "hire", denied="N"), "/api/v1/hires/{hire}"
        ),
        Case(
            "POST",
            "/api/v1/hires/{hire_id}/dispatches",
            by("hire.dispatch", "uni", hidden="hire.view", hidden_owner="hire"),
            "/api/v1/hires/{new_hire}/dispatches",
            DISPATCH_BODY,
        ),
        Case(
            "POST",
            "/api/v1/hires/{hire_id}/achievements",
            by("hire.link_achievement", "uni", hidden="hire.view", hidden_owner="hire"),
            "/api/v1/hires/{new_hire}/achievements",
            {"achievement_id": "{ach_pub}"},
        ),
        Case("POST", "/api/v1/talent-projects", by("talent_project.apply"), body=PROJECT_JSON),
        Case(
            "POST",
            "/api/v1/talent-projects/{project_id}/review",
            by("talent_project.review", "ent", hidden="talent_project.view"),
            "/api/v1/talent-projects/{new_project}/review",
            {"decision": "approve", "rights": ["self_recommend"]},
        ),
        _get("/api/v1/recommendations", SIGNED_IN),
        Case(
            "POST",
            "/api/v1/recommendations",
            by("recommendation.create", "ent", hidden="talent_project.view", anon="L"),
            body={
                "project_id": "{new_project_ok}",
                "talent_id": "{talent_pub}",
                "right": "self_recommend",
            },
        ),
        _get(
            "/api/v1/recommendations/{recommendation_id}",
            by("recommendation.view", "ent", denied="N"),
            "/api/v1/recommendations/{recommendation}",
        ),
        Case(
            "POST",
            "/api/v1/recommendations/{recommendation_id}/{action}",
            by("recommendation.confirm"),
            "/api/v1/recommendations/{new_recommendation}/confirm",
            {},
        ),
    ],
    "talent": [
        _get("/talents", EVERYONE),
        _get("/talents/me", SIGNED_IN),
        _get("/talents/me/edit", by("talent.keep_profile")),
        Case("POST", "/talents/me/edit", by("talent.keep_profile"), body=PROFILE_BODY),
        _get("/talents/{talent_id}", EVERYONE, "/talents/{talent_pub}"),
        # The expert's own profile, not consented for publication.
        _get(
            "/talents/{talent_id}", seen("talent.view_hidden", "expert"), "/talents/{talent_hidden}"
        ),
        _get("/talent-needs", EVERYONE),
        _get("/talent-needs/new", by("talent_need.create")),
        Case("POST", "/talent-needs/new", by("talent_need.create"), body=NEED_BODY),
        _get("/talent-needs/{need_id}", EVERYONE, "/talent-needs/{need}"),
        _get(
            "/talent-needs/{need_id}/edit",
            by("talent_need.edit", "ent"),
            "/talent-needs/{need}/edit",
        ),
        Case(
            "POST",
            "/talent-needs/{need_id}/edit",
            by("talent_need.edit", "ent"),
            "/talent-needs/{new_need}/edit",
            NEED_BODY,
        ),
        Case(
            "POST",
            "/talent-needs/{need_id}/{action}",
            by("talent_need.edit", "ent"),
            "/talent-needs/{new_need}/close",
            {},
        ),
        _get("/talent-projects", by("talent_project.list")),
        _get(
            "/talent-projects/{project_id}", by("talent_project.list"), "/talent-projects/{project}"
        ),
        _get("/salary-grade-rules", by("salary_rule.view")),
        _get("/salary-grade-rules/edit", by("salary_rule.edit")),
        Case("POST", "/salary-grade-rules/edit", by("salary_rule.edit"), body=RULES_BODY),
        _get("/api/v1/talents", EVERYONE),
        _get("/api/v1/talents/me", by("talent.keep_profile", denied="N")),
        Case("PUT", "/api/v1/talents/me", by("talent.keep_profile"), body=PROFILE_BODY),
        _get("/api/v1/talents/{talent_id}", EVERYONE, "/api/v1/talents/{talent_pub}"),
        _get(
            "/api/v1/talents/{talent_id}",
            seen("talent.view_hidden", "expert"),
            "/api/v1/talents/{talent_hidden}",
        ),
        _get("/api/v1/talent-needs", EVERYONE),
        _get("/api/v1/talent-needs/{need_id}", EVERYONE, "/api/v1/talent-needs/{need}"),
        Case("POST", "/api/v1/talent-needs", by("talent_need.create"), body=NEED_BODY),
        Case(
            "PUT",
            "/api/v1/talent-needs/{need_id}",
            by("talent_need.edit", "ent"),
            "/api/v1/talent-needs/{new_need}",
            NEED_BODY,
        ),
        Case(
            "POST",
            "/api/v1/talent-needs/{need_id}/{action}",
            by("talent_need.edit", "ent"),
            "/api/v1/talent-needs/{new_need}/close",
            {},
        ),
        _get("/api/v1/talent-projects", by("talent_project.list")),
        _get(
            "/api/v1/talent-projects/{project_id}",
            by("talent_project.list"),
            "/api/v1/talent-projects/{project}",
        ),
        _get("/api/v1/salary-grade-rules", by("salary_rule.view")),
        Case("PUT", "/api/v1/salary-grade-rules", by("salary_rule.edit"), body=RULES_BODY),
        _get(
            "/api/v1/salary-grade-rules/grade",
            by("salary_rule.view"),
            "/api/v1/salary-grade-rules/grade?salary=600000",
        ),
    ],
    "education": [
        _get("/education", EVERYONE),
        _get("/education/named-classes/new", by("named_class.create")),
        Case("POST", "/education/named-classes/new", by("named_class.create"), body=CLASS_BODY),
        _get("/education/named-classes/{class_id}", EVERYONE, "/education/named-classes/{klass}"),
        _get(
            "/education/named-classes/{class_id}/edit",
            by("named_class.edit", "uni"),
            "/education/named-classes/{klass}/edit",
        ),
        Case(
            "POST",
            "/education/named-classes/{class_id}/edit",
            by("named_class.edit", "uni"),
            "/education/named-classes/{new_class}/edit",
            CLASS_BODY,
        ),
        _get("/education/training-bases/{base_id}", EVERYONE, "/education/training-bases/{base}"),
        _get("/education/consortia/{consortium_id}", EVERYONE, "/education/consortia/{consortium}"),
        _get("/education/colleges/{college_id}", EVERYONE, "/education/colleges/{college}"),
        _get("/api/v1/education/named-classes", EVERYONE),
        _get(
            "/api/v1/education/named-classes/{class_id}",
            EVERYONE,
            "/api/v1/education/named-classes/{klass}",
        ),
        Case("POST", "/api/v1/education/named-classes", by("named_class.create"), body=CLASS_BODY),
        Case(
            "PUT",
            "/api/v1/education/named-classes/{class_id}",
            by("named_class.edit", "uni"),
            "/api/v1/education/named-classes/{new_class}",
            CLASS_BODY,
        ),
        _get("/api/v1/education/training-bases", EVERYONE),
        _get(
            "/api/v1/education/training-bases/{base_id}",
            EVERYONE,
            "/api/v1/education/training-bases/{base}",
        ),
        _get("/api/v1/education/consortia", EVERYONE),
        _get(
            "/api/v1/education/consortia/{consortium_id}",
            EVERYONE,
            "/api/v1/education/consortia/{consortium}",
        ),
        _get("/api/v1/education/colleges", EVERYONE),
        _get(
            "/api/v1/education/colleges/{college_id}",
            EVERYONE,
            "/api/v1/education/colleges/{college}",
        ),
        _get("/education/consortia/new", by("edu_consortium.manage")),
        Case("POST", "/education/consortia/new", by("edu_consortium.manage"), body=CONSORTIUM_BODY),
        _get(
            "/education/consortia/{consortium_id}/edit",
            by("edu_consortium.manage"),
            "/education/consortia/{consortium}/edit",
        ),
        Case(
            "POST",
            "/education/consortia/{consortium_id}/edit",
            by("edu_consortium.manage"),
            "/education/consortia/{consortium}/edit",
            CONSORTIUM_EDIT,
        ),
        _get("/education/colleges/new", by("industry_college.manage")),
        Case("POST", "/education/colleges/new", by("industry_college.manage"), body=COLLEGE_BODY),
        _get(
            "/education/colleges/{college_id}/edit",
            by("industry_college.manage"),
            "/education/colleges/{college}/edit",
        ),
        Case(
            "POST",
            "/education/colleges/{college_id}/edit",
            by("industry_college.manage"),
            "/education/colleges/{college}/edit",
            COLLEGE_EDIT,
        ),
        _get("/education/training-bases/new", by("training_base.manage")),
        Case("POST", "/education/training-bases/new", by("training_base.manage"), body=BASE_BODY),
        _get(
            "/education/training-bases/{base_id}/edit",
            by("training_base.manage"),
            "/education/training-bases/{base}/edit",
        ),
        Case(
            "POST",
            "/education/training-bases/{base_id}/edit",
            by("training_base.manage"),
            "/education/training-bases/{base}/edit",
            BASE_EDIT,
        ),
        Case(
            "POST", "/api/v1/education/consortia", by("edu_consortium.manage"), body=CONSORTIUM_BODY
        ),
        Case(
            "PUT",
            "/api/v1/education/consortia/{consortium_id}",
            by("edu_consortium.manage"),
            "/api/v1/education/consortia/{consortium}",
            CONSORTIUM_EDIT,
        ),
        _get(
            "/api/v1/education/consortia/{consortium_id}/members",
            EVERYONE,
            "/api/v1/education/consortia/{consortium}/members",
        ),
        Case(
            "POST", "/api/v1/education/colleges", by("industry_college.manage"), body=COLLEGE_BODY
        ),
        Case(
            "PUT",
            "/api/v1/education/colleges/{college_id}",
            by("industry_college.manage"),
            "/api/v1/education/colleges/{college}",
            COLLEGE_EDIT,
        ),
        Case(
            "POST", "/api/v1/education/training-bases", by("training_base.manage"), body=BASE_BODY
        ),
        Case(
            "PUT",
            "/api/v1/education/training-bases/{base_id}",
            by("training_base.manage"),
            "/api/v1/education/training-bases/{base}",
            BASE_EDIT,
        ),
        _get("/education/offerings", EVERYONE),
        _get("/education/offerings/new", by("major_offering.create")),
        Case(
            "POST",
            "/education/offerings/new",
            by("major_offering.create", allowed="V"),
            body=OFFERING_BAD,
        ),
        _get(
            "/education/offerings/{offering_id}/edit",
            by("major_offering.edit", "uni"),
            "/education/offerings/{offering}/edit",
        ),
        Case(
            "POST",
            "/education/offerings/{offering_id}/edit",
            by("major_offering.edit", "uni"),
            "/education/offerings/{offering}/edit",
            OFFERING_BODY,
        ),
        _get("/api/v1/education/offerings", EVERYONE),
        _get(
            "/api/v1/education/offerings/{offering_id}",
            EVERYONE,
            "/api/v1/education/offerings/{offering}",
        ),
        Case(
            "POST",
            "/api/v1/education/offerings",
            by("major_offering.create", allowed="V"),
            body=OFFERING_BAD,
        ),
        Case(
            "PUT",
            "/api/v1/education/offerings/{offering_id}",
            by("major_offering.edit", "uni"),
            "/api/v1/education/offerings/{offering}",
            OFFERING_BODY,
        ),
        _get("/education/majors", EVERYONE),
        _get(
            "/education/majors/{major_id}/edit",
            by("major_mapping.edit"),
            "/education/majors/{major}/edit",
        ),
        Case(
            "POST",
            "/education/majors/{major_id}/edit",
            by("major_mapping.edit"),
            "/education/majors/{major}/edit",
            {},
        ),
        _get(
            "/api/v1/education/majors/{major_id}/mapping",
            EVERYONE,
            "/api/v1/education/majors/{major}/mapping",
        ),
        Case(
            "PUT",
            "/api/v1/education/majors/{major_id}/mapping",
            by("major_mapping.edit"),
            "/api/v1/education/majors/{major}/mapping",
            {"discipline_ids": [], "chain_weights": {}},
        ),
        _get("/education/fit", EVERYONE),
        _get("/api/v1/education/fit", EVERYONE),
    ],
    # Suggested matches ride on the visibility of their source record.
    "matching": [
        _get("/match", EVERYONE, "/match?text=海水淡化膜&kind=achievement"),
        _get("/demands/{demand_id}/matches", EVERYONE, "/demands/{dem_secret}/matches"),
        _get(
            "/demands/{demand_id}/matches",
            seen("demand.view_unpublished", "ent"),
            "/demands/{dem_draft}/matches",
        ),
        _get("/achievements/{achievement_id}/matches", EVERYONE, "/achievements/{ach_pub}/matches"),
        _get(
            "/achievements/{achievement_id}/matches",
            seen("achievement.view_unpublished", "uni"),
            "/achievements/{ach_draft}/matches",
        ),
        _get("/talent-needs/{need_id}/matches", EVERYONE, "/talent-needs/{need}/matches"),
        Case("POST", "/matches/feedback", by("match.feedback"), body=FEEDBACK_BODY),
        Case(
            "POST",
            "/matches/feedback",
            by("match.feedback", hidden="demand.view_unpublished", hidden_owner="ent"),
            body=FEEDBACK_BODY | {"source_id": "{dem_draft}"},
        ),
        Case("POST", "/api/v1/match", EVERYONE, body={"text": "海水淡化膜", "kind": "demand"}),
        _get(
            "/api/v1/demands/{demand_id}/matches", EVERYONE, "/api/v1/demands/{dem_secret}/matches"
        ),
        _get(
            "/api/v1/demands/{demand_id}/matches",
            seen("demand.view_unpublished", "ent"),
            "/api/v1/demands/{dem_draft}/matches",
        ),
        _get(
            "/api/v1/achievements/{achievement_id}/matches",
            EVERYONE,
            "/api/v1/achievements/{ach_pub}/matches",
        ),
        _get(
            "/api/v1/achievements/{achievement_id}/matches",
            seen("achievement.view_unpublished", "uni"),
            "/api/v1/achievements/{ach_draft}/matches",
        ),
        _get(
            "/api/v1/talent-needs/{need_id}/matches",
            EVERYONE,
            "/api/v1/talent-needs/{need}/matches",
        ),
        _get(
            "/api/v1/investment-projects/{project_id}/matches",
            by("investment_project.view_matches", "ent"),
            "/api/v1/investment-projects/{investment}/matches",
        ),
        Case("POST", "/api/v1/matches/feedback", by("match.feedback"), body=FEEDBACK_BODY),
        Case(
            "POST",
            "/api/v1/matches/feedback",
            by("match.feedback", hidden="demand.view_unpublished", hidden_owner="ent"),
            body=FEEDBACK_BODY | {"source_id": "{dem_draft}"},
        ),
    ],
    # Import uploads: the roles that may create achievements or demands (as the CLI).
    "import": [
        _get("/import/{kind}", "L O O F F O O O F", "/import/achievements"),
        _get("/import/{kind}", "L O F O F F F F O", "/import/demands"),
        _get(
            "/import/{kind}/template.xlsx",
            "L O O F F O O O F",
            "/import/achievements/template.xlsx",
        ),
        Case("POST", "/import/{kind}", "L V V F F V V V F", "/import/achievements", {}),
        Case("POST", "/import/{kind}", "L V F V F F F F V", "/import/demands", {}),
        _get("/import/{kind}/{token}", "L N N F F N N N F", "/import/achievements/" + "0" * 32),
        _get(
            "/import/{kind}/{token}/errors.xlsx",
            "L N F N F F F F N",
            "/import/demands/" + "0" * 32 + "/errors.xlsx",
        ),
        Case(
            "POST",
            "/import/{kind}/{token}",
            "L N N F F N N N F",
            "/import/achievements/" + "0" * 32,
            {},
        ),
    ],
    # 揭榜挂帅: chal_open is bidding (ent_owner's, expert is its reviewer, uni_owner has bid_open
    # on it), chal_draft awaits publication, chal_secret is confidential; new_chal_* are fresh.
    "challenges": [
        _get("/challenges", EVERYONE),
        _get("/challenges/new", "L O F O F F F F O"),
        Case(
            "POST",
            "/challenges/new",
            "L O F F F F F F O",
            body=CHALLENGE_FORM | {"demand_id": "{new_dem_published}"},
        ),
        _get("/challenges/{challenge_id}", EVERYONE, "/challenges/{chal_open}"),
        _get("/challenges/{challenge_id}", ENT_OWNED_HIDDEN, "/challenges/{chal_draft}"),
        _get(
            "/challenges/{challenge_id}/edit", "L O N N N N N N O", "/challenges/{chal_draft}/edit"
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/edit",
            "L O N N N N N N O",
            "/challenges/{new_chal_draft}/edit",
            CHALLENGE_FORM,
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/publish",
            "L O N N N N N N F",
            "/challenges/{new_chal_draft}/publish",
            {},
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/accept-terms",
            SIGNED_IN,
            "/challenges/{chal_secret}/accept-terms",
            {},
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/start-evaluation",
            "L C F F F F F F C",
            "/challenges/{chal_open}/start-evaluation",
            {},
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/start-evaluation",
            "L O F F F F F F O",
            "/challenges/{new_chal_due}/start-evaluation",
            {},
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/close",
            "L O F F F F F F O",
            "/challenges/{new_chal_bidding}/close",
            {"reason": "需求已由企业自行解决"},
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/reviewers",
            "L O F F F F F F O",
            "/challenges/{new_chal_bidding}/reviewers",
            {"talent_id": "{talent_hidden}"},
        ),
        _get("/challenges/{challenge_id}/bid", "L F O O F O O O F", "/challenges/{chal_open}/bid"),
        Case(
            "POST",
            "/challenges/{challenge_id}/bid",
            "L F O O F O O O F",
            "/challenges/{new_chal_bidding}/bid",
            BID_BODY,
        ),
        Case(
            "POST", "/bids/{bid_id}/withdraw", "L N N N N N N O N", "/bids/{new_bid}/withdraw", {}
        ),
        Case(
            "POST",
            "/bids/{bid_id}/shortlist",
            "L C F F F F F F C",
            "/bids/{bid_open}/shortlist",
            {},
        ),
        Case(
            "POST",
            "/bids/{bid_id}/shortlist",
            "L O F F F F F F O",
            "/bids/{new_bid_eval}/shortlist",
            {},
        ),
        _get(
            "/challenges/{challenge_id}/review",
            "L F F F F O F F F",
            "/challenges/{chal_open}/review",
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/conflicts",
            "L F F F F O F F F",
            "/challenges/{chal_open}/conflicts",
            {"note": "无利益冲突"},
        ),
        Case(
            "POST",
            "/bids/{bid_id}/score",
            "L F F F F C F F F",
            "/bids/{bid_open}/score",
            {"score__技术方案": "80"},
        ),
        Case(
            "POST",
            "/bids/{bid_id}/score",
            "L F F F F O F F F",
            "/bids/{new_bid_eval}/score",
            {"score__技术方案": "80"},
        ),
        _get(
            "/challenges/{challenge_id}/award", "L O F F F F F F O", "/challenges/{chal_open}/award"
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/award",
            "L C F F F F F F C",
            "/challenges/{chal_open}/award",
            {"bid_id": "{bid_open}"},
        ),
        Case(
            "POST",
            "/challenges/{challenge_id}/award",
            "L O F F F F F F O",
            "/challenges/{new_chal_eval}/award",
            {"bid_id": "{last_bid}"},
        ),
        _get("/api/v1/challenges", EVERYONE),
        Case(
            "POST",
            "/api/v1/challenges",
            "L O F F F F F F O",
            body=CHALLENGE_JSON | {"demand_id": "{new_dem_published}"},
        ),
        _get("/api/v1/challenges/{challenge_id}", EVERYONE, "/api/v1/challenges/{chal_open}"),
        _get(
            "/api/v1/challenges/{challenge_id}", ENT_OWNED_HIDDEN, "/api/v1/challenges/{chal_draft}"
        ),
        Case(
            "PUT",
            "/api/v1/challenges/{challenge_id}",
            "L O N N N N N N O",
            "/api/v1/challenges/{new_chal_draft}",
            CHALLENGE_JSON,
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/publish",
            "L O N N N N N N F",
            "/api/v1/challenges/{new_chal_draft}/publish",
            {},
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/accept-terms",
            SIGNED_IN,
            "/api/v1/challenges/{chal_secret}/accept-terms",
            {},
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/start-evaluation",
            "L C F F F F F F C",
            "/api/v1/challenges/{chal_open}/start-evaluation",
            {},
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/start-evaluation",
            "L O F F F F F F O",
            "/api/v1/challenges/{new_chal_due}/start-evaluation",
            {},
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/close",
            "L O F F F F F F O",
            "/api/v1/challenges/{new_chal_bidding}/close",
            {"reason": "需求已由企业自行解决"},
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/award",
            "L C F F F F F F C",
            "/api/v1/challenges/{chal_open}/award",
            {"bid_id": "{bid_open}"},
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/award",
            "L O F F F F F F O",
            "/api/v1/challenges/{new_chal_eval}/award",
            {"bid_id": "{last_bid}"},
        ),
        _get(
            "/api/v1/challenges/{challenge_id}/bids",
            SIGNED_IN,
            "/api/v1/challenges/{chal_open}/bids",
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/bids",
            "L F O O F O O O F",
            "/api/v1/challenges/{new_chal_bidding}/bids",
            BID_BODY,
        ),
        _get(
            "/api/v1/challenges/{challenge_id}/reviewers",
            "L O F F F O F F O",
            "/api/v1/challenges/{chal_open}/reviewers",
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/reviewers",
            "L O F F F F F F O",
            "/api/v1/challenges/{new_chal_bidding}/reviewers",
            {"talent_id": "{talent_hidden}"},
        ),
        Case(
            "POST",
            "/api/v1/challenges/{challenge_id}/conflicts",
            "L F F F F O F F F",
            "/api/v1/challenges/{chal_open}/conflicts",
            {"bid_ids": []},
        ),
        _get(
            "/api/v1/challenges/{challenge_id}/evaluation",
            "L O F F F F F F O",
            "/api/v1/challenges/{chal_open}/evaluation",
        ),
        _get("/api/v1/bids/{bid_id}", "L N N N N N N O N", "/api/v1/bids/{bid_open}"),
        Case(
            "PUT", "/api/v1/bids/{bid_id}", "L N N N N N N O N", "/api/v1/bids/{new_bid}", BID_BODY
        ),
        Case(
            "POST",
            "/api/v1/bids/{bid_id}/withdraw",
            "L N N N N N N O N",
            "/api/v1/bids/{new_bid}/withdraw",
            {},
        ),
        Case(
            "POST",
            "/api/v1/bids/{bid_id}/shortlist",
            "L C F F F F F F C",
            "/api/v1/bids/{bid_open}/shortlist",
            {},
        ),
        Case(
            "POST",
            "/api/v1/bids/{bid_id}/shortlist",
            "L O F F F F F F O",
            "/api/v1/bids/{new_bid_eval}/shortlist",
            {},
        ),
        Case(
            "POST",
            "/api/v1/bids/{bid_id}/scores",
            "L F F F F C F F F",
            "/api/v1/bids/{bid_open}/scores",
            {"scores": {"技术方案": 80}},
        ),
        Case(
            "POST",
            "/api/v1/bids/{bid_id}/scores",
            "L F F F F O F F F",
            "/api/v1/bids/{new_bid_eval}/scores",
            {"scores": {"技术方案": 80}},
        ),
    ],
    # Brokerage: the broker principal has a Broker profile; deal_open and deal_signed are its
    # deals between uni_owner's university (seller) and ent_owner's enterprise (buyer).
    "brokerage": [
        _get("/brokerage", "L O F F O F F F F"),
        Case("POST", "/deals", "L O F F O F F F F", body=DEAL_BODY),
        Case(
            "POST",
            "/matches/{match_id}/reassign",
            "L O F F F F F F F",
            "/matches/{new_match}/reassign",
            {"broker_id": "{broker_profile}"},
        ),
        _get("/deals/{deal_id}", "L O N N O N N O O", "/deals/{deal_open}"),
        Case(
            "POST",
            "/deals/{deal_id}/advance",
            "L O F F O F F F F",
            "/deals/{new_deal}/advance",
            STEP_BODY,
        ),
        _get("/contracts", SIGNED_IN),
        _get("/contracts/new", "L O F O O F F F O", "/contracts/new?deal={deal_signed}"),
        Case(
            "POST",
            "/contracts/new",
            "L O F F O F F F O",
            body=CONTRACT_FORM | {"deal_id": "{new_deal_signed}"},
        ),
        _get("/contracts/{contract_id}", "L O N N O N N O O", "/contracts/{contract_open}"),
        Case(
            "POST",
            "/contracts/{contract_id}/milestones/{milestone_id}/complete",
            "L O N N O N N O O",
            "/contracts/{new_contract}/milestones/{last_milestone}/complete",
            {"evidence": "交付清单"},
        ),
        Case(
            "POST",
            "/contracts/{contract_id}/payments",
            "L O N N O N N O O",
            "/contracts/{new_contract}/payments",
            PAYMENT_BODY,
        ),
        Case(
            "POST",
            "/contracts/{contract_id}/accept",
            "L O N N F N N F O",
            "/contracts/{new_contract_done}/accept",
            {},
        ),
        Case(
            "POST",
            "/matches/generate",
            "L O F F F F F F F",
            body={"source_kind": "demand", "source_id": "{dem_pub}"},
        ),
        _get("/api/v1/brokerage/queue", "L O F F O F F F F"),
        _get("/api/v1/brokerage/figures", "L O F F O F F F F"),
        Case(
            "POST",
            "/api/v1/brokerage/matches/{match_id}/reassign",
            "L O F F F F F F F",
            "/api/v1/brokerage/matches/{new_match}/reassign",
            {"broker_id": "{broker_profile}"},
        ),
        Case("POST", "/api/v1/deals", "L O F F O F F F F", body=DEAL_BODY),
        _get("/api/v1/deals/{deal_id}", "L O N N O N N O O", "/api/v1/deals/{deal_open}"),
        Case(
            "POST",
            "/api/v1/deals/{deal_id}/steps",
            "L O F F O F F F F",
            "/api/v1/deals/{new_deal}/steps",
            STEP_BODY,
        ),
        _get("/api/v1/contracts", SIGNED_IN),
        Case(
            "POST",
            "/api/v1/contracts",
            "L O F F O F F F O",
            body=CONTRACT_JSON | {"deal_id": "{new_deal_signed}"},
        ),
        _get(
            "/api/v1/contracts/{contract_id}",
            "L O N N O N N O O",
            "/api/v1/contracts/{contract_open}",
        ),
        Case(
            "POST",
            "/api/v1/contracts/{contract_id}/milestones/{milestone_id}/complete",
            "L O N N O N N O O",
            "/api/v1/contracts/{new_contract}/milestones/{last_milestone}/complete",
            {"evidence": "交付清单"},
        ),
        Case(
            "POST",
            "/api/v1/contracts/{contract_id}/payments",
            "L O N N O N N O O",
            "/api/v1/contracts/{new_contract}/payments",
            PAYMENT_BODY,
        ),
        Case(
            "POST",
            "/api/v1/contracts/{contract_id}/accept",
            "L O N N F N N F O",
            "/api/v1/contracts/{new_contract_done}/accept",
            {},
        ),
        Case(
            "POST",
            "/api/v1/matches/generate",
            "L O F F F F F F F",
            body={"source_kind": "demand", "source_id": "{dem_pub}"},
        ),
    ],
    # Platforms and bookings: ent_owner's enterprise books the platform unit's service; a booking
    # is seen by the office, the booking unit and the platform's operator (others: 404).
    "platforms": [
        _get("/platforms", EVERYONE),
        _get("/platforms/{platform_id}", EVERYONE, "/platforms/{plat}"),
        _get("/platforms/new", by("platform.create")),
        Case("POST", "/platforms/new", by("platform.create"), body=PLATFORM_BODY),
        _get(
            "/platforms/{platform_id}/edit",
            by("platform.edit", "plat"),
            "/platforms/{plat}/edit",
        ),
        Case(
            "POST",
            "/platforms/{platform_id}/edit",
            by("platform.edit", "plat"),
            "/platforms/{new_platform}/edit",
            PLATFORM_BODY,
        ),
        Case("POST", "/api/v1/platforms", by("platform.create"), body=PLATFORM_BODY),
        Case(
            "PUT",
            "/api/v1/platforms/{platform_id}",
            by("platform.edit", "plat"),
            "/api/v1/platforms/{new_platform}",
            PLATFORM_BODY,
        ),
        Case(
            "POST",
            "/platforms/{platform_id}/services",
            by("platform_service.create", "plat"),
            "/platforms/{plat}/services",
            SERVICE_BODY,
        ),
        _get("/platforms/{platform_id}/book", by("booking.request"), "/platforms/{plat}/book"),
        Case(
            "POST",
            "/platforms/{platform_id}/book",
            by("booking.request"),
            "/platforms/{plat}/book",
            BOOKING_BODY,
        ),
        _get("/bookings", SIGNED_IN),
        Case(
            "POST",
            "/bookings/{booking_id}/{action}",
            BOOKING_DECIDE,
            "/bookings/{new_booking}/approve",
            {},
        ),
        Case(
            "POST",
            "/bookings/{booking_id}/{action}",
            BOOKING_DECIDE,
            "/bookings/{new_booking}/decline",
            DECLINE_BODY,
        ),
        Case(
            "POST",
            "/bookings/{booking_id}/{action}",
            BOOKING_DECIDE,
            "/bookings/{new_booking_started}/complete",
            COMPLETE_BODY,
        ),
        Case(
            "POST",
            "/bookings/{booking_id}/{action}",
            BOOKING_SEEN,
            "/bookings/{new_booking}/cancel",
            {},
        ),
        _get("/api/v1/platforms", EVERYONE),
        _get("/api/v1/platforms/{platform_id}", EVERYONE, "/api/v1/platforms/{plat}"),
        _get(
            "/api/v1/platforms/{platform_id}/utilisation",
            EVERYONE,
            "/api/v1/platforms/{plat}/utilisation",
        ),
        Case(
            "POST",
            "/api/v1/platforms/{platform_id}/services",
            by("platform_service.create", "plat"),
            "/api/v1/platforms/{plat}/services",
            SERVICE_BODY,
        ),
        _get("/api/v1/services/{service_id}/calendar", EVERYONE, "/api/v1/services/{svc}/calendar"),
        _get("/api/v1/bookings", SIGNED_IN),
        Case("POST", "/api/v1/bookings", by("booking.request"), body=BOOKING_BODY),
        _get("/api/v1/bookings/{booking_id}", BOOKING_SEEN, "/api/v1/bookings/{booking}"),
        Case(
            "POST",
            "/api/v1/bookings/{booking_id}/approve",
            BOOKING_DECIDE,
            "/api/v1/bookings/{new_booking}/approve",
            {},
        ),
        Case(
            "POST",
            "/api/v1/bookings/{booking_id}/decline",
            BOOKING_DECIDE,
            "/api/v1/bookings/{new_booking}/decline",
            DECLINE_BODY,
        ),
        Case(
            "POST",
            "/api/v1/bookings/{booking_id}/complete",
            BOOKING_DECIDE,
            "/api/v1/bookings/{new_booking_started}/complete",
            COMPLETE_BODY,
        ),
        Case(
            "POST",
            "/api/v1/bookings/{booking_id}/cancel",
            BOOKING_SEEN,
            "/api/v1/bookings/{new_booking}/cancel",
            {},
        ),
    ],
    # Broker training: courses and counts are public; the office runs them and sees trainees.
    "trainings": [
        _get("/trainings", EVERYONE),
        Case("POST", "/trainings", by("training.manage"), body=TRAINING_BODY),
        _get("/trainings/{training_id}", EVERYONE, "/trainings/{training}"),
        Case(
            "POST",
            "/trainings/{training_id}/enroll",
            by("training.manage"),
            "/trainings/{new_training}/enroll",
            ENROLL_BODY,
        ),
        Case(
            "POST",
            "/trainings/enrollments/{enrollment_id}/{action}",
            by("training.manage"),
            "/trainings/enrollments/{new_enrollment}/exam",
            EXAM_BODY,
        ),
        Case(
            "POST",
            "/trainings/enrollments/{enrollment_id}/{action}",
            by("training.manage"),
            "/trainings/enrollments/{new_enrollment_passed}/certify",
            CERTIFY_BODY,
        ),
        _get("/api/v1/trainings", EVERYONE),
        Case("POST", "/api/v1/trainings", by("training.manage"), body=TRAINING_BODY),
        _get(
            "/api/v1/trainings/figures",
            EVERYONE,
            "/api/v1/trainings/figures?start=2026-01-01&end=2026-12-31",
        ),
        _get("/api/v1/trainings/{training_id}", EVERYONE, "/api/v1/trainings/{training}"),
        Case(
            "POST",
            "/api/v1/trainings/{training_id}/enrollments",
            by("training.manage"),
            "/api/v1/trainings/{new_training}/enrollments",
            ENROLL_BODY,
        ),
        Case(
            "POST",
            "/api/v1/trainings/enrollments/{enrollment_id}/exam",
            by("training.manage"),
            "/api/v1/trainings/enrollments/{new_enrollment}/exam",
            EXAM_BODY,
        ),
        Case(
            "POST",
            "/api/v1/trainings/enrollments/{enrollment_id}/certify",
            by("training.manage"),
            "/api/v1/trainings/enrollments/{new_enrollment_passed}/certify",
            CERTIFY_BODY,
        ),
    ],
    # Joint meetings, gaps and the briefing: the offices' desk (meeting, decision, task below).
    "meetings": [
        _get("/meetings", by("meeting.view")),
        _get("/meetings/new", by("meeting.manage")),
        Case("POST", "/meetings/new", by("meeting.manage"), body=MEETING_FORM),
        _get("/meetings/{meeting_id}", by("meeting.view"), "/meetings/{meeting}"),
        _get("/meetings/{meeting_id}/edit", by("meeting.manage"), "/meetings/{meeting}/edit"),
        Case(
            "POST",
            "/meetings/{meeting_id}/edit",
            by("meeting.manage"),
            "/meetings/{new_meeting}/edit",
            MEETING_FORM,
        ),
        Case(
            "POST",
            "/meetings/{meeting_id}/agenda",
            by("meeting.manage"),
            "/meetings/{meeting}/agenda",
            AGENDA_BODY,
        ),
        Case(
            "POST",
            "/meetings/{meeting_id}/decisions",
            by("meeting.manage"),
            "/meetings/{meeting}/decisions",
            DECISION_BODY,
        ),
        Case(
            "POST",
            "/decisions/{decision_id}/tasks",
            by("meeting.manage"),
            "/decisions/{decision}/tasks",
            TASK_BODY,
        ),
        Case(
            "POST",
            "/tasks/{task_id}/progress",
            by("task.progress"),
            "/tasks/{new_task}/progress",
            PROGRESS_BODY,
        ),
        Case(
            "POST",
            "/chains/{chain_id}/gaps/agenda",
            by("meeting.manage"),
            "/chains/{chain}/gaps/agenda",
            GAP_FORM,
        ),
        _get("/briefing/quarterly", by("briefing.download")),
        _get("/api/v1/meetings", by("meeting.view")),
        Case("POST", "/api/v1/meetings", by("meeting.manage"), body=MEETING_JSON),
        _get("/api/v1/meetings/{meeting_id}", by("meeting.view"), "/api/v1/meetings/{meeting}"),
        Case(
            "PUT",
            "/api/v1/meetings/{meeting_id}",
            by("meeting.manage"),
            "/api/v1/meetings/{new_meeting}",
            MEETING_JSON,
        ),
        Case(
            "POST",
            "/api/v1/meetings/{meeting_id}/agenda",
            by("meeting.manage"),
            "/api/v1/meetings/{meeting}/agenda",
            AGENDA_BODY,
        ),
        Case(
            "POST",
            "/api/v1/meetings/{meeting_id}/decisions",
            by("meeting.manage"),
            "/api/v1/meetings/{meeting}/decisions",
            DECISION_BODY,
        ),
        _get("/api/v1/decisions/{decision_id}", by("meeting.view"), "/api/v1/decisions/{decision}"),
        Case(
            "POST",
            "/api/v1/decisions/{decision_id}/tasks",
            by("meeting.manage"),
            "/api/v1/decisions/{decision}/tasks",
            TASK_BODY,
        ),
        _get("/api/v1/tasks", by("meeting.view")),
        _get("/api/v1/tasks/{task_id}", by("meeting.view"), "/api/v1/tasks/{task}"),
        Case(
            "POST",
            "/api/v1/tasks/{task_id}/progress",
            by("task.progress"),
            "/api/v1/tasks/{new_task}/progress",
            PROGRESS_BODY,
        ),
        _get("/api/v1/gaps", by("gap.view")),
        Case("POST", "/api/v1/gaps/agenda", by("meeting.manage"), body=GAP_JSON),
        _get("/api/v1/briefings/quarterly", by("briefing.download")),
    ],
    # The bell: everyone reads only their own items (note_owner belongs to ent_owner).
    "notifications": [
        _get("/notifications/badge", EVERYONE),
        _get("/notifications", SIGNED_IN),
        Case("POST", "/notifications/read-all", SIGNED_IN, body={}),
        Case(
            "POST",
            "/notifications/{notification_id}/read",
            "L N N N N N N N O",
            "/notifications/{new_note}/read",
            {},
        ),
        _get("/api/v1/notifications", SIGNED_IN),
        Case(
            "POST",
            "/api/v1/notifications/{notification_id}/read",
            "L N N N N N N N O",
            "/api/v1/notifications/{new_note}/read",
            {},
        ),
        Case("POST", "/api/v1/notifications/read-all", SIGNED_IN, body={}),
    ],
    # Events: the office runs them; universities and experts enter their own published
    # achievements; enterprises register; the expert judges the selections (a world fact);
    # the office and brokers record leads.
    "events": [
        _get("/events", EVERYONE),
        _get("/good-achievements", EVERYONE),
        _get("/events/new", by("event.manage")),
        Case("POST", "/events/new", by("event.manage"), body=EVENT_BODY),
        _get("/events/{event_id}", EVERYONE, "/events/{ev_open}"),
        _get("/events/{event_id}", seen("event.view_planned"), "/events/{ev_planned}"),
        _get("/events/{event_id}/edit", by("event.manage"), "/events/{ev_open}/edit"),
        Case(
            "POST",
            "/events/{event_id}/edit",
            by("event.manage", hidden="event.view_planned"),
            "/events/{new_ev_planned}/edit",
            EVENT_BODY,
        ),
        Case(
            "POST",
            "/events/{event_id}/{action}",
            by("event.manage", hidden="event.view_planned"),
            "/events/{new_ev_planned}/open",
            {},
        ),
        Case(
            "POST",
            "/events/{event_id}/entries",
            by("event_entry.create", "uni"),
            "/events/{new_ev_open}/entries",
            ENTRY_BODY,
        ),
        Case(
            "POST",
            "/events/{event_id}/entries/{entry_id}/review",
            by("event.manage"),
            "/events/{ev_open}/entries/{new_entry}/review",
            {"decision": "approve"},
        ),
        Case(
            "POST",
            "/events/{event_id}/registrations",
            by("event_registration.create"),
            "/events/{new_ev_open}/registrations",
            {"attendees": 2},
        ),
        Case(
            "POST",
            "/events/{event_id}/judges",
            by("event.manage"),
            "/events/{new_ev_sel}/judges",
            {"talent_id": "{talent_hidden}"},
        ),
        # The expert judges ev_sel; the office sees the ranking there.
        _get(
            "/events/{event_id}/scoring",
            " ".join(
                "L" if p == "anonymous" else "O" if p in ("office", "expert") else "F"
                for p in PRINCIPALS
            ),
            "/events/{ev_sel}/scoring",
        ),
        Case(
            "POST",
            "/events/{event_id}/conflicts",
            by("event_score.submit", "expert"),
            "/events/{new_ev_judged}/conflicts",
            {},
        ),
        Case(
            "POST",
            "/events/{event_id}/entries/{entry_id}/score",
            by("event_score.submit", "expert"),
            "/events/{new_ev_judged}/entries/{last_entry}/score",
            {"score_0": 80, "score_1": 70},
        ),
        Case(
            "POST",
            "/events/{event_id}/publish-results",
            by("event.manage"),
            "/events/{new_ev_scored}/publish-results",
            {},
        ),
        Case(
            "POST",
            "/events/{event_id}/leads",
            by("event_lead.record"),
            "/events/{new_ev_held}/leads",
            LEAD_BODY,
        ),
        Case(
            "POST",
            "/events/{event_id}/leads/{lead_id}/deal",
            by("event_lead.convert"),
            "/events/{new_ev_lead}/leads/{last_lead}/deal",
            LEAD_DEAL_BODY,
        ),
        _get(
            "/events/{event_id}/suggestions", by("event.suggest"), "/events/{ev_open}/suggestions"
        ),
        _get("/api/v1/events", EVERYONE),
        _get("/api/v1/events/{event_id}", EVERYONE, "/api/v1/events/{ev_open}"),
        _get(
            "/api/v1/events/{event_id}", seen("event.view_planned"), "/api/v1/events/{ev_planned}"
        ),
        Case("POST", "/api/v1/events", by("event.manage"), body=EVENT_BODY),
        Case(
            "PUT",
            "/api/v1/events/{event_id}",
            by("event.manage", hidden="event.view_planned"),
            "/api/v1/events/{new_ev_planned}",
            EVENT_BODY,
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/{action}",
            by("event.manage", hidden="event.view_planned"),
            "/api/v1/events/{new_ev_planned}/open",
            {},
        ),
        _get("/api/v1/events/{event_id}/entries", EVERYONE, "/api/v1/events/{ev_open}/entries"),
        Case(
            "POST",
            "/api/v1/events/{event_id}/entries",
            by("event_entry.create", "uni"),
            "/api/v1/events/{new_ev_open}/entries",
            ENTRY_BODY,
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/entries/{entry_id}/review",
            by("event.manage"),
            "/api/v1/events/{ev_open}/entries/{new_entry}/review",
            {"decision": "approve"},
        ),
        _get(
            "/api/v1/events/{event_id}/registrations",
            SIGNED_IN,
            "/api/v1/events/{ev_open}/registrations",
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/registrations",
            by("event_registration.create"),
            "/api/v1/events/{new_ev_open}/registrations",
            {"attendees": 2},
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/judges",
            by("event.manage"),
            "/api/v1/events/{new_ev_sel}/judges",
            {"talent_id": "{talent_hidden}"},
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/conflicts",
            by("event_score.submit", "expert"),
            "/api/v1/events/{new_ev_judged}/conflicts",
            {},
        ),
        # Before publication only the office reads the scores.
        _get(
            "/api/v1/events/{event_id}/scores",
            by("event.manage", anon="F"),
            "/api/v1/events/{ev_sel}/scores",
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/entries/{entry_id}/scores",
            by("event_score.submit", "expert"),
            "/api/v1/events/{new_ev_judged}/entries/{last_entry}/scores",
            {"scores": {"技术先进性": 80, "转化前景": 70}},
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/publish-results",
            by("event.manage"),
            "/api/v1/events/{new_ev_scored}/publish-results",
            {},
        ),
        _get(
            "/api/v1/events/{event_id}/leads",
            by("event_lead.record"),
            "/api/v1/events/{ev_held}/leads",
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/leads",
            by("event_lead.record"),
            "/api/v1/events/{new_ev_held}/leads",
            LEAD_BODY,
        ),
        Case(
            "POST",
            "/api/v1/events/{event_id}/leads/{lead_id}/deal",
            by("event_lead.convert"),
            "/api/v1/events/{new_ev_lead}/leads/{last_lead}/deal",
            LEAD_DEAL_BODY,
        ),
        _get(
            "/api/v1/events/{event_id}/suggestions",
            by("event.suggest"),
            "/api/v1/events/{ev_open}/suggestions",
        ),
    ],
    # Policies and subsidy applications (the application belongs to ent_owner's enterprise).
    "subsidies": [
        _get("/subsidies", EVERYONE),
        _get("/subsidies/policies/new", by("policy.edit")),
        Case("POST", "/subsidies/policies/new", by("policy.edit"), body=POLICY_BODY),
        _get("/subsidies/policies/{policy_id}", EVERYONE, "/subsidies/policies/{policy}"),
        _get(
            "/subsidies/policies/{policy_id}/edit",
            by("policy.edit"),
            "/subsidies/policies/{policy}/edit",
        ),
        Case(
            "POST",
            "/subsidies/policies/{policy_id}/edit",
            by("policy.edit"),
            "/subsidies/policies/{new_policy}/edit",
            POLICY_BODY,
        ),
        _get("/subsidies/apply", by("subsidy.apply")),
        Case("POST", "/subsidies/apply", APPLY, body=SUBSIDY_BODY),
        _get(
            "/subsidies/applications/{app_id}",
            by("subsidy.view", "ent", denied="N"),
            "/subsidies/applications/{sub_draft}",
        ),
        _get(
            "/subsidies/applications/{app_id}/edit",
            by("subsidy.edit", "ent", hidden="subsidy.view"),
            "/subsidies/applications/{sub_draft}/edit",
        ),
        Case(
            "POST",
            "/subsidies/applications/{app_id}/edit",
            by("subsidy.edit", "ent", hidden="subsidy.view"),
            "/subsidies/applications/{new_sub_draft}/edit",
            SUBSIDY_BODY,
        ),
        Case(
            "POST",
            "/subsidies/applications/{app_id}/{action}",
            by("subsidy.submit", "ent", hidden="subsidy.view"),
            "/subsidies/applications/{new_sub_draft}/submit",
            {},
        ),
        Case(
            "POST",
            "/subsidies/applications/{app_id}/{action}",
            by("subsidy.review", "ent", hidden="subsidy.view"),
            "/subsidies/applications/{new_sub_submitted}/approve",
            {},
        ),
        Case(
            "POST",
            "/subsidies/applications/{app_id}/{action}",
            by("subsidy.review", "ent", hidden="subsidy.view"),
            "/subsidies/applications/{new_sub_submitted}/reject",
            RETURN_BODY,
        ),
        Case(
            "POST",
            "/subsidies/applications/{app_id}/{action}",
            by("subsidy.pay", "ent", hidden="subsidy.view"),
            "/subsidies/applications/{new_sub_approved}/pay",
            {},
        ),
        _get("/api/v1/policies", EVERYONE),
        _get("/api/v1/policies/{policy_id}", EVERYONE, "/api/v1/policies/{policy}"),
        Case("POST", "/api/v1/policies", by("policy.edit"), body=POLICY_BODY),
        Case(
            "PUT",
            "/api/v1/policies/{policy_id}",
            by("policy.edit"),
            "/api/v1/policies/{new_policy}",
            POLICY_BODY,
        ),
        _get("/api/v1/subsidy-applications", SIGNED_IN),
        _get(
            "/api/v1/subsidy-applications/{app_id}",
            by("subsidy.view", "ent", denied="N"),
            "/api/v1/subsidy-applications/{sub_draft}",
        ),
        Case("POST", "/api/v1/subsidy-applications", APPLY, body=SUBSIDY_BODY),
        Case(
            "PUT",
            "/api/v1/subsidy-applications/{app_id}",
            by("subsidy.edit", "ent", hidden="subsidy.view"),
            "/api/v1/subsidy-applications/{new_sub_draft}",
            SUBSIDY_BODY,
        ),
        Case(
            "POST",
            "/api/v1/subsidy-applications/{app_id}/submit",
            by("subsidy.submit", "ent", hidden="subsidy.view"),
            "/api/v1/subsidy-applications/{new_sub_draft}/submit",
            {},
        ),
        Case(
            "POST",
            "/api/v1/subsidy-applications/{app_id}/approve",
            by("subsidy.review", "ent", hidden="subsidy.view"),
            "/api/v1/subsidy-applications/{new_sub_submitted}/approve",
            {},
        ),
        Case(
            "POST",
            "/api/v1/subsidy-applications/{app_id}/return",
            by("subsidy.review", "ent", hidden="subsidy.view"),
            "/api/v1/subsidy-applications/{new_sub_submitted}/return",
            RETURN_BODY,
        ),
        Case(
            "POST",
            "/api/v1/subsidy-applications/{app_id}/reject",
            by("subsidy.review", "ent", hidden="subsidy.view"),
            "/api/v1/subsidy-applications/{new_sub_submitted}/reject",
            RETURN_BODY,
        ),
        Case(
            "POST",
            "/api/v1/subsidy-applications/{app_id}/pay",
            by("subsidy.pay", "ent", hidden="subsidy.view"),
            "/api/v1/subsidy-applications/{new_sub_approved}/pay",
            {},
        ),
    ],
    # Training programmes of uni's training base, and enrolments in them.
    "training": [
        _get("/training", EVERYONE),
        _get("/training/report", by("training.report")),
        _get("/training/programmes/new", by("training_programme.create")),
        Case(
            "POST",
            "/training/programmes/new",
            by("training_programme.edit", "uni"),
            body=PROGRAMME_BODY,
        ),
        _get("/training/programmes/{programme_id}", EVERYONE, "/training/programmes/{programme}"),
        _get(
            "/training/programmes/{programme_id}/edit",
            by("training_programme.edit", "uni"),
            "/training/programmes/{programme}/edit",
        ),
        Case(
            "POST",
            "/training/programmes/{programme_id}/edit",
            by("training_programme.edit", "uni"),
            "/training/programmes/{new_programme}/edit",
            PROGRAMME_BODY,
        ),
        Case(
            "POST",
            "/training/programmes/{programme_id}/enrol",
            SIGNED_IN,
            "/training/programmes/{new_programme}/enrol",
            {},
        ),
        Case(
            "POST",
            "/training/enrolments/{enrolment_id}/withdraw",
            ENROLMENT_WITHDRAW,
            "/training/enrolments/{new_enrolment}/withdraw",
            {},
        ),
        Case(
            "POST",
            "/training/enrolments/{enrolment_id}/complete",
            ENROLMENT_COMPLETE,
            "/training/enrolments/{new_enrolment}/complete",
            {},
        ),
        _get("/api/v1/training-programmes", EVERYONE),
        _get(
            "/api/v1/training-programmes/{programme_id}",
            EVERYONE,
            "/api/v1/training-programmes/{programme}",
        ),
        Case(
            "POST",
            "/api/v1/training-programmes",
            by("training_programme.edit", "uni"),
            body=PROGRAMME_BODY,
        ),
        Case(
            "PUT",
            "/api/v1/training-programmes/{programme_id}",
            by("training_programme.edit", "uni"),
            "/api/v1/training-programmes/{new_programme}",
            PROGRAMME_BODY,
        ),
        _get(
            "/api/v1/training-programmes/{programme_id}/enrolments",
            by("training_programme.edit", "uni"),
            "/api/v1/training-programmes/{programme}/enrolments",
        ),
        Case(
            "POST",
            "/api/v1/training-programmes/{programme_id}/enrolments",
            SIGNED_IN,
            "/api/v1/training-programmes/{new_programme}/enrolments",
            {},
        ),
        _get("/api/v1/enrolments", SIGNED_IN),
        Case(
            "POST",
            "/api/v1/enrolments/{enrolment_id}/withdraw",
            ENROLMENT_WITHDRAW,
            "/api/v1/enrolments/{new_enrolment}/withdraw",
            {},
        ),
        Case(
            "POST",
            "/api/v1/enrolments/{enrolment_id}/complete",
            ENROLMENT_COMPLETE,
            "/api/v1/enrolments/{new_enrolment}/complete",
            {},
        ),
        _get("/api/v1/training/utilisation", by("training.report")),
    ],
    # Investment projects (招商引资项目): a public register the offices keep.
    "investment_projects": [
        _get("/investment-projects", EVERYONE),
        _get("/investment-projects/new", by("investment_project.create")),
        Case(
            "POST",
            "/investment-projects/new",
            by("investment_project.create"),
            body=INVESTMENT_FORM,
        ),
        _get("/investment-projects/{project_id}", EVERYONE, "/investment-projects/{investment}"),
        _get(
            "/investment-projects/{project_id}/matches",
            by("investment_project.view_matches", "ent", anon="F"),
            "/investment-projects/{investment}/matches",
        ),
        _get(
            "/investment-projects/{project_id}/edit",
            by("investment_project.edit"),
            "/investment-projects/{investment}/edit",
        ),
        Case(
            "POST",
            "/investment-projects/{project_id}/edit",
            by("investment_project.edit"),
            "/investment-projects/{new_investment}/edit",
            INVESTMENT_FORM,
        ),
        Case(
            "POST",
            "/investment-projects/{project_id}/{action}",
            by("investment_project.edit"),
            "/investment-projects/{new_investment}/build",
            {},
        ),
        Case(
            "POST",
            "/investment-projects/{project_id}/classes",
            by("investment_project.link_class"),
            "/investment-projects/{new_investment}/classes",
            {"class_id": "{new_class}"},
        ),
        Case(
            "POST",
            "/investment-projects/{project_id}/classes/{class_id}/unlink",
            by("investment_project.link_class"),
            "/investment-projects/{new_linked_investment}/classes/{last_class}/unlink",
            {},
        ),
        _get("/api/v1/investment-projects", EVERYONE),
        _get(
            "/api/v1/investment-projects/{project_id}",
            EVERYONE,
            "/api/v1/investment-projects/{investment}",
        ),
        _get(
            "/api/v1/investment-projects/{project_id}/forecast",
            EVERYONE,
            "/api/v1/investment-projects/{investment}/forecast",
        ),
        Case(
            "POST",
            "/api/v1/investment-projects",
            by("investment_project.create"),
            body=INVESTMENT_BODY,
        ),
        Case(
            "PUT",
            "/api/v1/investment-projects/{project_id}",
            by("investment_project.edit"),
            "/api/v1/investment-projects/{new_investment}",
            INVESTMENT_BODY,
        ),
        Case(
            "POST",
            "/api/v1/investment-projects/{project_id}/{action}",
            by("investment_project.edit"),
            "/api/v1/investment-projects/{new_investment}/build",
            {},
        ),
        Case(
            "POST",
            "/api/v1/investment-projects/{project_id}/classes",
            by("investment_project.link_class"),
            "/api/v1/investment-projects/{new_investment}/classes",
            {"class_id": "{new_class}"},
        ),
        Case(
            "DELETE",
            "/api/v1/investment-projects/{project_id}/classes/{class_id}",
            by("investment_project.link_class"),
            "/api/v1/investment-projects/{new_linked_investment}/classes/{last_class}",
            {},
        ),
    ],
    # Innovation consortia (创新联合体): icons is led by ent_owner's enterprise, so its projects
    # are run by the office and by ent_owner; ctp is its planned project. Institutes (新型研发
    # 机构) are the office's. The registers are public. new_ctp is planned, new_ctp_running
    # running, new_ctp_ready running with every milestone done, new_ctp_ms running with an open
    # milestone (last_ct_milestone), new_ctp_output running with ach_pub as output.
    "consortia": [
        _get("/consortia", EVERYONE),
        _get("/consortia/new", by("consortium.manage")),
        Case("POST", "/consortia/new", by("consortium.manage"), body=ICONS_BODY),
        _get("/consortia/{consortium_id}", EVERYONE, "/consortia/{icons}"),
        _get(
            "/consortia/{consortium_id}/edit",
            by("consortium.manage"),
            "/consortia/{icons}/edit",
        ),
        Case(
            "POST",
            "/consortia/{consortium_id}/edit",
            by("consortium.manage"),
            "/consortia/{new_icons}/edit",
            ICONS_BODY,
        ),
        _get(
            "/consortia/{consortium_id}/projects/new",
            by("consortium_project.manage", "ent"),
            "/consortia/{icons}/projects/new",
        ),
        Case(
            "POST",
            "/consortia/{consortium_id}/projects/new",
            by("consortium_project.manage", "ent"),
            "/consortia/{icons}/projects/new",
            CT_PROJECT_BODY,
        ),
        _get("/consortium-projects/{project_id}", EVERYONE, "/consortium-projects/{ctp}"),
        _get(
            "/consortium-projects/{project_id}/edit",
            by("consortium_project.manage", "ent"),
            "/consortium-projects/{ctp}/edit",
        ),
        Case(
            "POST",
            "/consortium-projects/{project_id}/edit",
            by("consortium_project.manage", "ent"),
            "/consortium-projects/{new_ctp}/edit",
            CT_PROJECT_BODY,
        ),
        Case(
            "POST",
            "/consortium-projects/{project_id}/{action}",
            by("consortium_project.manage", "ent"),
            "/consortium-projects/{new_ctp}/start",
            {},
        ),
        Case(
            "POST",
            "/consortium-projects/{project_id}/{action}",
            by("consortium_project.manage", "ent"),
            "/consortium-projects/{new_ctp_ready}/accept",
            {},
        ),
        Case(
            "POST",
            "/consortium-projects/{project_id}/milestones/{milestone_id}/done",
            by("consortium_project.manage", "ent"),
            "/consortium-projects/{new_ctp_ms}/milestones/{last_ct_milestone}/done",
            {},
        ),
        Case(
            "POST",
            "/consortium-projects/{project_id}/outputs",
            by("consortium_project.manage", "ent"),
            "/consortium-projects/{new_ctp_running}/outputs",
            {"achievement_id": "{ach_pub}"},
        ),
        Case(
            "POST",
            "/consortium-projects/{project_id}/outputs/{achievement_id}/delete",
            by("consortium_project.manage", "ent"),
            "/consortium-projects/{new_ctp_output}/outputs/{last_output}/delete",
            {},
        ),
        _get("/institutes", EVERYONE),
        _get("/institutes/new", by("institute.manage")),
        Case("POST", "/institutes/new", by("institute.manage"), body=INSTITUTE_BODY),
        _get("/institutes/{institute_id}", EVERYONE, "/institutes/{institute}"),
        _get(
            "/institutes/{institute_id}/edit",
            by("institute.manage"),
            "/institutes/{institute}/edit",
        ),
        Case(
            "POST",
            "/institutes/{institute_id}/edit",
            by("institute.manage"),
            "/institutes/{new_institute}/edit",
            INSTITUTE_BODY,
        ),
        Case(
            "POST",
            "/institutes/{institute_id}/talents",
            by("institute.manage"),
            "/institutes/{new_institute}/talents",
            {"talent_id": "{talent_pub}"},
        ),
        Case(
            "POST",
            "/institutes/{institute_id}/talents/{talent_id}/delete",
            by("institute.manage"),
            "/institutes/{new_institute_talent}/talents/{last_inst_talent}/delete",
            {},
        ),
        Case(
            "POST",
            "/institutes/{institute_id}/achievements",
            by("institute.manage"),
            "/institutes/{new_institute}/achievements",
            {"achievement_id": "{ach_pub}"},
        ),
        Case(
            "POST",
            "/institutes/{institute_id}/achievements/{achievement_id}/delete",
            by("institute.manage"),
            "/institutes/{new_institute_ach}/achievements/{last_inst_ach}/delete",
            {},
        ),
        _get("/api/v1/consortia", EVERYONE),
        _get("/api/v1/consortia/{consortium_id}", EVERYONE, "/api/v1/consortia/{icons}"),
        Case("POST", "/api/v1/consortia", by("consortium.manage"), body=ICONS_BODY),
        Case(
            "PUT",
            "/api/v1/consortia/{consortium_id}",
            by("consortium.manage"),
            "/api/v1/consortia/{new_icons}",
            ICONS_BODY,
        ),
        Case(
            "POST",
            "/api/v1/consortia/{consortium_id}/projects",
            by("consortium_project.manage", "ent"),
            "/api/v1/consortia/{icons}/projects",
            CT_PROJECT_BODY,
        ),
        _get("/api/v1/consortium-projects", EVERYONE),
        _get(
            "/api/v1/consortium-projects/{project_id}",
            EVERYONE,
            "/api/v1/consortium-projects/{ctp}",
        ),
        Case(
            "PUT",
            "/api/v1/consortium-projects/{project_id}",
            by("consortium_project.manage", "ent"),
            "/api/v1/consortium-projects/{new_ctp}",
            CT_PROJECT_BODY,
        ),
        Case(
            "POST",
            "/api/v1/consortium-projects/{project_id}/start",
            by("consortium_project.manage", "ent"),
            "/api/v1/consortium-projects/{new_ctp}/start",
            {},
        ),
        Case(
            "POST",
            "/api/v1/consortium-projects/{project_id}/accept",
            by("consortium_project.manage", "ent"),
            "/api/v1/consortium-projects/{new_ctp_ready}/accept",
            {},
        ),
        Case(
            "POST",
            "/api/v1/consortium-projects/{project_id}/milestones/{milestone_id}/done",
            by("consortium_project.manage", "ent"),
            "/api/v1/consortium-projects/{new_ctp_ms}/milestones/{last_ct_milestone}/done",
            {},
        ),
        Case(
            "POST",
            "/api/v1/consortium-projects/{project_id}/outputs",
            by("consortium_project.manage", "ent"),
            "/api/v1/consortium-projects/{new_ctp_running}/outputs",
            {"achievement_id": "{ach_pub}"},
        ),
        Case(
            "DELETE",
            "/api/v1/consortium-projects/{project_id}/outputs/{achievement_id}",
            by("consortium_project.manage", "ent"),
            "/api/v1/consortium-projects/{new_ctp_output}/outputs/{last_output}",
            {},
        ),
        _get("/api/v1/institutes", EVERYONE),
        _get("/api/v1/institutes/{institute_id}", EVERYONE, "/api/v1/institutes/{institute}"),
        Case("POST", "/api/v1/institutes", by("institute.manage"), body=INSTITUTE_BODY),
        Case(
            "PUT",
            "/api/v1/institutes/{institute_id}",
            by("institute.manage"),
            "/api/v1/institutes/{new_institute}",
            INSTITUTE_BODY,
        ),
        Case(
            "POST",
            "/api/v1/institutes/{institute_id}/talents",
            by("institute.manage"),
            "/api/v1/institutes/{new_institute}/talents",
            {"talent_id": "{talent_pub}"},
        ),
        Case(
            "DELETE",
            "/api/v1/institutes/{institute_id}/talents/{talent_id}",
            by("institute.manage"),
            "/api/v1/institutes/{new_institute_talent}/talents/{last_inst_talent}",
            {},
        ),
        Case(
            "POST",
            "/api/v1/institutes/{institute_id}/achievements",
            by("institute.manage"),
            "/api/v1/institutes/{new_institute}/achievements",
            {"achievement_id": "{ach_pub}"},
        ),
        Case(
            "DELETE",
            "/api/v1/institutes/{institute_id}/achievements/{achievement_id}",
            by("institute.manage"),
            "/api/v1/institutes/{new_institute_ach}/achievements/{last_inst_ach}",
            {},
        ),
    ],
}

# Routes that are not permission-checked requests: static files.
EXEMPT = {("MOUNT", "/static")}


# --- the world the matrix runs in ------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with minimal cost: dozens of sign-ins per test stay fast (hashes stay argon2)."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@dataclass
class World:
    """Units, users and records the matrix refers to by name."""

    db: Session
    users: dict[str, User]
    ids: dict[str, int]
    fresh: list[tuple[type[Base], int]] = field(default_factory=list)
    count: int = 0
    last_bid: int = 0
    last_milestone: int = 0
    last: dict[str, int] = field(default_factory=dict)

    def new(self, key: str) -> int:
        """Create a fresh record for one request: new_ach_<status>, new_dem_<status>, …"""
        self.count += 1
        n, ids = self.count, self.ids
        record: Base
        if key.startswith("new_ach_"):
            record = achievement(f"待处理成果{n}", ids["uni"], key[8:], self.users["uni_owner"])
        elif key.startswith("new_dem_"):
            record = demand(f"待处理需求{n}", ids["ent"], key[8:], self.users["ent_owner"])
        elif key == "new_need":
            record = TalentNeed(organization_id=ids["ent"], position=f"待处理岗位{n}")
        elif key == "new_class":
            record = NamedClass(
                name=f"待处理冠名班{n}",
                university_id=ids["uni"],
                enterprise_id=ids["ent"],
                major_name="轮机工程",
                graduation_year=2027,
            )
        elif key == "new_chal_draft":
            record = self._challenge(n, "draft")
        elif key == "new_chal_bidding":
            record = self._challenge(n, "bidding")
        elif key in ("new_chal_due", "new_chal_eval"):
            # Past its deadline with one live bid; _eval: in evaluation, bid scored by the expert.
            evaluating = key == "new_chal_eval"
            record = self._challenge(
                n,
                "evaluating" if evaluating else "bidding",
                bidding_deadline=clock.today() - timedelta(days=1),
                scoring_criteria=[{"name": "技术方案", "weight": 100}] if evaluating else None,
            )
            self._bid(record, n, scored=evaluating)
        elif key == "new_bid_eval":
            item = self._challenge(
                n,
                "evaluating",
                bidding_deadline=clock.today() - timedelta(days=1),
                scoring_criteria=[{"name": "技术方案", "weight": 100}],
            )
            record = self._bid(item, n, scored=False)
        elif key == "new_bid":
            item = self._challenge(n, "bidding")
            record = Bid(
                demand_id=item.demand_id,
                organization_id=ids["uni"],
                created_by_id=self.users["uni_owner"].id,
                team_name=f"待处理方案{n}",
                proposal="以深海焊接成果为基础的解决方案。",
                live_key=f"org:{ids['uni']}",
            )
        elif key == "new_match":
            record = self._match(n)
        elif key in ("new_deal", "new_deal_signed"):
            record = self._deal(n, "signed" if key == "new_deal_signed" else "contacted")
        elif key in ("new_contract", "new_contract_done"):
            record = self._contract(n, done=key == "new_contract_done")
        elif key == "new_application":
            need = TalentNeed(organization_id=ids["ent"], position=f"待申请岗位{n}")
            self.db.add(need)
            self.db.flush()
            record = Application(
                need_id=need.id,
                talent_id=ids["talent_hidden"],
                organization_id=ids["ent"],
                user_id=self.users["expert"].id,
            )
        elif key == "new_hire":
            record = co_shared_hire(self.db, ids, n)
        elif key in ("new_project", "new_project_ok"):
            ok = key == "new_project_ok"
            record = TalentProject(
                name=f"待处理产才融合项目{n}",
                organization_id=ids["ent"],
                year=2026,
                status="approved" if ok else "applying",
                rights=["self_recommend"] if ok else [],
                requested_rights=["self_recommend"],
            )
        elif key == "new_recommendation":
            talent = Talent(name=f"待确认人才{n}")
            self.db.add(talent)
            self.db.flush()
            record = Recommendation(
                project_id=ids["project_ok"],
                organization_id=ids["ent"],
                talent_id=talent.id,
                right_kind="self_recommend",
            )
        elif key in ("new_booking", "new_booking_started"):
            started = key == "new_booking_started"
            day = clock.today() if started else clock.today() + timedelta(days=20 + n % 200)
            record = ServiceBooking(
                service_id=ids["svc"],
                organization_id=ids["ent"],
                requested_by_id=self.users["ent_owner"].id,
                start_date=day,
                end_date=day,
                quantity=1,
                status="approved" if started else "requested",
            )
        elif key == "new_training":
            record = BrokerTraining(name=f"待处理培训班{n}", year=2026, hours=24)
        elif key in ("new_enrollment", "new_enrollment_passed"):
            passed = key == "new_enrollment_passed"
            course = BrokerTraining(name=f"学员培训班{n}", year=2026, hours=24)
            self.db.add(course)
            self.db.flush()
            record = TrainingEnrollment(
                training_id=course.id,
                user_id=self.users["expert"].id,
                enrolled_on=clock.today(),
                exam_score=80 if passed else None,
                passed=True if passed else None,
                exam_on=clock.today() if passed else None,
            )
        elif key == "new_meeting":
            record = JointMeeting(title=f"矩阵新会商{n}", quarter="2026Q4", held_on=clock.today())
        elif key == "new_task":
            record = FollowUpTask(
                decision_id=ids["decision"],
                title=f"矩阵新任务{n}",
                assignee_user_id=self.users["office"].id,
                status="open",
            )
        elif key.startswith("new_ev") or key == "new_entry":
            record = self._event(key, n)
        elif key == "new_note":
            record = Notification(
                user_id=self.users["ent_owner"].id, kind="bid_review", title=f"提醒{n}"
            )
        elif key == "new_policy":
            record = Policy(
                title=f"待处理政策{n}", kind="other", formula="fixed", fixed_amount=1000
            )
        elif key.startswith("new_sub_"):
            record = SubsidyApplication(
                policy_id=ids["policy"],
                organization_id=ids["ent"],
                year=clock.today().year,
                fact_amount=Decimal("100000"),
                amount=Decimal("20000"),
                computation="年薪 10万元 × 20% = 2万元，核定 2万元",
                status=key[8:],
                created_by_id=self.users["ent_owner"].id,
            )
        elif key in ("new_investment", "new_linked_investment"):
            record = InvestmentProject(
                name=f"待处理招商项目{n}",
                organization_id=ids["ent"],
                opening_date=date(2028, 9, 1),
                talent_needs=[{"major": "轮机工程", "year": 2028, "count": 10}],
            )
            if key == "new_linked_investment":
                self.db.add(record)
                self.db.flush()
                klass = NamedClass(
                    name=f"已对接冠名班{n}",
                    university_id=ids["uni"],
                    enterprise_id=ids["ent"],
                    major_name="轮机工程",
                    graduation_year=2027,
                    investment_project_id=record.id,
                )
                self.db.add(klass)
                self.db.flush()
                self.last["last_class"] = klass.id
                self.fresh.append((NamedClass, klass.id))
        elif key == "new_platform":
            record = Platform(name=f"待处理平台{n}", kind="pilot", organization_id=ids["plat_org"])
        elif key == "new_icons":
            record = InnovationConsortium(
                name=f"待处理创新联合体{n}", lead_organization_id=ids["ent"]
            )
        elif key.startswith("new_ctp"):
            record = self._common_tech_project(key, n)
        elif key.startswith("new_institute"):
            record = self._institute(key, n)
        elif key == "new_programme":
            record = programme(f"待处理培训{n}", ids["base"], ids["uni"])
        elif key == "new_enrolment":
            item = programme(f"待结业培训{n}", ids["base"], ids["uni"], days=-5)
            self.db.add(item)
            self.db.flush()
            record = Enrolment(
                programme_id=item.id,
                user_id=self.users["ent_owner"].id,
                enrolled_at=utcnow(),
            )
        else:
            raise KeyError(key)
        self.db.add(record)
        self.db.commit()
        self.fresh.append((type(record), record.id))
        return record.id

    def _common_tech_project(self, key: str, n: int) -> CommonTechProject:
        """A fresh project of icons: new_ctp planned; new_ctp_running running; new_ctp_ready
        running with its milestone done; new_ctp_ms running with an open milestone
        (last_ct_milestone); new_ctp_output running with ach_pub as output (last_output)."""
        db, today = self.db, clock.today()
        planned = key == "new_ctp"
        item = CommonTechProject(
            consortium_id=self.ids["icons"],
            title=f"待处理攻关项目{n}",
            budget=Decimal("1000000"),
            status="planned" if planned else "running",
            started_on=None if planned else today - timedelta(days=30),
        )
        db.add(item)
        db.flush()
        if key in ("new_ctp_ready", "new_ctp_ms"):
            done = today if key == "new_ctp_ready" else None
            milestone = ProjectMilestone(
                project_id=item.id, name="样机验证", due_on=today, done_on=done
            )
            db.add(milestone)
            db.flush()
            self.last["last_ct_milestone"] = milestone.id
            self.fresh.append((ProjectMilestone, milestone.id))
        if key == "new_ctp_output":
            ach = self.ids["ach_pub"]
            db.add(ProjectAchievement(project_id=item.id, achievement_id=ach, produced_on=today))
            db.flush()
            self.last["last_output"] = ach
            self.fresh.append((ProjectAchievement, (item.id, ach)))  # type: ignore[arg-type]
        return item

    def _institute(self, key: str, n: int) -> RdInstitute:
        """A fresh institute: new_institute bare; new_institute_talent with talent_pub
        (last_inst_talent); new_institute_ach with ach_pub (last_inst_ach)."""
        db, today = self.db, clock.today()
        item = RdInstitute(name=f"待处理新型研发机构{n}")
        db.add(item)
        db.flush()
        if key == "new_institute_talent":
            talent = self.ids["talent_pub"]
            db.add(InstituteTalent(institute_id=item.id, talent_id=talent, joined_on=today))
            self.last["last_inst_talent"] = talent
            self.fresh.append((InstituteTalent, (item.id, talent)))  # type: ignore[arg-type]
        elif key == "new_institute_ach":
            ach = self.ids["ach_pub"]
            db.add(InstituteAchievement(institute_id=item.id, achievement_id=ach, linked_on=today))
            self.last["last_inst_ach"] = ach
            self.fresh.append((InstituteAchievement, (item.id, ach)))  # type: ignore[arg-type]
        db.flush()
        return item

    def _challenge(self, n: int, status: str, **kw: Any) -> Challenge:
        """A fresh challenge of ent_owner's enterprise on a fresh published demand."""
        dem = demand(f"揭榜需求{n}", self.ids["ent"], "published", self.users["ent_owner"])
        self.db.add(dem)
        self.db.flush()
        item = challenge(dem.id, status, self.users["ent_owner"], **kw)
        self.db.add(item)
        self.db.commit()
        self.fresh.append((Challenge, item.id))
        return item

    def _bid(self, item: Challenge, n: int, *, scored: bool) -> Bid:
        """uni_owner's bid on item; the expert reviews item (declared, and scored it if asked)."""
        bid = Bid(
            demand_id=item.demand_id,
            organization_id=self.ids["uni"],
            created_by_id=self.users["uni_owner"].id,
            team_name=f"评审中方案{n}",
            proposal="以深海焊接成果为基础的解决方案。",
            live_key=f"org:{self.ids['uni']}",
        )
        reviewer = Reviewer(
            challenge_id=item.id,
            talent_id=self.ids["talent_hidden"],
            user_id=self.users["expert"].id,
            declared_at=utcnow(),
        )
        self.db.add_all([bid, reviewer])
        self.db.flush()
        if scored:
            self.db.add(
                BidScore(
                    bid_id=bid.id,
                    reviewer_id=reviewer.id,
                    scores={"技术方案": 80.0},
                    weights={"技术方案": 100.0},
                    total=80.0,
                )
            )
        self.db.commit()
        self.last_bid = bid.id
        self.fresh.append((Bid, bid.id))
        return bid

    def _event(self, key: str, n: int) -> Base:
        """Fresh events: new_ev_planned, new_ev_open, new_ev_sel (scheduled selection, no judges),
        new_ev_judged (the expert judges it, declared; last_entry: uni2's entry), new_ev_scored
        (held, that entry scored), new_ev_held (held roadshow; last_achievement entered),
        new_ev_lead (held, with a lead: last_lead); new_entry: a pending entry of ev_open."""
        db, ids = self.db, self.ids
        if key == "new_entry":
            ach = achievement(f"待审成果{n}", ids["uni"], "published", self.users["uni_owner"])
            db.add(ach)
            db.flush()
            return EventEntry(
                event_id=ids["ev_open"],
                achievement_id=ach.id,
                organization_id=ids["uni"],
                status="pending",
            )
        status = {
            "new_ev_planned": "planned",
            "new_ev_open": "open_for_entries",
            "new_ev_sel": "scheduled",
            "new_ev_judged": "scheduled",
        }.get(key, "held")
        selection = key in ("new_ev_sel", "new_ev_judged", "new_ev_scored")
        item = event(f"待处理活动{n}", status, selection)
        db.add(item)
        db.flush()
        if key in ("new_ev_planned", "new_ev_open", "new_ev_sel"):
            return item
        owner = "uni2" if selection else "uni"
        ach = achievement(f"参展成果{n}", ids[owner], "published")
        db.add(ach)
        db.flush()
        entry = EventEntry(
            event_id=item.id, achievement_id=ach.id, organization_id=ids[owner], status="approved"
        )
        db.add(entry)
        db.flush()
        self.last |= {"last_entry": entry.id, "last_achievement": ach.id}
        if selection:
            db.add(
                EventJudge(
                    event_id=item.id,
                    talent_id=ids["talent_hidden"],
                    user_id=self.users["expert"].id,
                    declared_at=utcnow(),
                )
            )
        if key == "new_ev_scored":
            db.add(ExpertScore(entry_id=entry.id, talent_id=ids["talent_hidden"], score=75.0))
        if key == "new_ev_lead":
            lead = EventLead(event_id=item.id, achievement_id=ach.id, organization_id=ids["ent"])
            db.add(lead)
            db.flush()
            self.last["last_lead"] = lead.id
            self.fresh.append((EventLead, lead.id))
        return item

    def _match(self, n: int) -> Match:
        """A fresh match between ent_owner's demand and uni_owner's achievement, in the broker's
        queue."""
        dem = demand(f"撮合需求{n}", self.ids["ent"], "published", self.users["ent_owner"])
        ach = achievement(f"撮合成果{n}", self.ids["uni"], "published", self.users["uni_owner"])
        self.db.add_all([dem, ach])
        self.db.flush()
        item = Match(
            source_kind="demand",
            source_id=dem.id,
            target_kind="achievement",
            target_id=ach.id,
            score=0.7,
            reasons={},
            broker_id=self.ids["broker_profile"],
        )
        self.db.add(item)
        self.db.commit()
        return item

    def _deal(self, n: int, stage: str) -> Deal:
        """A fresh deal of the broker between uni_owner's university and ent_owner's enterprise."""
        item = Deal(
            title=f"对接{n}",
            broker_id=self.ids["broker_profile"],
            seller_id=self.ids["uni"],
            buyer_id=self.ids["ent"],
            stage=stage,
            last_activity_on=clock.today(),
        )
        self.db.add(item)
        self.db.commit()
        return item

    def _contract(self, n: int, *, done: bool) -> Contract:
        """A fresh contract of a signed deal with one milestone (done when asked)."""
        deal = self._deal(n, "signed")
        item = Contract(
            title=f"合同{n}",
            deal_id=deal.id,
            amount=Decimal("300000"),
            signed_on=clock.today(),
            seller_id=self.ids["uni"],
            buyer_id=self.ids["ent"],
            status="performing",
            milestones=[
                ContractMilestone(
                    seq=1,
                    name="资料交付",
                    due_on=clock.today(),
                    amount=Decimal("300000"),
                    done_on=clock.today() if done else None,
                    evidence="交付清单" if done else "",
                )
            ],
        )
        self.db.add(item)
        self.db.commit()
        self.last_milestone = item.milestones[0].id
        return item

    def value(self, key: str, principal: str) -> Any:
        """What a {key} placeholder stands for when principal makes the request."""
        if key == "p":
            return principal
        if key == "n":
            self.count += 1
            return self.count
        if key == "username":
            return self.users[principal].username if principal in self.users else "nobody"
        if key == "password":
            return PASSWORD if principal in self.users else "wrong-password"
        if key.startswith("new_"):
            return self.new(key)
        if key == "last_bid":
            return self.last_bid
        if key == "last_milestone":
            return self.last_milestone
        if key in self.last:
            return self.last[key]
        return self.ids[key]

    def fill(self, text: str, principal: str) -> Any:
        """Text with placeholders filled; a lone placeholder keeps the value's type."""
        whole = re.fullmatch(r"\{(\w+)\}", text)
        if whole:
            return self.value(whole[1], principal)
        return re.sub(r"\{(\w+)\}", lambda m: str(self.value(m[1], principal)), text)

    def snapshot(self) -> dict[tuple[str, int], dict[str, Any]]:
        """Current column values of the fresh records made for the request in flight."""
        if not self.fresh:
            return {}
        self.db.expire_all()
        out = {}
        for model, pk in self.fresh:
            row = self.db.get(model, pk)
            out[(model.__name__, pk)] = {
                c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs
            }
        self.db.commit()
        return out


def achievement(
    title: str, org_id: int, status: str, by: User | None = None, remarks: str = ""
) -> Achievement:
    """An achievement of org in status (published ones carry a publication date)."""
    return Achievement(
        title=title,
        review_remarks=remarks,
        summary=f"{title}的非保密简介，面向企业。",
        organization_id=org_id,
        status=status,
        created_by_id=by.id if by else None,
        published_at=utcnow() - timedelta(days=1) if status == "published" else None,
    )


def demand(title: str, org_id: int, status: str, by: User | None = None, **kw: Any) -> Demand:
    """A demand of org in status (published ones carry a publication date)."""
    values: dict[str, Any] = {
        "title": title,
        "problem": f"{title}：需要解决的技术问题描述。",
        "public_summary": f"{title}的公开摘要。",
        "organization_id": org_id,
        "status": status,
        "created_by_id": by.id if by else None,
        "published_at": utcnow() - timedelta(days=1) if status == "published" else None,
    }
    return Demand(**(values | kw))


def challenge(demand_id: int, status: str, by: User, **kw: Any) -> Challenge:
    """A challenge on a demand, open for bids for another month."""
    values: dict[str, Any] = {
        "demand_id": demand_id,
        "status": status,
        "created_by_id": by.id,
        "bidding_deadline": clock.today() + timedelta(days=30),
        "criteria": [{"name": "技术方案", "weight": 100}],
        "published_at": utcnow() if status != "draft" else None,
    }
    return Challenge(**(values | kw))


def event(title: str, status: str, selection: bool = False, **kw: Any) -> Event:
    """A roadshow (or a selection with two weighted criteria) in status."""
    values: dict[str, Any] = {
        "kind": "selection" if selection else "roadshow",
        "title": title,
        "starts_at": utcnow(),
        "location": "路演厅",
        "capacity": 100,
        "status": status,
        "criteria": [{"name": "技术先进性", "weight": 60}, {"name": "转化前景", "weight": 40}]
        if selection
        else [],
    }
    return Event(**(values | kw))


def _events(db: Session, users: dict[str, User], ids: dict[str, int]) -> dict[str, int]:
    """ev_planned, ev_open (on the chain), ev_held (ach_pub entered, ent's lead) and ev_sel
    (scheduled selection judged by the expert, ach_pub entered)."""
    items = {
        "ev_planned": event("筹备中的路演", "planned"),
        "ev_open": event("征集中的路演", "open_for_entries", chain_id=ids["chain"]),
        "ev_held": event("已举办的路演", "held"),
        "ev_sel": event("年度优选评审", "scheduled", True),
    }
    db.add_all(items.values())
    db.flush()
    for key in ("ev_held", "ev_sel"):
        db.add(
            EventEntry(
                event_id=items[key].id,
                achievement_id=ids["ach_pub"],
                organization_id=ids["uni"],
                status="approved",
            )
        )
    db.add(
        EventJudge(
            event_id=items["ev_sel"].id,
            talent_id=ids["talent_hidden"],
            user_id=users["expert"].id,
            declared_at=utcnow(),
        )
    )
    db.add(
        EventLead(
            event_id=items["ev_held"].id, achievement_id=ids["ach_pub"], organization_id=ids["ent"]
        )
    )
    db.commit()
    return {key: item.id for key, item in items.items()}


def build_world(db: Session, factory: Factory) -> World:
    """Commit the units, one user per principal and the records of the matrix."""
    chain = IndustryChain(code="marine", name="海洋装备产业链", sort_order=1)
    chain_off = IndustryChain(code="retired", name="已停用产业链", sort_order=2, is_active=False)
    db.add_all([chain, chain_off])
    db.commit()
    uni = factory.org("university", name="滨海海洋大学")
    uni2 = factory.org("university", name="北岸理工大学")
    ent = factory.org("enterprise", name="蓝港海工科技", contact_name=ORG_CONTACT)
    ent2 = factory.org("enterprise", name="东岬船舶")
    inst = factory.org("institute", name="海洋材料研究院")
    plat = factory.org("platform", name="海工中试基地")
    org_off = factory.org("enterprise", name="已注销企业", is_active=False)
    for org in (uni, ent, ent2):
        org.chains.append(chain)
    orgs: dict[str, Organization | None] = {
        "office": None,
        "university": uni2,
        "enterprise": ent2,
        "broker": None,
        "expert": inst,
        "platform": plat,
        "uni_owner": uni,
        "ent_owner": ent,
    }
    users = {
        name: factory.user(ROLE_OF.get(name, name), org=org, username=name)
        for name, org in orgs.items()
    }
    records: dict[str, Base] = {
        "ach_pub": achievement("深海耐压壳体焊接工艺", uni.id, "published", users["uni_owner"]),
        "ach_remarked": achievement(
            "海水淡化能量回收装置", uni.id, "published", users["uni_owner"], ACH_REMARKS
        ),
        "ach_draft": achievement(DRAFT_ACHIEVEMENT, uni.id, "draft", users["uni_owner"]),
        "dem_pub": demand("船用推进器降噪需求", ent.id, "published", users["ent_owner"]),
        "dem_secret": demand(
            "海水淡化膜污染控制需求",
            ent.id,
            "published",
            users["ent_owner"],
            problem=f"反渗透膜清洗周期太短。{SECRET}",
            public_summary="海水淡化膜污染控制方向，详情签署保密协议后提供。",
            confidentiality="confidential",
            contact_name="赵保密",
            review_remarks=REMARKS,
            chain_id=chain.id,
        ),
        "dem_draft": demand(
            DRAFT_TITLE, ent.id, "draft", users["ent_owner"], problem=f"草稿：{SECRET}"
        ),
        "talent_pub": Talent(name="李海洋", organization_id=uni.id, expertise="深海结构焊接"),
        "talent_hidden": Talent(
            name=HIDDEN_TALENT,
            user_id=users["expert"].id,
            organization_id=inst.id,
            consent_public=False,
        ),
        "need": TalentNeed(organization_id=ent.id, position="海工结构工程师", chain_id=chain.id),
        "project": TalentProject(
            name=PROJECT,
            organization_id=ent.id,
            chain_id=chain.id,
            subsidy_amount=Decimal("2000000"),
            year=2026,
        ),
        "klass": NamedClass(
            name="蓝港海工冠名班",
            university_id=uni.id,
            enterprise_id=ent.id,
            major_name="船舶与海洋工程",
            graduation_year=2027,
        ),
        "base": TrainingBase(name="海洋装备公共实训基地", organization_id=uni.id),
        "college": IndustryCollege(name="海洋装备现代产业学院", university_id=uni.id),
    }
    db.add_all(records.values())
    db.flush()
    consortium = Consortium(name="海洋装备市域产教联合体", kind="city", lead_organization_id=uni.id)
    investment = InvestmentProject(name="海工装备基地招商项目", organization_id=ent.id)
    major = Major(code="081901", name="船舶与海洋工程", level="undergraduate")
    db.add_all([consortium, investment, major])
    db.flush()
    offering = MajorOffering(
        university_id=uni.id, major_id=major.id, yearly_intake=60, first_year=2020
    )
    db.add(offering)
    db.commit()
    ids = {key: record.id for key, record in records.items()}
    ids |= {"consortium": consortium.id, "chain": chain.id, "chain_off": chain_off.id}
    ids["investment"] = investment.id
    ids |= {"major": major.id, "offering": offering.id}
    ids |= {"uni": uni.id, "uni2": uni2.id, "ent": ent.id, "ent2": ent2.id, "inst": inst.id}
    ids |= {"org_off": org_off.id, "plat_org": plat.id}
    ids |= _challenges(db, users, ids)
    ids |= _brokerage(db, users, ids)
    ids |= _hiring(db, users, ids)
    ids |= _platforms(db, users, ids, plat)
    ids |= _meetings(db, users, ids)
    ids |= _events(db, users, ids)
    ids |= _subsidies_and_training(db, users, ids)
    ids |= _consortia(db, ids)
    return World(db=db, users=users, ids=ids)


def programme(name: str, base_id: int, org_id: int, days: int = 10) -> TrainingProgramme:
    """An open programme of a training base, starting in days (default ten), with 30 seats."""
    start = clock.today() + timedelta(days=days)
    return TrainingProgramme(
        base_id=base_id,
        organization_id=org_id,
        name=name,
        hours=40,
        starts_on=start,
        ends_on=start + timedelta(days=30),
        seats=30,
        taken=0,
    )


def _subsidies_and_training(
    db: Session, users: dict[str, User], ids: dict[str, int]
) -> dict[str, int]:
    """An open policy, a draft application of ent_owner's enterprise, a programme of uni's base."""
    policy = Policy(
        title="产业人才薪酬补贴",
        kind="salary_subsidy",
        formula="percentage",
        fact_label="年薪",
        rate=Decimal("20"),
        cap_per_org_year=Decimal("1000000"),
    )
    db.add(policy)
    db.flush()
    draft = SubsidyApplication(
        policy_id=policy.id,
        organization_id=ids["ent"],
        year=clock.today().year,
        fact_amount=Decimal("100000"),
        amount=Decimal("20000"),
        computation="年薪 10万元 × 20% = 2万元，核定 2万元",
        created_by_id=users["ent_owner"].id,
    )
    course = programme("海工焊接培训", ids["base"], ids["uni"])
    db.add_all([draft, course])
    db.commit()
    return {"policy": policy.id, "sub_draft": draft.id, "programme": course.id}


def _consortia(db: Session, ids: dict[str, int]) -> dict[str, int]:
    """An innovation consortium led by ent_owner's enterprise, its planned
    project, and a co-built institute."""
    icons = InnovationConsortium(name="海洋装备创新联合体", lead_organization_id=ids["ent"])
    institute = RdInstitute(name="海洋装备新型研发机构")
    db.add_all([icons, institute])
    db.flush()
    project = CommonTechProject(
        consortium_id=icons.id, title="深海焊接共性技术攻关", budget=Decimal("2000000")
    )
    db.add(project)
    db.commit()
    return {"icons": icons.id, "ctp": project.id, "institute": institute.id}


def _meetings(db: Session, users: dict[str, User], ids: dict[str, int]) -> dict[str, int]:
    """A meeting with a decision and a task for the office, and a talent gap on the chain (50
    wanted, a few talents) for the one-click agenda rows."""
    meeting = JointMeeting(title="矩阵会商会议", quarter="2026Q4", held_on=clock.today())
    db.add(meeting)
    db.flush()
    decision = Decision(meeting_id=meeting.id, content="矩阵议定事项", lead_office="市教育局")
    db.add(decision)
    db.flush()
    task = FollowUpTask(
        decision_id=decision.id, title="矩阵督办任务", assignee_user_id=users["office"].id
    )
    gap = TalentNeed(
        organization_id=ids["ent"], position="海工焊接技师", headcount=50, chain_id=ids["chain"]
    )
    db.add_all([task, gap])
    db.commit()
    return {
        "meeting": meeting.id,
        "decision": decision.id,
        "task": task.id,
        "office_user": users["office"].id,
    }


def _platforms(
    db: Session, users: dict[str, User], ids: dict[str, int], plat: Organization
) -> dict[str, int]:
    """The platform unit's pilot platform, a service with room for every booking, one booking
    of ent_owner's enterprise, and a broker training course."""
    platform = Platform(name="海工装备中试平台", kind="pilot", organization_id=plat.id)
    db.add(platform)
    db.flush()
    svc = PlatformService(
        platform_id=platform.id, name="结构强度测试", unit="台次", capacity_per_day=1000
    )
    db.add(svc)
    db.flush()
    booking = ServiceBooking(
        service_id=svc.id,
        organization_id=ids["ent"],
        requested_by_id=users["ent_owner"].id,
        start_date=clock.today() + timedelta(days=15),
        end_date=clock.today() + timedelta(days=15),
        quantity=1,
    )
    training = BrokerTraining(name="技术经纪人初级培训班", year=2026, hours=48)
    db.add_all([booking, training])
    db.commit()
    return {"plat": platform.id, "svc": svc.id, "booking": booking.id, "training": training.id}


def _hiring(db: Session, users: dict[str, User], ids: dict[str, int]) -> dict[str, int]:
    """The expert's application to ent's need, a co-shared hire (held by uni, scene at ent),
    ent's approved project holding both rights and a recommendation under it."""
    application = Application(
        need_id=ids["need"],
        talent_id=ids["talent_hidden"],
        organization_id=ids["ent"],
        user_id=users["expert"].id,
    )
    project = TalentProject(
        name="蓝港海工人才项目",
        organization_id=ids["ent"],
        year=2026,
        status="approved",
        rights=["self_recommend", "salary_grading"],
        requested_rights=["self_recommend", "salary_grading"],
    )
    db.add_all([application, project])
    db.flush()
    recommendation = Recommendation(
        project_id=project.id,
        organization_id=ids["ent"],
        talent_id=ids["talent_pub"],
        right_kind="self_recommend",
    )
    db.add(recommendation)
    db.commit()
    return {
        "application": application.id,
        "hire": co_shared_hire(db, ids, 0).id,
        "project_ok": project.id,
        "recommendation": recommendation.id,
    }


def co_shared_hire(db: Session, ids: dict[str, int], n: int) -> Hire:
    """A hire on a fresh co-shared need of uni with ent's scene (committed)."""
    need = TalentNeed(
        organization_id=ids["uni"],
        position=f"共引共享岗位{n}",
        co_shared=True,
        scene_organization_id=ids["ent"],
        status="filled",
    )
    db.add(need)
    db.flush()
    application = Application(
        need_id=need.id,
        talent_id=ids["talent_pub"],
        organization_id=ids["uni"],
        status="hired",
    )
    db.add(application)
    db.flush()
    hire = Hire(
        application_id=application.id,
        need_id=need.id,
        talent_id=ids["talent_pub"],
        organization_id=ids["uni"],
        co_shared=True,
        host_organization_id=ids["uni"],
        scene_organization_id=ids["ent"],
        hired_on=date(2026, 3, 1),
    )
    db.add(hire)
    db.commit()
    return hire


def _brokerage(db: Session, users: dict[str, User], ids: dict[str, int]) -> dict[str, int]:
    """The broker's profile, an open and a signed deal, and the signed deal's contract."""
    profile = Broker(name="周经纪", user_id=users["broker"].id, max_active_deals=500)
    db.add(profile)
    db.flush()
    deals = [
        Deal(
            title=f"滨海大学 × 蓝港海工 对接{stage}",
            broker_id=profile.id,
            seller_id=ids["uni"],
            buyer_id=ids["ent"],
            stage=stage,
            last_activity_on=clock.today(),
        )
        for stage in ("contacted", "signed")
    ]
    db.add_all(deals)
    db.flush()
    contract = Contract(
        title="深海焊接工艺许可合同",
        deal_id=deals[1].id,
        amount=Decimal("800000"),
        signed_on=clock.today(),
        seller_id=ids["uni"],
        buyer_id=ids["ent"],
        milestones=[
            ContractMilestone(
                seq=1, name="工艺包交付", due_on=clock.today(), amount=Decimal("800000")
            )
        ],
    )
    db.add(contract)
    db.commit()
    return {
        "broker_profile": profile.id,
        "deal_open": deals[0].id,
        "deal_signed": deals[1].id,
        "contract_open": contract.id,
    }


def _challenges(db: Session, users: dict[str, User], ids: dict[str, int]) -> dict[str, int]:
    """chal_open (bidding, with the expert as reviewer and uni_owner's bid_open), chal_draft,
    chal_secret (confidential, bidding)."""
    owner = users["ent_owner"]
    demands = [demand(f"揭榜挂帅需求{i}", ids["ent"], "published", owner) for i in range(3)]
    db.add_all(demands)
    db.flush()
    open_ = challenge(demands[0].id, "bidding", owner)
    draft = challenge(demands[1].id, "draft", owner)
    secret = challenge(
        demands[2].id, "bidding", owner, confidential=True, terms_text="须遵守保密约定，不得外传。"
    )
    db.add_all([open_, draft, secret])
    db.flush()
    bid = Bid(
        demand_id=demands[0].id,
        organization_id=ids["uni"],
        created_by_id=users["uni_owner"].id,
        team_name="滨海焊接团队",
        proposal="以深海焊接成果为基础的解决方案。",
        live_key=f"org:{ids['uni']}",
    )
    reviewer = Reviewer(
        challenge_id=open_.id, talent_id=ids["talent_hidden"], user_id=users["expert"].id
    )
    db.add_all([bid, reviewer])
    db.commit()
    return {
        "chal_open": open_.id,
        "chal_draft": draft.id,
        "chal_secret": secret.id,
        "bid_open": bid.id,
    }


# --- running the matrix ----------------------------------------------------------------------


def _form_value(value: Any) -> str:
    if value is None or value is False:
        return ""
    return "1" if value is True else str(value)


@dataclass
class Request:
    """A request ready to send: the client, method, URL and keyword arguments."""

    client: TestClient
    method: str
    url: str
    kwargs: dict[str, Any]

    def send(self) -> Response:
        """Send it without following redirects."""
        return self.client.request(self.method, self.url, follow_redirects=False, **self.kwargs)


class Actors:
    """Per principal: a page client signed in through the login form, and an API token."""

    def __init__(self, app: FastAPI, world: World, stack: ExitStack) -> None:
        self.world = world
        # Entered clients keep one event-loop portal open: about twice as fast per request.
        self.api = stack.enter_context(TestClient(app))
        self.pages: dict[str, TestClient] = {}
        self.tokens: dict[str, dict[str, str]] = {}
        for name in PRINCIPALS:
            client = stack.enter_context(TestClient(app))
            client.get("/login")
            self.tokens[name] = {}
            if name in world.users:
                login(client, world.users[name])
                token = self.api.post(
                    "/api/v1/auth/token", data={"username": name, "password": PASSWORD}
                )
                assert token.status_code == 200, token.text
                self.tokens[name] = {"Authorization": f"Bearer {token.json()['access_token']}"}
            self.pages[name] = client

    def etag(self, url: str) -> str:
        """The current ETag of the record at url, read as office (a threshold set's from its
        row in the list)."""
        office = self.tokens["office"]
        if url == "/api/v1/salary-grade-rules":
            rows = self.api.get(url, headers=office).json()
            return str(next(r["etag"] for r in rows if r["chain_id"] is None))
        for headers in (office, self.tokens["expert"]):
            tag = self.api.get(url, headers=headers).headers.get("etag")
            if tag:
                return str(tag)
        return '"1"'

    def prepare(self, case: Case, principal: str, *, csrf: bool = True) -> Request:
        """Fill the case's placeholders for principal (creating fresh records) and build it."""
        world = self.world
        url = world.fill(case.url or case.route, principal)
        body = None
        if case.body is not None:
            body = {
                k: world.fill(v, principal) if isinstance(v, str) else v
                for k, v in case.body.items()
            }
        if case.is_api:
            kwargs: dict[str, Any] = {"headers": self.tokens[principal]}
            if case.method == "PUT":
                # Every PUT names the version it replaces; refusals must still come first.
                kwargs["headers"] = self.tokens[principal] | {"If-Match": self.etag(url)}
            if body is not None:
                kwargs["data" if case.form else "json"] = body
            return Request(self.api, case.method, url, kwargs)
        client = self.pages[principal]
        kwargs = {}
        if body is not None:
            data = {k: _form_value(v) for k, v in body.items()}
            if csrf:
                data["csrf_token"] = str(client.cookies.get("silian_csrf"))
            kwargs["data"] = data
        return Request(client, case.method, url, kwargs)


def outcome(response: Response, api: bool) -> str:
    """The matrix letter for a response."""
    status = response.status_code
    if status in (200, 201, 204):
        return "O"
    if status in (302, 303, 307) and not api:
        return "L" if response.headers["location"].startswith("/login") else "O"
    if status == 401:
        return "L" if api else "A"
    return {403: "F", 404: "N", 409: "C", 422: "V"}.get(status, f"?{status}")


def check(actors: Actors, case: Case, principal: str, want: str, *, csrf: bool = True) -> str:
    """Send case as principal; a message when the outcome or a refused request's effect is wrong."""
    world = actors.world
    world.fresh.clear()
    request = actors.prepare(case, principal, csrf=csrf)
    before = world.snapshot()
    response = request.send()
    got = outcome(response, case.is_api)
    where = f"{case.method} {request.url} as {principal}"
    if got != want:
        return f"{where}: expected {want}, got {got} ({response.text[:160]!r})"
    if got != "O" and world.snapshot() != before:
        return f"{where}: refused with {got} but the record changed"
    return ""


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; mounts as ("MOUNT", path)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers were kept lazily
        routes: Any = app.routes
    else:
        routes = iter_route_contexts(app.routes)
    out: set[tuple[str, str]] = set()
    for route in routes:
        methods = getattr(route, "methods", None)
        if not methods:
            out.add(("MOUNT", str(route.path)))
            continue
        out.update((m, str(route.path)) for m in methods if m != "HEAD")
    return out


@pytest.fixture
def world(db: Session, factory: Factory) -> World:
    """The matrix's units, users and records on this test's database."""
    return build_world(db, factory)


@pytest.fixture
def actors(app: FastAPI, world: World) -> Iterator[Actors]:
    """Everyone signed in."""
    with ExitStack() as stack:
        yield Actors(app, world, stack)


def _all_cases() -> list[Case]:
    return [case for cases in PERMISSIONS.values() for case in cases]


# --- tests -----------------------------------------------------------------------------------


def test_permission_table_is_well_formed() -> None:
    """Every row has one known letter per principal and concrete URLs for path parameters."""
    for case in _all_cases():
        assert len(case.expected) == len(PRINCIPALS), case
        assert set(case.expected) <= CODES, case
        if "{" in case.route and not case.url:
            raise AssertionError(f"{case.method} {case.route} needs a concrete url")
        if case.method != "GET":
            assert case.body is not None, f"{case.method} {case.route} needs a body (may be empty)"


def test_every_route_is_in_the_permission_table(tmp_path: Path) -> None:
    """A new route must get rows in PERMISSIONS; rows of removed routes must go."""
    settings = Settings(
        home=tmp_path, database_url=f"sqlite:///{tmp_path}/routes.db", secret_key="routes"
    )
    served = app_routes(create_app(settings))
    assert ("GET", "/achievements") in served, "route enumeration found no feature routes"
    covered = {(case.method, case.route) for case in _all_cases()}
    missing = sorted(served - covered - EXEMPT)
    stale = sorted(covered - served)
    assert not missing, "routes without rows in PERMISSIONS (add who may call them):\n" + "\n".join(
        f"  {m} {p}" for m, p in missing
    )
    assert not stale, "PERMISSIONS rows for routes the app no longer serves:\n" + "\n".join(
        f"  {m} {p}" for m, p in stale
    )


@pytest.mark.parametrize("group", list(PERMISSIONS))
def test_route_permissions(group: str, actors: Actors) -> None:
    """Each principal gets the expected outcome on every row of the group."""
    failures = []
    for case in sorted(PERMISSIONS[group], key=lambda c: c.last):
        for principal, want in zip(PRINCIPALS, case.expected, strict=True):
            failures.append(check(actors, case, principal, want))
    failures = [f for f in failures if f]
    assert not failures, f"{len(failures)} permission mismatches:\n" + "\n".join(failures)


def _allowed(case: Case) -> list[str]:
    return [p for p, want in zip(PRINCIPALS, case.expected, strict=True) if want == "O"]


def _unsafe_cases(api: bool) -> list[tuple[Case, str]]:
    """Per state-changing route, its first row somebody may call, and that principal.

    Office is preferred where allowed, so a refusal can only come from the check under test.
    """
    chosen: dict[tuple[str, str], tuple[Case, str]] = {}
    for case in _all_cases():
        if case.method == "GET" or case.is_api != api or (case.method, case.route) in chosen:
            continue
        # Upload routes need a file the matrix cannot send: a principal who passes the role
        # check and reaches input validation (V) or the token lookup (N) serves instead.
        allowed = _allowed(case) or [
            p for p, want in zip(PRINCIPALS, case.expected, strict=True) if want in "VN"
        ]
        if allowed:
            principal = "office" if "office" in allowed else allowed[0]
            chosen[(case.method, case.route)] = (case, principal)
    unsafe = {(c.method, c.route) for c in _all_cases() if c.method != "GET" and c.is_api == api}
    assert set(chosen) == unsafe, f"routes nobody may call: {sorted(unsafe - set(chosen))}"
    return sorted(chosen.values(), key=lambda pair: pair[0].last)


def test_page_forms_need_the_csrf_token(actors: Actors) -> None:
    """Every state-changing page request without (or with a forged) CSRF token gets 403."""
    failures = []
    for case, principal in _unsafe_cases(api=False):
        failures.append(check(actors, case, principal, "F", csrf=False))
        forged = Case(
            case.method,
            case.route,
            case.row,
            case.url,
            (case.body or {}) | {"csrf_token": "forged-token"},
        )
        failures.append(check(actors, forged, principal, "F", csrf=False))
    failures = [f for f in failures if f]
    assert not failures, "\n".join(failures)


def test_api_ignores_session_cookies(actors: Actors) -> None:
    """A signed-in browser session (cookie plus CSRF header) never authenticates the API."""
    failures = []
    for case, principal in _unsafe_cases(api=True):
        # Signing in, and free-text matching (a read-only query open to visitors), need no user.
        if case.route in ("/api/v1/auth/token", "/api/v1/match"):
            continue
        request = actors.prepare(case, principal)
        client = actors.pages[principal]
        headers = {"X-CSRF-Token": str(client.cookies.get("silian_csrf"))}
        before = actors.world.snapshot()
        kwargs = {k: v for k, v in request.kwargs.items() if k != "headers"}
        response = client.request(case.method, request.url, headers=headers, **kwargs)
        if response.status_code != 401 or actors.world.snapshot() != before:
            failures.append(f"{case.method} {request.url}: {response.status_code} with a cookie")
        actors.world.fresh.clear()
    assert not failures, "\n".join(failures)


# Who may read each sensitive string; everyone else must never receive it from any URL below.
SEES = {
    DRAFT_TITLE: {"office", "ent_owner"},
    SECRET: {"office", "ent_owner", "broker"},
    "赵保密": {"office", "ent_owner", "broker"},  # the confidential demand's contact
    REMARKS: {"office", "ent_owner"},
    DRAFT_ACHIEVEMENT: {"office", "uni_owner"},
    HIDDEN_TALENT: {"office", "expert"},
    ACH_REMARKS: {"office", "uni_owner"},
    PROJECT: {"office", "ent_owner"},  # a unit's members see its projects on its profile
    ORG_CONTACT: set(PRINCIPALS) - {"anonymous"},
}
LEAK_URLS = (
    "/",
    "/my",
    "/demands",
    "/demands?status=draft",
    "/demands?q=八百吨",
    "/demands?org={ent}&mine=1",
    "/demands/{dem_secret}",
    "/achievements",
    "/achievements?status=draft&org={uni}",
    "/achievements/{ach_remarked}",
    "/talents",
    "/talents?q=王",
    "/organizations/{ent}",
    "/organizations/{uni}",
    "/organizations/{inst}",
    "/chains/{chain}",
    "/match?text=八百吨 每小时&kind=demand",
    "/demands/{dem_secret}/matches",
    "/achievements/{ach_pub}/matches?kind=demand",
    "/api/v1/demands",
    "/api/v1/demands?status=draft",
    "/api/v1/demands?q=八百吨",
    "/api/v1/demands/{dem_secret}",
    "/api/v1/achievements?status=draft",
    "/api/v1/achievements/{ach_remarked}",
    "/api/v1/talents",
    "/api/v1/organizations/{ent}",
    "/api/v1/organizations/{uni}",
    "/api/v1/organizations/{inst}",
    "/api/v1/chains/{chain}",
    "/api/v1/demands/{dem_secret}/matches",
    "/api/v1/achievements/{ach_pub}/matches?kind=demand",
)
# Positive controls: where those allowed to read a string do find it.
SHOWN_AT = {
    DRAFT_TITLE: ("/demands", "/api/v1/demands", "/organizations/{ent}"),
    SECRET: ("/demands/{dem_secret}", "/api/v1/demands/{dem_secret}"),
    "赵保密": ("/demands/{dem_secret}", "/api/v1/demands/{dem_secret}"),
    REMARKS: ("/demands/{dem_secret}", "/api/v1/demands/{dem_secret}"),
    DRAFT_ACHIEVEMENT: ("/achievements", "/api/v1/achievements", "/api/v1/organizations/{uni}"),
    HIDDEN_TALENT: ("/talents", "/api/v1/talents"),
    ACH_REMARKS: ("/achievements/{ach_remarked}", "/api/v1/achievements/{ach_remarked}"),
    PROJECT: ("/organizations/{ent}",),
    ORG_CONTACT: ("/organizations/{ent}", "/api/v1/organizations/{ent}"),
}


def _fetch(actors: Actors, principal: str, url: str) -> Response:
    url = actors.world.fill(url, principal)
    if url.startswith("/api/"):
        return actors.api.get(url, headers=actors.tokens[principal])
    return actors.pages[principal].get(url, follow_redirects=False)


def test_drafts_and_confidential_details_reach_only_their_readers(actors: Actors) -> None:
    """No list, search, profile, map or detail (page or API) leaks drafts or secrets."""
    failures = []
    for principal in PRINCIPALS:
        for url in LEAK_URLS:
            response = _fetch(actors, principal, url)
            for text, readers in SEES.items():
                if principal not in readers and text in response.text:
                    failures.append(f"{principal} received {text!r} from {url}")
        for text, urls in SHOWN_AT.items():
            if principal not in SEES[text]:
                continue
            for url in urls:
                if text not in _fetch(actors, principal, url).text:
                    failures.append(f"{principal} should find {text!r} at {url}")
    assert not failures, "\n".join(failures)


def test_confidential_demand_is_masked_in_the_api(actors: Actors) -> None:
    """Outsiders get the public summary with the confidential fields null, in detail and list."""
    url = actors.world.fill("/api/v1/demands/{dem_secret}", "anonymous")
    secret_id = actors.world.ids["dem_secret"]
    for principal in PRINCIPALS:
        allowed = principal in SEES[SECRET]
        detail = actors.api.get(url, headers=actors.tokens[principal]).json()
        listed = actors.api.get("/api/v1/demands", headers=actors.tokens[principal]).json()
        rows = [row for row in listed["items"] if row["id"] == secret_id]
        for view in [detail, *rows]:
            assert view["details_visible"] is allowed, (principal, view)
            assert (view["problem"] is not None) is allowed, (principal, view)
            assert (view["contact_name"] is not None) is allowed, (principal, view)
            assert view["public_summary"].startswith("海水淡化膜污染控制方向")
            assert (view["review_remarks"] == REMARKS) is (principal in SEES[REMARKS])
        assert len(rows) == 1, principal


def test_pages_offer_only_permitted_controls(actors: Actors) -> None:
    """Edit links and workflow buttons appear exactly for those the routes would allow."""
    world = actors.world
    records = {
        "achievements": (world.ids["ach_pub"], world.new("new_ach_submitted"), "uni_owner"),
        "demands": (world.ids["dem_secret"], world.new("new_dem_submitted"), "ent_owner"),
    }
    failures = []
    for noun, (published, submitted, owner) in records.items():
        for principal in PRINCIPALS:
            may_manage = principal in ("office", owner)
            page = actors.pages[principal].get(f"/{noun}/{published}").text
            controls = {
                f'href="/{noun}/{published}/edit"': may_manage,
                f'action="/{noun}/{published}/withdraw"': may_manage,
                f'action="/{noun}/{published}/approve"': False,
            }
            if may_manage:
                page += actors.pages[principal].get(f"/{noun}/{submitted}").text
                controls[f'action="/{noun}/{submitted}/approve"'] = principal == "office"
                controls[f'action="/{noun}/{submitted}/return"'] = principal == "office"
            for snippet, shown in controls.items():
                if (snippet in page) is not shown:
                    failures.append(f"{principal}: {snippet} {'missing' if shown else 'shown'}")
    assert not failures, "\n".join(failures)


def _main_nav(html: str) -> str:
    match = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert match, "no main navigation"
    return match[0]


def test_navigation_follows_role(app: FastAPI, actors: Actors) -> None:
    """The main menu links every visitor to listings, signed-in users to 工作台, offices to 审核."""
    assert "/achievements" in app.state.page_paths
    failures = []
    for principal in PRINCIPALS:
        nav = _main_nav(actors.pages[principal].get("/").text)
        expected = {
            'href="/achievements"': True,
            'href="/demands"': True,
            'href="/my"': principal != "anonymous",
            'href="/review"': principal == "office",
        }
        for link, shown in expected.items():
            if (link in nav) is not shown:
                failures.append(f"{principal}: {link} {'missing' if shown else 'shown'}")
    assert not failures, "\n".join(failures)


def test_logout_ends_every_session_and_token(actors: Actors, app: FastAPI) -> None:
    """Signing out in one browser signs the user out everywhere, API tokens included."""
    owner = actors.world.users["ent_owner"]
    with TestClient(app) as other_browser:
        login(other_browser, owner)
        client = actors.pages["ent_owner"]
        response = client.post(
            "/logout", data={"csrf_token": str(client.cookies.get("silian_csrf"))}
        )
        assert response.status_code == 200  # followed to the home page
        for browser in (client, other_browser):
            page = browser.get("/my", follow_redirects=False)
            assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert actors.api.get("/api/v1/me", headers=actors.tokens["ent_owner"]).status_code == 401
    assert actors.api.get("/api/v1/me", headers=actors.tokens["office"]).status_code == 200


def test_owners_cannot_move_records_to_another_unit(actors: Actors) -> None:
    """Non-office owners edit their records but the owning unit stays theirs."""
    world, ids = actors.world, actors.world.ids
    moves = [
        ("uni_owner", "/api/v1/achievements/{new_ach_draft}", ACHIEVEMENT_BODY, "organization_id"),
        ("ent_owner", "/api/v1/demands/{new_dem_draft}", DEMAND_BODY, "organization_id"),
        ("ent_owner", "/api/v1/talent-needs/{new_need}", NEED_BODY, "organization_id"),
        ("uni_owner", "/api/v1/education/named-classes/{new_class}", CLASS_BODY, "university_id"),
    ]
    for principal, url, body, key in moves:
        target = ids["ent2"] if key == "organization_id" and "uni" not in principal else ids["uni2"]
        payload = {
            k: world.fill(v, principal) if isinstance(v, str) else v for k, v in body.items()
        }
        filled = world.fill(url, principal)
        response = actors.api.put(
            filled,
            json=payload | {key: target},
            headers=actors.tokens[principal] | {"If-Match": actors.etag(filled)},
        )
        assert response.status_code == 200, (url, response.text)
        data = response.json()
        owner_unit = world.users[principal].organization_id
        got = data[key] if key in data else data["university"]["id"]
        assert got == owner_unit, (url, data)


def _stays_on_site(location: str) -> bool:
    # What a browser would do with it: backslashes count as slashes, tabs and newlines vanish.
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return seen.startswith("/") and not seen.startswith("//")


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "/\\evil.example/x", "/\t/evil.example", "https://evil.example/"],
)
def test_login_never_redirects_off_site(target: str, client: TestClient, factory: Factory) -> None:
    """The next parameter only ever leads to a path on this site (form post or signed-in GET)."""
    user = factory.user("enterprise")
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "next": target,
            "csrf_token": str(client.cookies.get("silian_csrf")),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _stays_on_site(response.headers["location"]), response.headers["location"]
    again = client.get("/login", params={"next": target}, follow_redirects=False)
    assert _stays_on_site(again.headers["location"]), again.headers["location"]
    inside = client.get("/login", params={"next": "/demands?mine=1"}, follow_redirects=False)
    assert inside.headers["location"] == "/demands?mine=1"
