"""Browser: the office reads a chain's four-chain graph and gaps, puts a gap on the next meeting's
agenda in one click, and records a decision with a follow-up task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from silian.chains.models import IndustryChain
from silian.core import clock
from silian.talent.models import TalentNeed
from tests.browser.conftest import LiveApp, Shots
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.browser


def test_gap_to_agenda_to_decision_and_task(page: Page, live_app: LiveApp, shot: Shots) -> None:
    db = live_app.db
    chain = IndustryChain(code="ic", name="集成电路产业链", sort_order=1)
    db.add(chain)
    db.commit()
    ent = live_app.factory.org("enterprise", name="芯港半导体（示例）")
    ent.chains.append(chain)
    db.add(
        TalentNeed(organization_id=ent.id, position="工艺工程师", headcount=8, chain_id=chain.id)
    )
    db.commit()
    meeting = live_app.factory.meeting(
        "2027年第一季度会商会议", held_on=clock.today() + timedelta(days=10)
    )
    office = live_app.factory.user("office")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, office, "/meetings")
    page.goto(f"{live_app.url}/chains/{chain.id}")
    graph = page.locator("#chain-graph canvas")
    expect(graph.first).to_be_visible()
    gap = page.locator("#gap-talent_shortage")
    expect(gap).to_contain_text("在招岗位 8 人")
    shot("chain-map-gaps")
    gap.get_by_role("button", name="列入会商议题").click()
    expect(page).to_have_url(f"{live_app.url}/meetings/{meeting.id}#agenda-1")
    expect(page.locator("#agenda")).to_contain_text("在招岗位 8 人")
    page.get_by_label("议定内容").fill("联合高校开设集成电路工艺冠名班。")
    page.get_by_label("牵头部门").fill("市教育局")
    page.locator("input[name=records]").first.check()
    page.get_by_role("button", name="保存议定事项").click()
    decision = page.locator("article.decision").first
    expect(decision).to_contain_text("联合高校开设集成电路工艺冠名班")
    decision.get_by_label("督办任务").fill("制定冠名班招生计划")
    decision.get_by_label("承办人").select_option(str(office.id))
    decision.get_by_role("button", name="分派任务").click()
    expect(page.locator("article.decision").first).to_contain_text("制定冠名班招生计划")
    shot("meeting-decision-task")
