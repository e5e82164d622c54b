"""The generic record views: flash messages, save-and-resubmit, and the reviewer's diff since a
return — checked on both record types built with them (achievements and demands)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.core.audit import AuditLog
from silian.demands.models import Demand
from tests.support import Factory, csrf, login


@dataclass(frozen=True)
class Kind:
    """One record type served by the generic views, with a valid form and an edit to make."""

    path: str
    model: type[Any]
    owner_role: str
    form: dict[str, Any]
    noun: str


ACHIEVEMENT = Kind(
    "/achievements",
    Achievement,
    "university",
    {
        "title": "海水淡化反渗透膜抗污染改性技术",
        "summary": "通过表面接枝两性离子聚合物，显著降低反渗透膜的有机污染和生物污染。",
        "keywords": "反渗透膜，抗污染",
        "trl": "5",
        "transfer_modes": ["license"],
        "price": "80万",
    },
    "成果",
)
DEMAND = Kind(
    "/demands",
    Demand,
    "enterprise",
    {
        "title": "反渗透膜污染控制技术需求",
        "problem": "我们的海水淡化装置反渗透膜清洗周期太短，希望找到延长清洗周期的技术方案。",
        "budget": "50万",
        "wanted_trl": "6",
        "keywords": "反渗透,膜污染",
    },
    "需求",
)
KINDS = pytest.mark.parametrize("kind", [ACHIEVEMENT, DEMAND], ids=["achievement", "demand"])


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    response = client.post(url, data=data | {"csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"])


def _flash(page: Any) -> str:
    marker = 'class="flash ok" role="status">'
    assert marker in page.text, page.text[:2000]
    return str(page.text.split(marker, 1)[1].split("</div>", 1)[0])


def _returned(
    kind: Kind, factory: Factory, db: Session, owner_client: TestClient, office_client: TestClient
) -> int:
    """A record created and submitted by its owner, then returned by the office."""
    _post(owner_client, f"{kind.path}/new", kind.form | {"submit_now": "1"})
    record_id = db.scalars(select(kind.model.id)).one()
    _post(office_client, f"{kind.path}/{record_id}/return", {"remarks": "请补充中试数据"})
    return int(record_id)


@KINDS
def test_every_action_ends_with_a_message_shown_once(
    kind: Kind, client: TestClient, factory: Factory, db: Session
) -> None:
    owner = factory.user(kind.owner_role)
    office = factory.user("office")
    login(client, owner)
    page = _post(client, f"{kind.path}/new", kind.form)
    assert _flash(page) == f"{kind.noun}已保存为草稿"
    assert 'class="flash ok"' not in client.get(page.url.path).text  # once only
    record_id = db.scalars(select(kind.model.id)).one()

    page = _post(client, f"{kind.path}/{record_id}/submit", {})
    assert "已提交审核" in _flash(page)

    office_client = TestClient(client.app)
    login(office_client, office)
    page = _post(office_client, f"{kind.path}/{record_id}/approve", {})
    assert _flash(page) == f"已审核通过，{kind.noun}已发布"
    page = _post(office_client, f"{kind.path}/{record_id}/withdraw", {})
    assert _flash(page) == f"{kind.noun}已撤回"


@KINDS
def test_returned_record_is_edited_with_remarks_and_resubmitted_in_one_step(
    kind: Kind, client: TestClient, factory: Factory, db: Session
) -> None:
    owner = factory.user(kind.owner_role)
    login(client, owner)
    office_client = TestClient(client.app)
    login(office_client, factory.user("office"))
    record_id = _returned(kind, factory, db, client, office_client)

    form = client.get(f"{kind.path}/{record_id}/edit")
    assert "审核退回意见" in form.text and "请补充中试数据" in form.text
    assert 'name="resubmit"' in form.text and "保存并重新提交" in form.text

    version = db.get(kind.model, record_id).version
    page = _post(
        client,
        f"{kind.path}/{record_id}/edit",
        kind.form | {"title": "改进后的" + kind.form["title"], "version": version, "resubmit": "1"},
    )
    assert "已提交审核" in _flash(page)
    db.expire_all()
    record = db.get(kind.model, record_id)
    assert record.status == "submitted"
    assert record.title.startswith("改进后的")
    actions = list(
        db.scalars(
            select(AuditLog.action)
            .where(
                AuditLog.entity_type == kind.model.__tablename__, AuditLog.entity_id == record_id
            )
            .order_by(AuditLog.id)
        )
    )
    assert actions == ["create", "submit", "return", "update", "submit"]


@KINDS
def test_plain_save_of_a_returned_record_keeps_it_returned(
    kind: Kind, client: TestClient, factory: Factory, db: Session
) -> None:
    login(client, factory.user(kind.owner_role))
    office_client = TestClient(client.app)
    login(office_client, factory.user("office"))
    record_id = _returned(kind, factory, db, client, office_client)
    version = db.get(kind.model, record_id).version
    page = _post(client, f"{kind.path}/{record_id}/edit", kind.form | {"version": version})
    assert _flash(page) == "已保存"
    db.expire_all()
    assert db.get(kind.model, record_id).status == "returned"


@KINDS
def test_stale_resubmit_submits_nothing(
    kind: Kind, client: TestClient, factory: Factory, db: Session
) -> None:
    login(client, factory.user(kind.owner_role))
    office_client = TestClient(client.app)
    login(office_client, factory.user("office"))
    record_id = _returned(kind, factory, db, client, office_client)
    stale = db.get(kind.model, record_id).version - 1
    response = client.post(
        f"{kind.path}/{record_id}/edit",
        data=kind.form | {"version": stale, "resubmit": "1", "csrf_token": csrf(client)},
    )
    assert response.status_code == 409
    db.expire_all()
    assert db.get(kind.model, record_id).status == "returned"


@KINDS
def test_reviewer_sees_what_changed_since_the_return(
    kind: Kind, client: TestClient, factory: Factory, db: Session
) -> None:
    owner = factory.user(kind.owner_role)
    login(client, owner)
    office_client = TestClient(client.app)
    login(office_client, factory.user("office"))
    record_id = _returned(kind, factory, db, client, office_client)

    version = db.get(kind.model, record_id).version
    new_title = "改进后的" + kind.form["title"]
    _post(
        client,
        f"{kind.path}/{record_id}/edit",
        kind.form | {"title": new_title, "version": version, "resubmit": "1"},
    )
    review = office_client.get(f"{kind.path}/{record_id}").text
    assert "退回后的修改" in review
    section = review.split("退回后的修改", 1)[1].split("</section>", 1)[0]
    assert kind.form["title"] in section and new_title in section
    assert "状态" not in section  # review bookkeeping is not a content change
    # The unit that made the change does not need the comparison.
    assert "退回后的修改" not in client.get(f"{kind.path}/{record_id}").text


@KINDS
def test_resubmitting_unchanged_says_so_to_the_reviewer(
    kind: Kind, client: TestClient, factory: Factory, db: Session
) -> None:
    login(client, factory.user(kind.owner_role))
    office_client = TestClient(client.app)
    login(office_client, factory.user("office"))
    record_id = _returned(kind, factory, db, client, office_client)
    _post(client, f"{kind.path}/{record_id}/submit", {})
    review = office_client.get(f"{kind.path}/{record_id}").text
    assert "退回后未修改任何内容即重新提交" in review


def test_record_never_returned_shows_no_comparison(
    client: TestClient, factory: Factory, db: Session
) -> None:
    login(client, factory.user("university"))
    _post(client, "/achievements/new", ACHIEVEMENT.form | {"submit_now": "1"})
    record_id = db.scalars(select(Achievement.id)).one()
    office_client = TestClient(client.app)
    login(office_client, factory.user("office"))
    assert "退回后的修改" not in office_client.get(f"/achievements/{record_id}").text
