"""Figures and report commands: `silian figures refresh`, `silian report quarterly`."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    """Add the figures commands to the main CLI."""
    figures_app = typer.Typer(help="城市统计数据", no_args_is_help=True)
    figures_app.command("refresh")(figures_refresh)
    app.add_typer(figures_app, name="figures")
    report_app = typer.Typer(help="工作简报", no_args_is_help=True)
    report_app.command("quarterly")(report_quarterly)
    app.add_typer(report_app, name="report")


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        console.print(f"[red]{option} 应为 YYYY-MM-DD 格式的日期，收到：{value}[/red]")
        raise typer.Exit(code=2) from None


def figures_refresh(
    from_: str | None = typer.Option(
        None, "--from", help="从这一天起重算（默认：上次重算的最后一天，或最早记录的日期）"
    ),
    to: str | None = typer.Option(None, "--to", help="重算到这一天（默认：今天）"),
) -> None:
    """Recompute the daily figures from the records; rerunning a day gives the same rows."""
    from silian.config import get_settings
    from silian.core.db import session_factory
    from silian.core.migrate import upgrade
    from silian.insights.jobs import refresh

    start, end = _date(from_, "--from"), _date(to, "--to")
    if start and end and start > end:
        console.print("[red]--from 不能晚于 --to[/red]")
        raise typer.Exit(code=2)
    settings = get_settings()
    upgrade(settings.database_url)
    started = time.perf_counter()
    report = refresh(session_factory(settings.database_url), start, end)
    console.print(
        f"已重算 {report.start} 至 {report.end} 共 {report.days} 天的统计数据，"
        f"{report.rows} 行，用时 {time.perf_counter() - started:.1f} 秒"
    )


def report_quarterly(
    year: int = typer.Option(..., "--year", help="年份，如 2026"),
    quarter: int = typer.Option(..., "--quarter", min=1, max=4, help="季度 1–4"),
    out: Path = typer.Option(..., "--out", help="输出文件，如 简报.docx"),
    fmt: str = typer.Option("docx", "--format", help="docx（Word 简报）或 xlsx（指标与明细）"),
) -> None:
    """Write the quarterly briefing from the refreshed figures, gaps and decisions."""
    from silian.config import get_settings
    from silian.core.db import session_factory
    from silian.core.migrate import upgrade
    from silian.insights.briefing import FORMATS, BriefingError, write

    if fmt not in FORMATS:
        console.print("[red]--format 应为 docx 或 xlsx[/red]")
        raise typer.Exit(code=2)
    settings = get_settings()
    upgrade(settings.database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        with session_factory(settings.database_url)() as session:
            b = write(session, year, quarter, fmt, out)
    except BriefingError as exc:
        console.print(f"[red]错误：[/red]{exc.message}")
        raise typer.Exit(code=1) from None
    if b.refreshed_to is None:
        console.print("[yellow]提示：该季度尚无统计数据，请先运行 silian figures refresh[/yellow]")
    console.print(f"已写出《{b.title}》到 {out}，用时 {time.perf_counter() - started:.1f} 秒")
