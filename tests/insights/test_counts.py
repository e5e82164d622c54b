"""One source for each count shown on several pages: home, chain overview, chain map, API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.core.db import utcnow
from silian.demands.models import Demand
from silian.platforms.models import Platform
from silian.talent.models import Talent, TalentProject
from tests.chain_world import World, build
from tests.support import Factory, api_headers, login

FIGURE = re.compile(
    r'<span class="value">([^<]+)</span><span class="unit">[^<]*</span>'
    r'<span class="label">([^<]+)</span>'
)


def figures(html: str) -> dict[str, int]:
    """The page's whole-number headline figures as label → number."""
    return {
        label: int(value.replace(",", ""))
        for value, label in FIGURE.findall(html)
        if value.replace(",", "").isdigit()
    }


def _achievement(title: str, org_id: int, chain_id: int | None, status: str) -> Achievement:
    return Achievement(
        title=title,
        summary="用于检验计数的一项成果。",
        organization_id=org_id,
        chain_id=chain_id,
        status=status,
        published_at=utcnow() if status == "published" else None,
    )


def _demand(title: str, org_id: int, chain_id: int | None, status: str) -> Demand:
    return Demand(
        title=title,
        problem="用于检验计数的一项技术需求描述。",
        organization_id=org_id,
        chain_id=chain_id,
        status=status,
        published_at=None if status == "draft" else utcnow(),
    )


def _city(db: Session, factory: Factory) -> tuple[World, IndustryChain]:
    """The chain world plus records that a naive per-chain sum gets wrong."""
    w = build(db, factory)
    retired = IndustryChain(code="retired", name="已停用产业链", sort_order=3, is_active=False)
    db.add(retired)
    db.flush()
    # The other enterprise sits on two chains: counted on both cards, once in the total.
    w.enterprise.chains.append(w.other_chain)
    db.add_all(
        [
            _achievement("集成电路封装工艺", w.university.id, w.other_chain.id, "published"),
            _achievement("未归链的成果", w.university.id, None, "published"),
            _achievement("停用链上的成果", w.university.id, retired.id, "published"),
            _achievement("待审核的成果", w.university.id, w.chain.id, "submitted"),
            _demand("已揭榜的需求", w.leader.id, w.chain.id, "awarded"),
            _demand("已关闭的未归链需求", w.enterprise.id, None, "closed"),
            _demand("退回修改的需求", w.enterprise.id, w.chain.id, "returned"),
            Platform(name="未归链平台", kind="poc", organization_id=w.leader.id),
            Talent(
                name="赵双链",
                organization_id=w.enterprise.id,
                disciplines=["电子科学与技术"],
                consent_public=True,
            ),
            TalentProject(
                name="申报中的产才融合项目",
                organization_id=w.leader.id,
                chain_id=w.chain.id,
                rights=["salary_grading"],
                subsidy_amount=Decimal("900000"),
                talents_gathered=7,
                year=2025,
                status="applying",
            ),
        ]
    )
    db.commit()
    return w, retired


@pytest.mark.parametrize("role", [None, "office", "enterprise"])
def test_home_and_chain_pages_agree(
    role: str | None, client: TestClient, factory: Factory, db: Session
) -> None:
    w, retired = _city(db, factory)
    headers: dict[str, str] = {}
    if role:
        user = factory.user(role)
        login(client, user)
        headers = api_headers(client, user)
    home = figures(client.get("/").text)
    overview_page = client.get("/chains").text
    overview = figures(overview_page)
    # Counted independently from the rows built above.
    assert home["已发布成果"] == overview["已发布成果"] == 4
    assert home["发布榜单"] == overview["发布榜单"] == 3
    assert overview["中试/概念验证平台"] == 2
    assert overview["链上企业"] == 2  # the leader and the two-chain enterprise, each once
    # The signed-in enterprise user's own unit is one more enterprise, on no chain.
    assert home["入驻企业"] == 2 + (role == "enterprise")
    # Talents on several chains count once: 李海洋, 赵双链, and for offices 王隐名.
    assert overview["相关专家人才"] == 2 + (role == "office")
    chains = client.get("/api/v1/chains", headers=headers).json()["items"]
    # Records on no chain, or on a chain the viewer does not see, make up the difference.
    unassigned = {"已发布成果": 1 if role == "office" else 2, "发布榜单": 1}
    for key, label in (("achievements", "已发布成果"), ("demands", "发布榜单")):
        assert overview[label] - sum(c["counts"][key] for c in chains) == unassigned[label]
    if role != "office":
        assert retired.id not in {c["id"] for c in chains}
        assert "未归入所列产业链的成果 2 项、榜单 1 项、平台 1 个" in overview_page
    # Each chain's card, map page and map API show the same counts.
    for chain in chains:
        page = figures(client.get(f"/chains/{chain['id']}").text)
        api = client.get(f"/api/v1/chains/{chain['id']}", headers=headers).json()["counts"]
        assert {k: api[k] for k in chain["counts"]} == chain["counts"]
        assert page["已发布成果"] == chain["counts"]["achievements"]
        assert page["技术需求榜单"] == chain["counts"]["demands"]
        assert page["链上企业"] == chain["counts"]["enterprises"]
        assert page["中试/概念验证平台"] == chain["counts"]["platforms"]
        assert page["相关专家人才"] == chain["counts"]["talents"]
    marine = next(c for c in chains if c["id"] == w.chain.id)
    assert marine["counts"]["achievements"] == 1 and marine["counts"]["demands"] == 2
    # The home page's chain list shows the same per-chain numbers as the cards.
    home_html = client.get("/").text
    for chain in chains:
        chip = re.search(
            rf'href="/achievements\?chain={chain["id"]}">[^<]*<span class="muted">([\d,]+)</span>',
            home_html,
        )
        assert chip is not None and int(chip.group(1)) == chain["counts"]["achievements"]


def test_recognised_projects_exclude_applications(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _city(db, factory)
    login(client, factory.user("office"))
    page = client.get("/talent-projects")
    assert "申报中的产才融合项目" in page.text  # still listed …
    assert figures(page.text)["认定项目"] == 1  # … but not counted as recognised
    assert figures(page.text)["集聚人才"] == 25
    assert "200万元" in page.text and "290万元" not in page.text  # subsidies of recognised ones
