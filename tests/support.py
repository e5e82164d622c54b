"""Helpers for tests: a data factory and sign-in helpers for the web client and API."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.accounts.service import create_user
from silian.achievements.models import Achievement
from silian.brokerage.models import BrokerTraining, TrainingEnrollment
from silian.consortia.models import (
    CommonTechProject,
    ConsortiumMember,
    InnovationConsortium,
    RdInstitute,
)
from silian.coordination.models import InvestmentProject
from silian.core import clock
from silian.core.db import utcnow
from silian.education.models import Major, MajorOffering, NamedClass, TrainingBase
from silian.events.models import Event, EventEntry, EventJudge, EventLead, EventRegistration
from silian.hiring.models import Application
from silian.meetings.models import Decision, FollowUpTask, JointMeeting
from silian.organizations.models import Organization
from silian.platforms.models import Platform, PlatformService, ServiceBooking
from silian.subsidies.models import Policy
from silian.talent.models import Talent, TalentNeed, TalentProject
from silian.training.models import TrainingProgramme

PASSWORD = "test-password-1"


class Factory:
    """Builds organisations and users for a test."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.count = 0

    def org(self, kind: str = "enterprise", name: str | None = None, **kw: Any) -> Organization:
        """A committed organisation."""
        self.count += 1
        org = Organization(name=name or f"测试{kind}{self.count}", kind=kind, **kw)
        self.session.add(org)
        self.session.commit()
        return org

    def user(self, role: str, org: Organization | None = None, username: str | None = None) -> User:
        """A committed user with the shared test password."""
        self.count += 1
        if org is None and role not in ("office", "broker", "expert"):
            kind = {"university": "university", "platform": "platform"}.get(role, "enterprise")
            org = self.org(kind)
        user = create_user(
            self.session,
            None,
            {
                "username": username or f"{role}{self.count}",
                "password": PASSWORD,
                "role": role,
                "organization_id": org.id if org else None,
            },
        )
        self.session.commit()
        return user

    def achievement(
        self, org: Organization, status: str = "published", by: User | None = None, **kw: Any
    ) -> Achievement:
        """A committed achievement of org (published by default)."""
        self.count += 1
        values: dict[str, Any] = {
            "title": f"测试成果{self.count}",
            "summary": "一种用于测试的科技成果简介。",
            "organization_id": org.id,
            "status": status,
            "created_by_id": by.id if by else None,
            "published_at": utcnow() if status == "published" else None,
        }
        item = Achievement(**(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def event(self, kind: str = "roadshow", status: str = "planned", **kw: Any) -> Event:
        """A committed event (an annual selection gets two weighted criteria)."""
        self.count += 1
        values: dict[str, Any] = {
            "kind": kind,
            "title": f"测试活动{self.count}",
            "starts_at": utcnow(),
            "location": "路演厅",
            "status": status,
            "criteria": [{"name": "技术先进性", "weight": 60}, {"name": "转化前景", "weight": 40}]
            if kind == "selection"
            else [],
        }
        item = Event(**(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def event_entry(self, event: Event, achievement: Achievement, **kw: Any) -> EventEntry:
        """A committed entry of achievement for event (approved by default)."""
        values: dict[str, Any] = {
            "event_id": event.id,
            "achievement_id": achievement.id,
            "organization_id": achievement.organization_id,
            "status": "approved",
        }
        item = EventEntry(**(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def event_registration(
        self, event: Event, org: Organization, attendees: int
    ) -> EventRegistration:
        """A committed registration of attendees from org."""
        item = EventRegistration(event_id=event.id, organization_id=org.id, attendees=attendees)
        self.session.add(item)
        self.session.commit()
        return item

    def event_judge(self, event: Event, user: User, org: Organization | None = None) -> EventJudge:
        """A committed judge: user's talent profile (created, of org) assigned to event."""
        talent = Talent(
            name=f"评委{user.username}", user_id=user.id, organization_id=org.id if org else None
        )
        self.session.add(talent)
        self.session.flush()
        item = EventJudge(event_id=event.id, talent_id=talent.id, user_id=user.id)
        self.session.add(item)
        self.session.commit()
        return item

    def event_lead(self, event: Event, achievement: Achievement, org: Organization) -> EventLead:
        """A committed open lead: org interested in achievement after event."""
        item = EventLead(event_id=event.id, achievement_id=achievement.id, organization_id=org.id)
        self.session.add(item)
        self.session.commit()
        return item

    def meeting(self, title: str | None = None, **kw: Any) -> JointMeeting:
        """A committed joint meeting (held today unless held_on is given)."""
        self.count += 1
        values: dict[str, Any] = {
            "title": title or f"测试会商会议{self.count}",
            "quarter": "2026Q4",
            "held_on": clock.today(),
            "offices": ["市教育局"],
        }
        item = JointMeeting(**(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def decision(self, meeting: JointMeeting, **kw: Any) -> Decision:
        """A committed decision of meeting."""
        values: dict[str, Any] = {"content": "测试议定事项", "lead_office": "市教育局"}
        item = Decision(meeting_id=meeting.id, **(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def task(self, decision: Decision, assignee: User | None = None, **kw: Any) -> FollowUpTask:
        """A committed follow-up task of decision, assigned to assignee."""
        values: dict[str, Any] = {"title": "测试督办任务", "status": "open"}
        item = FollowUpTask(
            decision_id=decision.id,
            assignee_user_id=assignee.id if assignee else None,
            **(values | kw),
        )
        self.session.add(item)
        self.session.commit()
        return item

    def policy(self, **kw: Any) -> Policy:
        """A committed active policy: 20% of the stated salary, at most 50万 per application and
        100万 per unit and year, valid around today (override any field with kw)."""
        self.count += 1
        values: dict[str, Any] = {
            "title": f"测试政策{self.count}",
            "kind": "salary_subsidy",
            "formula": "percentage",
            "fact_label": "年薪",
            "rate": Decimal("20"),
            "per_application_max": Decimal("500000"),
            "cap_per_org_year": Decimal("1000000"),
            "valid_from": clock.today() - timedelta(days=365),
            "valid_to": clock.today() + timedelta(days=365),
        }
        item = Policy(**(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def training_base(self, org: Organization | None = None, **kw: Any) -> TrainingBase:
        """A committed training base of org (a new platform unit if none), capacity 1000."""
        self.count += 1
        org = org or self.org("platform")
        values: dict[str, Any] = {"name": f"测试实训基地{self.count}", "yearly_capacity": 1000}
        item = TrainingBase(organization_id=org.id, **(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def programme(self, base: TrainingBase | None = None, **kw: Any) -> TrainingProgramme:
        """A committed open programme of base (a new base if none): 10 seats, next month."""
        self.count += 1
        base = base or self.training_base()
        start = clock.today() + timedelta(days=30)
        values: dict[str, Any] = {
            "name": f"测试培训项目{self.count}",
            "skills": ["焊接"],
            "hours": 40,
            "starts_on": start,
            "ends_on": start + timedelta(days=20),
            "seats": 10,
            "taken": 0,
        }
        item = TrainingProgramme(
            base_id=base.id, organization_id=base.organization_id, **(values | kw)
        )
        self.session.add(item)
        self.session.commit()
        return item

    def platform(self, org: Organization | None = None, **kw: Any) -> Platform:
        """A committed active pilot platform operated by org (a new platform unit if None)."""
        self.count += 1
        org = org or self.org("platform")
        values: dict[str, Any] = {"name": f"测试中试平台{self.count}", "kind": "pilot"} | kw
        item = Platform(organization_id=org.id, **values)
        self.session.add(item)
        self.session.commit()
        return item

    def platform_service(self, platform: Platform | None = None, **kw: Any) -> PlatformService:
        """A committed service of platform: 2 units a day at 1,000 元, open from today on."""
        self.count += 1
        platform = platform or self.platform()
        values: dict[str, Any] = {
            "name": f"测试服务{self.count}",
            "kind": "testing",
            "unit": "台次",
            "unit_price": Decimal(1000),
            "capacity_per_day": 2,
            "available_from": clock.today(),
        } | kw
        item = PlatformService(platform_id=platform.id, **values)
        self.session.add(item)
        self.session.commit()
        return item

    def booking(
        self,
        service: PlatformService,
        org: Organization,
        start_in: int = 1,
        days: int = 1,
        **kw: Any,
    ) -> ServiceBooking:
        """A committed booking of service by org starting start_in days from today."""
        start = clock.today() + timedelta(days=start_in)
        values: dict[str, Any] = {
            "start_date": start,
            "end_date": start + timedelta(days=days - 1),
            "quantity": 1,
            "status": "requested",
        } | kw
        item = ServiceBooking(service_id=service.id, organization_id=org.id, **values)
        self.session.add(item)
        self.session.commit()
        return item

    def training(self, **kw: Any) -> BrokerTraining:
        """A committed broker training course."""
        self.count += 1
        values: dict[str, Any] = {
            "name": f"技术经纪人培训班{self.count}",
            "year": clock.today().year,
            "hours": 48,
            "courses": ["技术转移概论", "技术合同与认定登记"],
        } | kw
        item = BrokerTraining(**values)
        self.session.add(item)
        self.session.commit()
        return item

    def enrollment(self, training: BrokerTraining, user: User, **kw: Any) -> TrainingEnrollment:
        """A committed enrolment of user in training (enrolled today unless given)."""
        values: dict[str, Any] = {"enrolled_on": clock.today()} | kw
        item = TrainingEnrollment(training_id=training.id, user_id=user.id, **values)
        self.session.add(item)
        self.session.commit()
        return item

    def talent(self, name: str = "", user: User | None = None, **kw: Any) -> Talent:
        """A committed talent profile (the person's own when user is given)."""
        self.count += 1
        item = Talent(
            name=name or f"人才{self.count}",
            user_id=user.id if user else None,
            organization_id=user.organization_id if user else None,
            **kw,
        )
        self.session.add(item)
        self.session.commit()
        return item

    def need(self, org: Organization, headcount: int = 1, **kw: Any) -> TalentNeed:
        """A committed open talent need of org."""
        self.count += 1
        values: dict[str, Any] = {"position": f"岗位{self.count}", "status": "open"} | kw
        item = TalentNeed(organization_id=org.id, headcount=headcount, **values)
        self.session.add(item)
        self.session.commit()
        return item

    def project(
        self, org: Organization, rights: list[str], status: str = "approved", **kw: Any
    ) -> TalentProject:
        """A committed industry–talent project of org holding rights."""
        self.count += 1
        values: dict[str, Any] = {"name": f"产才融合项目{self.count}", "year": 2026} | kw
        item = TalentProject(
            organization_id=org.id,
            rights=rights,
            requested_rights=rights,
            status=status,
            **values,
        )
        self.session.add(item)
        self.session.commit()
        return item

    def application(self, need: TalentNeed, talent: Talent, status: str = "applied") -> Application:
        """A committed application of talent to need in status."""
        item = Application(
            need_id=need.id,
            talent_id=talent.id,
            organization_id=need.organization_id,
            user_id=talent.user_id,
            status=status,
        )
        self.session.add(item)
        self.session.commit()
        return item

    def major(self, name: str = "", level: str = "undergraduate", **kw: Any) -> Major:
        """A committed catalogue major with a unique code."""
        self.count += 1
        values: dict[str, Any] = {
            "code": f"T{self.count:05d}",
            "name": name or f"测试专业{self.count}",
        }
        item = Major(level=level, **(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def offering(
        self, university: Organization | None = None, major: Major | None = None, **kw: Any
    ) -> MajorOffering:
        """A committed major run by university (new ones if none): 100 a year for 4 years, since
        2018, still admitting."""
        university = university or self.org("university")
        major = major or self.major()
        values: dict[str, Any] = {"yearly_intake": 100, "duration_years": 4, "first_year": 2018}
        item = MajorOffering(university_id=university.id, major_id=major.id, **(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def investment_project(self, **kw: Any) -> InvestmentProject:
        """A committed investment project opening in two years, needing 40 of 智能控制技术."""
        self.count += 1
        values: dict[str, Any] = {
            "name": f"测试招商项目{self.count}",
            "opening_date": date(clock.today().year + 2, 9, 1),
            "talent_needs": [
                {"major": "智能控制技术", "code": "", "year": clock.today().year + 2, "count": 40}
            ],
        }
        item = InvestmentProject(**(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def named_class(
        self,
        university: Organization | None = None,
        enterprise: Organization | None = None,
        **kw: Any,
    ) -> NamedClass:
        """A committed named class of 30 students in 智能控制技术 graduating next year."""
        self.count += 1
        university = university or self.org("university")
        enterprise = enterprise or self.org("enterprise")
        values: dict[str, Any] = {
            "name": f"测试冠名班{self.count}",
            "major_name": "智能控制技术",
            "students": 30,
            "graduation_year": clock.today().year + 1,
        }
        item = NamedClass(university_id=university.id, enterprise_id=enterprise.id, **(values | kw))
        self.session.add(item)
        self.session.commit()
        return item

    def consortium(
        self,
        lead: Organization | None = None,
        members: dict[Organization, str] | None = None,
        **kw: Any,
    ) -> InnovationConsortium:
        """A committed innovation consortium led by lead (a new enterprise if None)."""
        self.count += 1
        lead = lead or self.org("enterprise")
        values: dict[str, Any] = {"name": f"测试创新联合体{self.count}", "goal": "联合攻关"} | kw
        item = InnovationConsortium(lead_organization_id=lead.id, **values)
        item.memberships = [
            ConsortiumMember(organization_id=o.id, part=r) for o, r in (members or {}).items()
        ]
        self.session.add(item)
        self.session.commit()
        return item

    def common_tech_project(self, consortium: InnovationConsortium, **kw: Any) -> CommonTechProject:
        """A committed common-technology project of consortium (planned, 1,000,000 元)."""
        self.count += 1
        values: dict[str, Any] = {"title": f"测试攻关项目{self.count}",
                                  "budget": Decimal(1_000_000)} | kw  # fmt: skip
        item = CommonTechProject(consortium_id=consortium.id, **values)
        self.session.add(item)
        self.session.commit()
        return item

    def rd_institute(self, **kw: Any) -> RdInstitute:
        """A committed co-built R&D institute."""
        self.count += 1
        item = RdInstitute(**({"name": f"测试新型研发机构{self.count}"} | kw))
        self.session.add(item)
        self.session.commit()
        return item


def login(client: TestClient, user: User) -> None:
    """Sign client in as user through the login form."""
    client.get("/login")
    token = client.cookies.get("silian_csrf")
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf(client: TestClient) -> str:
    """The client's CSRF token (fetching a page first if needed)."""
    if not client.cookies.get("silian_csrf"):
        client.get("/login")
    return str(client.cookies.get("silian_csrf"))


def api_headers(client: TestClient, user: User) -> dict[str, str]:
    """Bearer-token headers for user via the OAuth2 password flow."""
    response = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def if_match(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, str]:
    """headers plus If-Match with the record's current ETag (read as office-free GET of url)."""
    etag = client.get(url, headers=headers).headers.get("etag", '"0"')
    return headers | {"If-Match": etag}


def rules_if_match(
    client: TestClient, headers: dict[str, str], chain_id: int | None = None
) -> dict[str, str]:
    """headers plus If-Match with the ETag of one chain's 按薪定才 threshold set."""
    rows = client.get("/api/v1/salary-grade-rules", headers=headers).json()
    tag = next((r["etag"] for r in rows if r["chain_id"] == chain_id), '"0"')
    return headers | {"If-Match": tag}


def versioned_put(
    client: TestClient, url: str, headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    """A record's PUT is conditional: 428 without If-Match, 200 with the current ETag (and the
    next ETag back), 412 with the old one; the stale write leaves the first one's field."""
    tag = client.get(url, headers=headers).headers["etag"]
    assert client.put(url, json=body, headers=headers).status_code == 428
    first = body | {field: f"{body[field]}（甲）"}
    saved = client.put(url, json=first, headers=headers | {"If-Match": tag})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == f'"{int(tag.strip(chr(34))) + 1}"'
    stale = client.put(url, json=body | {field: "乙的修改"}, headers=headers | {"If-Match": tag})
    assert stale.status_code == 412 and "他人修改" in stale.json()["detail"]
    assert stale.headers["etag"] == saved.headers["etag"]
    assert client.get(url, headers=headers).json()[field] == first[field]


def stale_form(
    client: TestClient,
    edit_url: str,
    form: dict[str, Any],
    field: str,
    meanwhile: Any,
) -> str:
    """Load the edit form, let meanwhile() save the record as someone else (returning the value
    they gave field), then save the form: refused with 409 showing the user's input, what the
    other changed and the new version; saving again overwrites. Returns the refused page."""
    loaded = re.search(r'name="version" value="(\d+)"', client.get(edit_url).text)
    assert loaded is not None, edit_url
    theirs = meanwhile()
    mine = f"{form[field]}（我的）"
    data = form | {field: mine, "version": loaded.group(1), "csrf_token": csrf(client)}
    refused = client.post(edit_url, data=data)
    assert refused.status_code == 409, refused.text[:2000]
    page = html.unescape(refused.text)
    assert "其他用户修改了这条记录" in page and mine in page and theirs in page
    now = re.search(r'name="version" value="(\d+)"', refused.text)
    assert now is not None and int(now.group(1)) == int(loaded.group(1)) + 1
    data["version"] = now.group(1)
    again = client.post(edit_url, data=data, follow_redirects=False)
    assert again.status_code == 303, again.text[:2000]
    return page


def idempotent_post(
    client: TestClient, url: str, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    """POST twice with one Idempotency-Key: the retry gets the first answer (replayed) instead
    of a second record or a refusal of the duplicate."""
    keyed = headers | {"Idempotency-Key": f"retry-{url}"}
    first = client.post(url, json=body, headers=keyed)
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers=keyed)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    return dict(first.json())
