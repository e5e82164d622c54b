"""Optimistic concurrency helpers: version checks, ETags, and the version column at work."""

from __future__ import annotations

import html
import re
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from silian.core.concurrency import (
    Versioned,
    check_version,
    etag,
    version_from_etag,
    version_from_form,
)
from silian.core.errors import StaleEdit
from silian.demands.models import Demand
from tests.support import Factory, api_headers, csrf, if_match, login


class _Base(DeclarativeBase):
    pass


class _Row(Versioned, _Base):
    __tablename__ = "versioned_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


def test_check_version_refuses_an_old_version() -> None:
    record = SimpleNamespace(version=3)
    check_version(record, 3)
    check_version(record, None)
    with pytest.raises(StaleEdit) as info:
        check_version(record, 2)
    assert info.value.current_version == 3
    assert info.value.status_code == 409


def test_etag_round_trip_and_junk() -> None:
    assert etag(SimpleNamespace(version=7)) == '"7"'
    assert version_from_etag('"7"') == 7
    assert version_from_etag('W/"7"') == 7
    assert version_from_etag("*") is None
    assert version_from_etag('"x"') is None
    assert version_from_etag(None) is None
    assert version_from_form("4") == 4
    assert version_from_form("") is None
    assert version_from_form("abc") is None


def test_second_writer_of_the_same_version_fails() -> None:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(_Row(name="a"))
        s.commit()
    first, second = Session(engine), Session(engine)
    a, b = first.get(_Row, 1), second.get(_Row, 1)
    assert a is not None and b is not None and a.version == b.version == 1
    a.name = "first"
    first.commit()
    assert a.version == 2
    b.name = "second"
    with pytest.raises(StaleDataError):
        second.commit()
    second.rollback()
    with Session(engine) as s:
        row = s.get(_Row, 1)
        assert row is not None and (row.name, row.version) == ("first", 2)


# --- through the app: ETag / If-Match, stale pages, and defect 1 ------------------------------

DEMAND = {
    "title": "反渗透膜污染控制技术需求",
    "problem": "我们的海水淡化装置反渗透膜清洗周期太短，希望找到延长清洗周期的技术方案。",
    "budget": "500000",
}


