"""Web upload of import files: preview, column mapping, errors, error report, import, limits."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.demands.models import Demand
from silian.io import uploads
from tests.io import messy
from tests.io.helpers import counts
from tests.support import Factory, csrf, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(factory: Factory, db: Session) -> dict[str, Any]:
    """The units of the messy sheets, an office user and unit accounts."""
    uni = factory.org("university", name=messy.UNI)
    ent = factory.org("enterprise", name=messy.ENT)
    factory.org("university", name=messy.UNI2)
    return {
        "office": factory.user("office"),
        "teacher": factory.user("university", org=uni),
        "boss": factory.user("enterprise", org=ent),
    }


def _upload(client: TestClient, kind: str, path: Path) -> Any:
    with path.open("rb") as handle:
        return client.post(
            f"/import/{kind}",
            data={"csrf_token": csrf(client)},
            files={"file": (path.name, handle, XLSX)},
            follow_redirects=False,
        )


def test_office_uploads_maps_sees_errors_downloads_report_and_imports(
    client: TestClient, db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    login(client, world["office"])
    listing = client.get("/achievements")
    assert 'href="/import/achievements"' in listing.text
    assert "批量导入" in client.get("/import/achievements").text
    path = messy.build_achievements(tmp_path / "成果登记表.xlsx")
    before = counts(db)
    sent = _upload(client, "achievements", path)
    assert sent.status_code == 303, sent.text[-3000:]
    preview_url = sent.headers["location"]
    page = client.get(preview_url)
    assert page.status_code == 200
    assert "第 4 行" in page.text and "未知列“备注”" in page.text
    assert "确认导入" not in page.text  # an unknown column blocks the import
    mapped = client.get(preview_url + "?map=" + quote("备注=application_field"))
    assert "共 10 行，其中 4 行有错误" in mapped.text
    for row in messy.BAD:
        assert f"<td>{row}</td>" in mapped.text
    assert "120万元" in mapped.text and "中试" in mapped.text  # preview as stored
    assert "只导入正确的 6 行" in mapped.text
    report = client.get(preview_url + "/errors.xlsx?map=" + quote("备注=application_field"))
    assert report.status_code == 200 and report.headers["content-type"] == XLSX
    rows = list(load_workbook(io.BytesIO(report.content)).worksheets[0].values)
    assert rows[0] == ("行", "列", "原因") and sorted(r[0] for r in rows[1:]) == sorted(messy.BAD)
    assert counts(db) == before  # previews write nothing
    token = preview_url.rsplit("/", 1)[1]
    refused = client.post(
        preview_url,
        data={"csrf_token": csrf(client), "map": "备注=application_field"},
    )
    assert refused.status_code == 422 and counts(db) == before  # all or nothing
    done = client.post(
        preview_url,
        data={
            "csrf_token": csrf(client),
            "map": "备注=application_field",
            "skip_invalid": "1",
        },
    )
    assert done.status_code == 200 and "新增 6 条" in done.text, done.text
    titles = set(db.scalars(select(Achievement.title)))
    assert titles == {g.title for g in messy.GOOD}
    first = db.scalar(select(Achievement).where(Achievement.title == messy.GOOD[0].title))
    assert first is not None and first.application_field == "重点推荐"
    # The kept file is gone once imported.
    assert client.get(f"/import/achievements/{token}").status_code == 404


def test_unit_account_imports_its_own_demands(
    client: TestClient, db: Session, world: dict[str, Any], tmp_path: Path
) -> None:
    login(client, world["boss"])
    assert 'href="/import/demands"' in client.get("/demands").text
    sent = _upload(client, "demands", messy.build_demands(tmp_path / "需求.xlsx"))
    url = sent.headers["location"]
    ignored = client.get(url + "?map=" + quote("合作方式=__ignore__"))
    assert "检查通过：共 2 行" in ignored.text and "2,000" not in ignored.text
    assert "200万元" in ignored.text
    done = client.post(url, data={"csrf_token": csrf(client), "map": "合作方式=__ignore__"})
    assert "新增 2 条" in done.text
    assert {d.organization_id for d in db.scalars(select(Demand))} == {
        world["boss"].organization_id
    }


def test_upload_rules(
    client: TestClient,
    db: Session,
    world: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login(client, world["teacher"])
    # A university account may not import demands, and sees no link to.
    assert client.get("/import/demands").status_code == 403
    assert 'href="/import/demands"' not in client.get("/demands").text
    # No CSRF token: refused.
    path = messy.build_achievements(tmp_path / "成果登记表.xlsx")
    with path.open("rb") as handle:
        bare = client.post("/import/achievements", files={"file": (path.name, handle, XLSX)})
    assert bare.status_code == 403
    # Wrong type and oversize files get a clear message.
    old = tmp_path / "旧表.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert "另存为 .xlsx" in _upload(client, "achievements", old).text
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    big = _upload(client, "achievements", path)
    assert big.status_code == 413 and "文件过大" in big.text and "最多" in big.text
    # Someone else's token is not found.
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    url = _upload(client, "achievements", path).headers["location"]
    login(client, world["office"])
    assert client.get(url).status_code == 404
    template = client.get("/import/achievements/template.xlsx")
    assert template.status_code == 200
    header = next(load_workbook(io.BytesIO(template.content)).worksheets[0].values)
    assert "成果名称" in header and re.search("attachment", template.headers["content-disposition"])
