"""Helpers for tests: a data factory and sign-in helpers for the web client and API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.accounts.service import create_user
from silian.hiring.models import Application
from silian.organizations.models import Organization
from silian.talent.models import Talent, TalentNeed, TalentProject

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
