"""`silian import` and `silian export` commands for achievements and demands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.table import Table

MAX_SHOWN_ERRORS = 200
console = Console()


KIND_HELP = (
    "achievements（科技成果）、demands（技术需求）、investment-projects（招商引资项目）"
    "、named-classes（冠名班）、talent-needs（人才需求）或 subsidy-applications（补贴申请）"
)


class Kind(StrEnum):
    """What a file holds."""

    achievements = "achievements"
    demands = "demands"
    investment_projects = "investment-projects"
    named_classes = "named-classes"
    talent_needs = "talent-needs"
    subsidy_applications = "subsidy-applications"


def _fail(message: str) -> NoReturn:
    console.print(f"[red]错误：[/red]{message}")
    raise typer.Exit(code=1)


def _database_problem(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return f"数据库不可用或尚未迁移（请先运行 silian db upgrade）：{text}"


def _print_report(report: object) -> None:
    from silian.io.service import ImportReport

    assert isinstance(report, ImportReport)
    if report.header_row is not None:
        where = f"工作表“{report.sheet}”" if report.sheet and report.path.suffix != ".csv" else ""
        console.print(f"表头：{where}第 {report.header_row} 行")
        mapped = [
            f"{u.header}→{u.label}" + (f"（{u.unit_label}）" if u.unit_label != "元" else "")
            for u in report.columns
            if u.how in ("known", "mapped") and (u.header != u.label or u.unit_label != "元")
        ]
        if mapped:
            console.print("列对应：" + "，".join(mapped))
        ignored = [u.header for u in report.columns if u.how == "ignored"]
        if ignored:
            console.print("已忽略的列：" + "、".join(ignored))
    for note in report.skipped:
        console.print(f"[yellow]提示：[/yellow]{note}")
    for warning in report.warnings:
        console.print(f"[yellow]提示：[/yellow]{warning}")
    if report.errors:
        table = Table(title=f"{report.path.name} 中的错误", show_lines=False)
        table.add_column("行", justify="right")
        table.add_column("列", no_wrap=True)
        table.add_column("原因", overflow="fold")
        for error in report.errors[:MAX_SHOWN_ERRORS]:
            table.add_row("" if error.row is None else str(error.row), error.column, error.reason)
        console.print(table)
        if len(report.errors) > MAX_SHOWN_ERRORS:
            console.print(f"……另有 {len(report.errors) - MAX_SHOWN_ERRORS} 条错误未显示")
    style = "green" if report.written or (report.dry_run and report.ok) else "red"
    console.print(f"[{style}]{report.summary()}[/{style}]")


def import_command(
    kind: Kind = typer.Argument(..., help=KIND_HELP),
    file: Path = typer.Argument(..., help=".xlsx 或 .csv 文件，列格式见 docs/import-format.md"),
    org: str | None = typer.Option(None, "--org", help="所有行所属的单位（名称或编号）"),
    as_user: str | None = typer.Option(
        None, "--as", help="以此用户名导入（默认：第一个启用的政府部门账号）"
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="只导入正确的行，报告其余的行（默认：有错误则全部不写入）"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查，不写入"),
    publish: bool = typer.Option(
        False, "--publish", help="导入后直接提交并审核通过（仅政府部门账号，记入审计日志）"
    ),
    errors_to: Path | None = typer.Option(
        None, "--report", help="把错误清单另存为 .xlsx 或 .csv 文件（行、列、原因）"
    ),
    maps: list[str] = typer.Option(
        [], "--map", help="把文件中的列对应到字段：原列名=字段（如 --map 备注=应用领域），可重复"
    ),
    ignores: list[str] = typer.Option(
        [], "--ignore", help="忽略文件中的这一列（如 --ignore 备注），可重复"
    ),
) -> None:
    """Import achievements or demands from Excel/CSV; nothing is written if any row is invalid."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from sqlalchemy.exc import SQLAlchemyError

    from silian.accounts.service import find_organization
    from silian.core.db import session_factory
    from silian.core.errors import SilianError
    from silian.io.service import import_records, resolve_actor

    mapping: dict[str, str] = {}
    for item in maps:
        header, sep, target = item.partition("=")
        if not sep or not header.strip() or not target.strip():
            _fail(f"--map 的格式应为 原列名=字段，收到“{item}”")
        mapping[header.strip()] = target.strip()
    session = session_factory()()
    try:
        actor = resolve_actor(session, as_user)
        who = f"{actor.username}（{actor.role_label}）"
        unit = find_organization(session, org) if org else None
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("检查并导入", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = import_records(
                session,
                actor,
                kind.value,
                file,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
                publish=publish,
                org=unit,
                mapping=mapping,
                ignore=[i.strip() for i in ignores],
                progress=step,
            )
        if report.written:
            session.commit()
        else:
            session.rollback()
    except SilianError as exc:
        session.rollback()
        _fail(exc.message)
    except SQLAlchemyError as exc:
        session.rollback()
        _fail(_database_problem(exc))
    except Exception as exc:  # never a stack trace: report, write nothing
        session.rollback()
        _fail(f"导入中断，未写入任何数据：{type(exc).__name__}: {exc}")
    finally:
        session.close()
    console.print(f"操作人：{who}")
    _print_report(report)
    if errors_to is not None and report.errors:
        from silian.io.service import write_error_report

        try:
            write_error_report(report, errors_to)
            console.print(f"错误清单已保存到 {errors_to}")
        except (OSError, SilianError) as exc:
            console.print(f"[red]无法保存错误清单：[/red]{getattr(exc, 'message', exc)}")
    if report.errors and not report.written:
        raise typer.Exit(code=1)


def export_command(
    kind: Kind = typer.Argument(..., help=KIND_HELP),
    file: Path = typer.Argument(..., help="输出文件，.xlsx 或 .csv（UTF-8 带 BOM）"),
    status: str = typer.Option("", "--status", help="只导出此状态，例如 published 或 已发布"),
    org: str | None = typer.Option(None, "--org", help="只导出此单位（名称或编号）的记录"),
    as_user: str | None = typer.Option(
        None, "--as", help="按此用户的可见范围导出（默认：第一个启用的政府部门账号）"
    ),
    template: bool = typer.Option(False, "--template", help="只写出表头和一行示例，作为导入模板"),
) -> None:
    """Export achievements or demands the acting user may see, in the import column format."""
    from sqlalchemy.exc import SQLAlchemyError

    from silian.accounts.service import find_organization
    from silian.core.db import session_factory
    from silian.core.errors import SilianError, ValidationFailed
    from silian.io.service import export_records, resolve_actor

    session = session_factory()()
    try:
        if template:
            export_records(session, None, kind.value, file, template=True)
            console.print(f"已写出导入模板：{file}")
            return
        actor = resolve_actor(session, as_user)
        who = actor.username
        unit = find_organization(session, org) if org else None
        count = export_records(
            session,
            actor,
            kind.value,
            file,
            status=status,
            organization_id=unit.id if unit else None,
        )
    except ValidationFailed as exc:
        _fail("；".join(exc.errors.values()))
    except SilianError as exc:
        _fail(exc.message)
    except SQLAlchemyError as exc:
        _fail(_database_problem(exc))
    except OSError as exc:
        _fail(f"无法写入文件 {file}：{exc.strerror or exc}")
    finally:
        session.rollback()
        session.close()
    console.print(f"已导出 {count} 条到 {file}（操作人：{who}）")


def register(app: typer.Typer) -> None:
    """Add the import and export commands to the silian CLI."""
    app.command("import")(import_command)
    app.command("export")(export_command)
