"""Browser: the suggestion panel reads as one line per hit, with details on demand."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from silian.achievements.models import Achievement
from silian.core.db import utcnow
from silian.demands.models import Demand
from tests.browser.conftest import LiveApp, Shots

pytestmark = pytest.mark.browser

PAPERS = [
    (
        "反渗透膜抗污染改性技术",
        "表面接枝两性离子聚合物，降低反渗透膜有机污染，延长清洗周期。",
        "反渗透膜、抗污染",
    ),
    (
        "高盐废水零排放蒸发结晶工艺",
        "多效蒸发与结晶耦合处理高盐废水，回收工业盐。",
        "高盐废水、蒸发结晶",
    ),
    (
        "锂离子电池高镍正极材料",
        "共沉淀法制备高镍三元正极材料，提高循环寿命。",
        "锂离子电池、正极材料",
    ),
]


def test_panel_shows_one_line_of_reasons_and_details_on_demand(
    page: Page, live_app: LiveApp, shot: Shots
) -> None:
    university = live_app.factory.org("university", name="示范海洋大学")
    enterprise = live_app.factory.org("enterprise", name="蓝港水务")
    for title, summary, keywords in PAPERS:
        live_app.db.add(
            Achievement(
                title=title,
                summary=summary,
                keywords=keywords.split("、"),
                organization_id=university.id,
                status="published",
                trl=6,
                price=500_000,
            )
        )
    demand = Demand(
        title="海水淡化反渗透膜污染严重",
        problem="反渗透膜有机污染快、清洗频繁，希望找到抗污染改性技术延长清洗周期。",
        keywords=["反渗透膜", "膜污染"],
        organization_id=enterprise.id,
        status="published",
        wanted_trl=5,
        budget=800_000,
        published_at=utcnow(),
    )
    live_app.db.add(demand)
    live_app.db.commit()

    page.goto(f"/demands/{demand.id}")
    first = page.locator(".suggestion").first
    # The first panel of a fresh index builds it (word vectors, classifier): allow for that.
    expect(first).to_contain_text("反渗透膜抗污染改性技术", timeout=180_000)
    expect(first.locator(".summary")).to_contain_text("命中：")
    expect(first.locator(".score")).to_contain_text("相关")
    # The breakdown and every reason sentence stay folded until asked for.
    expect(first.locator(".reason-details .shares")).not_to_be_visible()
    shot("panel-folded")
    first.locator(".reason-details summary").click()
    expect(first.locator(".reason-details .shares")).to_be_visible()
    expect(first.locator(".reason-details")).to_contain_text("成熟度 TRL 6")
    shot("panel-details")
