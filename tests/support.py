"""Helpers for tests: a data factory and sign-in helpers for the web client and API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.accounts.service import create_user
from silian.education.models import TrainingBase
from silian.organizations.models import Organization
from silian.subsidies.models import Policy
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
            "valid_from": date.today() - timedelta(days=365),
            "valid_to": date.today() + timedelta(days=365),
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
        start = date.today() + timedelta(days=30)
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
