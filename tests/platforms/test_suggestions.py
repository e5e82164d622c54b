"""A platform the engine suggests for a demand links straight to its booking form."""

from __future__ import annotations

from types import SimpleNamespace

from silian.core.web import templates
from silian.matching.service import Suggestion


def _render(role: str) -> str:
    item = Suggestion(
        kind="platform", id=7, title="海洋装备中试平台", organization="中试基地", score=72, rank=1
    )
    user = SimpleNamespace(id=1, role=role, organization_id=3, is_active=True)
    return templates().get_template("matching/_list.html").render(
        items=[item], user=user, can_judge=False, signal_labels={},
        source_kind="demand", source_id=42,
    )  # fmt: skip


def test_platform_suggestion_links_to_the_booking_form() -> None:
    """Those who may book get 预约此平台服务 to /platforms/7/book?demand=42; others do not."""
    html = _render("enterprise")
    assert 'href="/platforms/7"' in html
    assert 'href="/platforms/7/book?demand=42"' in html
    assert "/book?" not in _render("broker")
