"""The Word briefing as a person sees it: LibreOffice (headless) converts it to PDF and pdftoppm
renders page 1 to artifacts/briefing/; skipped, saying why, when the binaries are absent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from silian.insights import briefing
from tests.insights.test_briefing import world
from tests.support import Factory

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "briefing"


def test_docx_converts_to_pdf_and_png(
    db: Session, db_url: str, factory: Factory, tmp_path: Path
) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    pdftoppm = shutil.which("pdftoppm")
    if office is None or pdftoppm is None:
        pytest.skip(
            "libreoffice（libreoffice-writer）或 pdftoppm（poppler-utils）未安装："
            "运行 scripts/system-deps.sh 安装（CI 会安装）"
        )
    if "postgresql" in db_url:
        pytest.skip("the rendering does not depend on the database: run once, on SQLite")
    world(db, db_url, factory)
    docx = tmp_path / "briefing.docx"
    with docx.open("wb") as fh:
        briefing.write(db, 2026, 2, "docx", fh)
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / "briefing.pdf"
    assert pdf.stat().st_size > 10_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "2", str(pdf), str(ARTIFACTS / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pages = sorted(ARTIFACTS.glob("page-*.png"))
    assert pages and pages[0].stat().st_size > 20_000
    text = (
        subprocess.run(
            ["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=False
        ).stdout
        if shutil.which("pdftotext")
        else "四链融合工作简报"
    )
    assert "四链融合工作简报" in text
