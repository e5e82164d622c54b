"""Helpers for tests: a data factory and sign-in helpers for the web client and API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.accounts.service import create_user
from silian.brokerage.models import BrokerTraining, TrainingEnrollment
from silian.organizations.models import Organization
from silian.platforms.models import Platform, PlatformService, ServiceBooking

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
            "available_from": date.today(),
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
        start = date.today() + timedelta(days=start_in)
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
            "year": date.today().year,
            "hours": 48,
            "courses": ["技术转移概论", "技术合同与认定登记"],
        } | kw
        item = BrokerTraining(**values)
        self.session.add(item)
        self.session.commit()
        return item

    def enrollment(self, training: BrokerTraining, user: User, **kw: Any) -> TrainingEnrollment:
        """A committed enrolment of user in training (enrolled today unless given)."""
        values: dict[str, Any] = {"enrolled_on": date.today()} | kw
        item = TrainingEnrollment(training_id=training.id, user_id=user.id, **values)
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
