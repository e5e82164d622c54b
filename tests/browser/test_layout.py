"""Browser: the signed-in menu keeps to one line on a 1366 px laptop screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "role", ["office", "broker", "enterprise", "university", "expert", "platform"]
)
def test_menu_keeps_one_line_at_1366(page: Page, live_app: LiveApp, shot: Shots, role: str) -> None:
    user = live_app.factory.user(role)
    # A unit account's name can be long: it must not wrap the menu.
    user.display_name = "中国石油大学（华东）科技成果转化中心技术转移办公室"
    live_app.db.commit()
    page.set_viewport_size({"width": 1366, "height": 800})
    sign_in(page, user, "/my")
    tops = page.eval_on_selector_all(
        ".mainnav a", "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
    )
    assert len(tops) >= 8
    assert max(tops) - min(tops) <= 2, tops
    assert page.locator(".account-role").is_hidden()
    shot(f"menu-{role}")
