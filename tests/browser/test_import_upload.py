"""Browser journey of the import upload: choose a file, preview, map a column, errors, import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from silian.achievements.models import Achievement
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in
from tests.io import messy

pytestmark = pytest.mark.browser


def test_office_imports_a_messy_registration_sheet(
    page: Page, live_app: LiveApp, shot: Shots, tmp_path: Path
) -> None:
    """Preview → map the unknown 备注 column → see the four bad rows → import the good ones."""
    live_app.factory.org("university", name=messy.UNI)
    live_app.factory.org("university", name=messy.UNI2)
    office = live_app.factory.user("office")
    sheet = messy.build_achievements(tmp_path / "成果登记表.xlsx")

    sign_in(page, office)
    page.goto("/achievements")
    page.get_by_role("link", name="批量导入").click()
    expect(page.get_by_role("heading", name="批量导入科技成果")).to_be_visible()
    page.locator("#f-file").set_input_files(str(sheet))
    shot("choose-file")
    page.get_by_role("button", name="上传并预览").click()

    expect(page.get_by_role("heading", name="识别到的表头")).to_be_visible()
    expect(page.locator("#header")).to_contain_text("第 4 行")
    expect(page.locator("#errors")).to_contain_text("未知列“备注”")
    expect(page.get_by_role("button", name=re.compile("确认导入|只导入"))).to_have_count(0)
    shot("preview-unknown-column")

    page.get_by_label("“备注”对应的字段").select_option(label="应用领域")
    page.get_by_role("button", name="应用列对应并重新检查").click()
    expect(page.get_by_role("alert")).to_contain_text("共 10 行，其中 4 行有错误")
    errors = page.locator("#errors tbody tr")
    expect(errors).to_have_count(4)
    for row in sorted(messy.BAD):
        expect(page.locator("#errors")).to_contain_text(messy.BAD[row][0])
    expect(page.locator("#preview")).to_contain_text("120万元")
    expect(page.locator("#preview")).to_contain_text(messy.UNI)
    expect(page.get_by_role("link", name="下载错误清单（Excel）")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载错误清单（Excel）").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    shot("mapped-errors-and-preview")

    page.get_by_role("button", name="只导入正确的 6 行").click()
    expect(page.get_by_role("status")).to_contain_text("新增 6 条")
    shot("imported")
    live_app.db.rollback()
    titles = set(live_app.db.scalars(select(Achievement.title)))
    assert titles == {g.title for g in messy.GOOD}
    stored = live_app.db.scalar(select(Achievement).where(Achievement.title == messy.GOOD[0].title))
    assert stored is not None and stored.application_field == "重点推荐"