def _posted_demand(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post("/api/v1/demands", headers=headers, json=DEMAND)
    assert response.status_code == 201, response.text
    return f"/api/v1/demands/{response.json()['id']}"


def test_put_needs_if_match_and_a_current_etag(client: TestClient, factory: Factory) -> None:
    """GET gives an ETag; a PUT without If-Match is 428, with an old one 412; a good one 200
    with the next ETag. A stranger still gets 404 first, whatever the header."""
    owner = api_headers(client, factory.user("enterprise"))
    url = _posted_demand(client, owner)
    got = client.get(url, headers=owner)
    assert got.headers["etag"] == '"1"'
    missing = client.put(url, headers=owner, json=DEMAND)
    assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
    junk = client.put(url, headers=owner | {"If-Match": "*"}, json=DEMAND)
    assert junk.status_code == 412
    saved = client.put(url, headers=owner | {"If-Match": '"1"'}, json=DEMAND | {"budget": "1"})
    assert saved.status_code == 200 and saved.headers["etag"] == '"2"'
    stale = client.put(url, headers=owner | {"If-Match": '"1"'}, json=DEMAND)
    assert stale.status_code == 412 and stale.headers["etag"] == '"2"'
    assert "他人修改" in stale.json()["detail"]
    assert client.get(url, headers=owner).json()["budget"] == "1.00"
    stranger = api_headers(client, factory.user("enterprise"))
    assert client.put(url, headers=stranger, json=DEMAND).status_code == 404


def test_openapi_documents_if_match_and_idempotency_key(client: TestClient) -> None:
    """Every PUT declares If-Match, 412 and 428; every create declares Idempotency-Key."""
    spec = client.get("/api/v1/openapi.json").json()
    puts = posts = 0
    for path, item in spec["paths"].items():
        put = item.get("put")
        if put:
            puts += 1
            names = {p["name"] for p in put.get("parameters", []) if p["in"] == "header"}
            assert "if-match" in {n.lower() for n in names}, path
            assert {"412", "428"} <= set(put["responses"]), path
        post = item.get("post")
        if post and "201" in post["responses"]:
            posts += 1
            names = {p["name"] for p in post.get("parameters", []) if p["in"] == "header"}
            assert "Idempotency-Key" in names, path
    assert puts >= 5 and posts >= 4


def test_stale_page_keeps_input_and_shows_what_changed(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """A save from a page loaded before someone else's edit is refused (409) and shows the
    form again with the user's input, a clear message and the other user's changes."""
    owner = factory.user("enterprise")
    office = api_headers(client, factory.user("office"))
    api = TestClient(client.app)
    login(client, owner)
    client.post("/demands/new", data=DEMAND | {"csrf_token": csrf(client)})
    demand = db.scalars(select(Demand)).one()
    form = client.get(f"/demands/{demand.id}/edit").text
    assert 'name="version" value="1"' in form
    url = f"/api/v1/demands/{demand.id}"
    other = DEMAND | {"title": "他人改过的标题", "organization_id": demand.organization_id}
    assert api.put(url, headers=if_match(api, url, office), json=other).status_code == 200
    mine = DEMAND | {"title": "我的新标题", "budget": "900000"}
    response = client.post(
        f"/demands/{demand.id}/edit", data=mine | {"version": "1", "csrf_token": csrf(client)}
    )
    assert response.status_code == 409
    page = response.text
    assert "其他用户修改了这条记录" in page
    assert 'value="我的新标题"' in page  # the user's input is kept
    assert "他人改过的标题" in page and DEMAND["title"] in page  # old → new of the change
    assert 'name="version" value="2"' in page  # saving again now overwrites deliberately
    db.expire_all()
    assert db.get(Demand, demand.id).title == "他人改过的标题"  # type: ignore[union-attr]
    again = client.post(
        f"/demands/{demand.id}/edit",
        data=mine | {"version": "2", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    db.expire_all()
    assert db.get(Demand, demand.id).title == "我的新标题"  # type: ignore[union-attr]


def _put(
    client: TestClient,
    barrier: threading.Barrier,
    statuses: list[int],
    i: int,
    url: str,
    headers: dict[str, str],
) -> None:
    barrier.wait()
    statuses[i] = client.put(url, headers=headers, json=BODIES[i]).status_code


BODIES = [
    DEMAND | {"title": "甲方案标题", "budget": "111111"},
    DEMAND | {"title": "乙方案标题", "budget": "222222"},
]


def test_defect_1_simultaneous_puts_never_mix(
    app: Any, client: TestClient, factory: Factory, db: Session
) -> None:
    """Defect 1 (lost and mixed updates): two simultaneous PUTs with different titles and
    budgets, ten rounds. Each round the record is exactly one of the two bodies, its version
    goes up by one, and the other writer gets 412 (its If-Match is no longer current)."""
    owner = api_headers(client, factory.user("enterprise"))
    url = _posted_demand(client, owner)
    bodies = BODIES
    with TestClient(app) as first, TestClient(app) as second:
        writers = [first, second]
        for round_number in range(10):
            tag = client.get(url, headers=owner).headers["etag"]
            barrier = threading.Barrier(2)
            statuses: list[int] = [0, 0]
            threads = [
                threading.Thread(target=_put, args=(writers[i], barrier, statuses, i, url, headers))
                for i, headers in enumerate([owner | {"If-Match": tag}, owner | {"If-Match": tag}])
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert sorted(statuses) == [200, 412], (round_number, statuses)
            winner = bodies[statuses.index(200)]
            now = client.get(url, headers=owner)
            assert (now.json()["title"], now.json()["budget"]) == (
                winner["title"],
                f"{int(winner['budget'])}.00",
            ), round_number
            assert now.headers["etag"] == f'"{round_number + 2}"'


def test_stale_salary_rules_form_shows_the_other_offices_change(
    client: TestClient, factory: Factory
) -> None:
    """按薪定才 thresholds are edited as a set: a save from a form loaded before another office
    changed the set is refused with both thresholds shown; the API answers 412 likewise."""
    office = factory.user("office")
    other = api_headers(client, factory.user("office"))
    login(client, office)
    form = client.get("/salary-grade-rules/edit").text
    tag = re.search(r'name="version" value="([^"]+)"', form)
    assert tag is not None
    version = html.unescape(tag.group(1))
    rows = client.get("/api/v1/salary-grade-rules", headers=other).json()
    assert rows[0]["etag"] == version
    put = client.put(
        "/api/v1/salary-grade-rules",
        headers=other | {"If-Match": version},
        json={"chain_id": None, "grade_A": 2000000},
    )
    assert put.status_code == 200 and put.headers["etag"] != version
    stale = client.post(
        "/salary-grade-rules/edit",
        data={
            "chain_id": "",
            "grade_A": "3000000",
            "version": version,
            "loaded_grade_A": "",
            "csrf_token": csrf(client),
        },
    )
    assert stale.status_code == 409
    assert "其他用户修改了这条记录" in stale.text and "2000000" in stale.text
    assert 'value="3000000"' in stale.text
    again = client.put(
        "/api/v1/salary-grade-rules",
        headers=other | {"If-Match": version},
        json={"chain_id": None, "grade_A": 1},
    )
    assert again.status_code == 412
