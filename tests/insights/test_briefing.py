"""The quarterly briefing: the Word tables and the workbook read back equal the figures service."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from silian.achievements.models import Achievement
from silian.brokerage.models import Contract
from silian.chains.models import IndustryChain
from silian.cli import app
from silian.config import get_settings
from silian.core.db import session_factory
from silian.insights import briefing, figures, jobs
from tests.support import Factory, api_headers

# 2026 Q2 with Q1 before it and 2025 Q2 a year before.
DAYS = (date(2025, 5, 10), date(2026, 2, 10), date(2026, 5, 10), date(2026, 5, 11))


def world(db: Session, db_url: str, factory: Factory) -> IndustryChain:
    """Achievements and contracts on those days, then the figures refreshed for them."""
    chain = IndustryChain(code="ic", name="集成电路产业链", sort_order=1)
    db.add(chain)
    db.commit()
    uni = factory.org("university")
    ent = factory.org("enterprise")
    for k, day in enumerate(DAYS):
        at = datetime(day.year, day.month, day.day, 3, tzinfo=UTC)
        for n in range(k + 1):
            db.add(
                Achievement(
                    organization_id=uni.id,
                    title=f"成果{k}-{n}",
                    summary="简介",
                    status="published",
                    created_at=at,
                    published_at=at,
                    chain_id=chain.id,
                )
            )
        db.add(
            Contract(
                title=f"合同{k}",
                amount=Decimal(150000 * (k + 1)),
                signed_on=day,
                seller_id=uni.id,
                buyer_id=ent.id,
            )
        )
    db.commit()
    factory_ = session_factory(db_url)
    for day in DAYS:
        jobs.refresh(factory_, day, day)
    return chain


def test_docx_numbers_equal_the_figures_service(db: Session, db_url: str, factory: Factory) -> None:
    chain = world(db, db_url, factory)
    buffer = io.BytesIO()
    b = briefing.write(db, 2026, 2, "docx", buffer)
    doc = Document(io.BytesIO(buffer.getvalue()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2026年第2季度四链融合工作简报" in text and "集成电路产业链" in text
    assert len(doc.inline_shapes) == 2  # the two charts
    city = doc.tables[0]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in city.rows[1:]}
    expected = figures.report(db, figures.period("quarter", 2026, 2))
    before = figures.report(db, figures.period("quarter", 2026, 1))
    last = figures.report(db, figures.period("quarter", 2025, 2))
    for now, prev, year_ago in zip(expected, before, last, strict=True):
        cells = rows[now.figure.label]
        scale = Decimal(10000) if now.figure.unit == "元" else Decimal(1)
        assert Decimal(cells[2].replace(",", "")) == (now.total / scale).quantize(
            Decimal("0.01") if scale > 1 else Decimal(1)
        )
        assert Decimal(cells[3].replace(",", "")) * scale == prev.total
        assert Decimal(cells[5].replace(",", "")) * scale == year_ago.total
    # Computed independently: Q2 2026 published 3 + 4 achievements, Q1 2, Q2 2025 1.
    assert rows["成果发布"][2:] == ["7", "2", "+250.0%", "1", "+600.0%"]
    assert rows["技术合同额"][2] == "105.00"  # 450 000 + 600 000 元
    chain_table = doc.tables[1]
    chain_rows = {r.cells[0].text: r.cells[2].text for r in chain_table.rows[1:]}
    chain_now = {f.figure.label: f.total for f in figures.report(db, b.span, chain.id)}
    assert Decimal(chain_rows["成果发布"]) == chain_now["成果发布"] == 7


def test_xlsx_reads_back(db: Session, db_url: str, factory: Factory) -> None:
    world(db, db_url, factory)
    buffer = io.BytesIO()
    briefing.write(db, 2026, 2, "xlsx", buffer)
    wb = load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = wb["全市指标"]
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    for f in figures.report(db, figures.period("quarter", 2026, 2)):
        assert Decimal(str(values[f.figure.key][4])) == f.total
    assert values["achievements_published"][4:8] == (7, 2, "+250.0%", 1)
    # The record list behind the figure has as many rows as the figure counts.
    assert wb["成果发布"].max_row - 1 == 7
    assert wb["技术合同"].max_row - 1 == 2


def test_cli_and_download(
    db: Session, db_url: str, factory: Factory, client: TestClient, tmp_path: Path
) -> None:
    world(db, db_url, factory)
    out = tmp_path / "brief.docx"
    get_settings.cache_clear()
    result = CliRunner().invoke(
        app,
        ["report", "quarterly", "--year", "2026", "--quarter", "2", "--out", str(out)],
        env={"SILIAN_DATABASE_URL": db_url, "SILIAN_HOME": str(tmp_path / "home")},
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert Document(str(out)).tables[0].rows[1].cells[0].text == "成果入库"
    office, expert = factory.user("office"), factory.user("expert")
    got = client.get(
        "/api/v1/briefings/quarterly?year=2026&quarter=2&format=xlsx",
        headers=api_headers(client, office),
    )
    assert got.status_code == 200 and got.content[:2] == b"PK"
    refused = client.get(
        "/api/v1/briefings/quarterly?year=2026&quarter=2", headers=api_headers(client, expert)
    )
    assert refused.status_code == 403


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(briefing, "FONT_DIRS", (tmp_path,))
    with pytest.raises(briefing.BriefingError, match="fonts-noto-cjk"):
        briefing.find_cjk_font()
