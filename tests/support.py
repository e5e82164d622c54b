"""Helpers for tests: a data factory and sign-in helpers for the web client and API."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.accounts.service import create_user
from silian.meetings.models import Decision, FollowUpTask, JointMeeting
from silian.organizations.models import Organization

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

    def meeting(self, title: str | None = None, **kw: Any) -> JointMeeting:
        """A committed joint meeting (held today unless held_on is given)."""
        self.count += 1
        values: dict[str, Any] = {
            "title": title or f"测试会商会议{self.count}",
            "quarter": "2026Q4",
            "held_on": date.today(),
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
