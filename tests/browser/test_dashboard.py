"""Browser: the office opens the dashboard, the charts draw on canvas, a number opens its list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from silian.insights import freshness
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in
from tests.insights.test_dashboard import _build

pytestmark = pytest.mark.browser


def test_office_reads_the_dashboard(page: Page, live_app: LiveApp, shot: Shots) -> None:
    _build(live_app.db, live_app.factory)
    freshness.process(live_app.db, limit=None)
    office = live_app.factory.user("office")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )

    sign_in(page, office, "/dashboard?period=year&year=2025")
    page.goto("/dashboard?period=year&year=2025")
    expect(page.locator("body")).to_have_attribute("data-charts", "ready")
    for chart in ("trends", "chains", "channels", "funnel-demand", "funnel-achievement"):
        canvas = page.locator(f"#chart-{chart} canvas").first
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, chart
    # The trend chart drew something: its canvas is not one flat colour.
    colours = page.eval_on_selector(
        "#chart-trends canvas",
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  const seen = new Set();
                  for (let i = 0; i < d.length; i += 4 * 97)
                    seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2]);
                  return seen.size; }""",
    )
    assert colours > 3, colours
    assert not errors, errors
    value = page.locator('[data-headline="contract_value"]')
    expect(value).to_have_text("530,000.50")
    shot("dashboard-office-2025")

    value.click()
    expect(page).to_have_url(re.compile(r"/dashboard/records\?figure=contract_value"))
    expect(page.locator("#records-summary")).to_contain_text("共 3 条记录")
    expect(page.locator("#records-summary")).to_contain_text("530,000.50")
    shot("dashboard-records-contract-value")
