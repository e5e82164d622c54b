"""The `silian` command line: database, demo city, server, users, import/export, matching."""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from silian.config import Settings, get_settings

app = typer.Typer(help="四链融合平台 Silian 命令行工具", no_args_is_help=True)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
demo_app = typer.Typer(help="示例城市数据", no_args_is_help=True)
user_app = typer.Typer(help="用户管理", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
jobs_app = typer.Typer(help="定时任务：每日提醒与统计重算", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
reference_app = typer.Typer(help="参考数据：产业链配置与学科目录", no_args_is_help=True)
app.add_typer(reference_app, name="reference")
console = Console()


@app.callback()
def _configure_mappers() -> None:
    """Register every model before a command opens a session.

    A command that imports only one feature's models (``user create`` imports accounts, whose
    Organization relates to IndustryChain) would otherwise fail to configure the mappers.
    """
    import silian.models  # noqa: F401


def _fail(message: str) -> NoReturn:
    console.print(f"[red]错误：[/red]{message}")
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="目标版本，默认 head")) -> None:
    """Migrate the database (SQLite under SILIAN_HOME or SILIAN_DATABASE_URL) to a revision."""
    from silian.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    console.print(f"数据库已迁移到 {revision}：{_redact(settings.database_url)}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo city (idempotent: loading twice does not duplicate anything)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from silian.core.migrate import upgrade
    from silian.demo.loader import load_demo

    settings = get_settings()
    upgrade(settings.database_url)
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("加载示例城市", total=None)

        def step(description: str, fraction: float | None = None) -> None:
            progress.update(
                task, description=description, completed=(fraction or 0) * 100, total=100
            )

        report = load_demo(settings.database_url, progress=step)
        progress.update(task, description="为经纪人生成撮合建议（首次需训练匹配模型）")
        from silian.matching.jobs import queue_published_demands

        queued = queue_published_demands(settings)
    console.print(report.summary() if hasattr(report, "summary") else str(report))
    console.print(f"经纪人工作台：新增撮合建议 {queued} 条")
    console.print(f"用时 {time.perf_counter() - started:.1f} 秒")


@reference_app.command("load")
def reference_load(
    chains_file: Path | None = typer.Option(
        None, "--chains", help="产业链配置 YAML（默认 SILIAN_CHAINS_FILE 或内置 chains.yaml）"
    ),
) -> None:
    """Sync the industry chains from their YAML configuration and load the discipline and majors
    catalogues."""
    from silian.chains.service import sync_chains
    from silian.core.db import session_scope
    from silian.core.migrate import upgrade
    from silian.education.records import sync_majors
    from silian.education.service import sync_disciplines
    from silian.reference.data import ReferenceError, load_chains

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        configs = load_chains(chains_file)
    except ReferenceError as exc:
        _fail(str(exc))
    with session_scope() as session:
        report = sync_chains(session, None, configs)
        added = sync_disciplines(session)
        majors = sync_majors(session)
    console.print(
        f"产业链：新增 {len(report.created)}，更新 {len(report.updated)}，"
        f"停用 {len(report.deactivated)}，未变 {report.unchanged}；学科目录新增 {added} 条；"
        f"专业目录新增 {majors} 条"
    )


def _remind(factory: Any) -> str:
    # The reminders, one transaction each; the summary line of `silian remind` and the job.
    from silian.brokerage import service as brokerage
    from silian.challenges import service as challenges
    from silian.meetings import service as meetings

    with factory() as session:
        closing = challenges.remind_closing(session)
        deals = brokerage.remind_due_deals(session)
        milestones = brokerage.remind_due_milestones(session)
        overdue = meetings.remind_overdue_tasks(session)
    return (
        f"提醒：揭榜即将截止 {closing} 条，对接待跟进 {deals} 条，合同节点到期 {milestones} 条，"
        f"督办逾期 {overdue} 条"
    )


def _refresh_figures(factory: Any) -> str:
    from silian.insights.jobs import refresh

    report = refresh(factory)
    return f"统计数据：重算 {report.start} 至 {report.end} 共 {report.days} 天，{report.rows} 行"


def scheduled_jobs(settings: Settings) -> list[Any]:
    """The platform's daily jobs, at the city hours the settings name."""
    from silian.core.scheduler import Job

    return [
        Job(
            "remind",
            "每日提醒（揭榜截止、对接跟进、合同节点、督办逾期）",
            settings.remind_hour,
            _remind,
        ),
        Job("figures_refresh", "重算城市统计数据", settings.figures_hour, _refresh_figures),
    ]


@app.command()
def remind() -> None:
    """Put today's reminders in users' bells: challenges closing, deals, milestones, overdue tasks.

    `silian serve` runs this daily (SILIAN_REMIND_HOUR); an unread reminder is never added twice.
    """
    from silian.core.db import session_factory

    console.print(_remind(session_factory(get_settings().database_url)))


@jobs_app.command("run-due")
def jobs_run_due() -> None:
    """Run the daily jobs that are due and not yet done (for cron; safe beside `silian serve`)."""
    from silian.core.db import session_factory
    from silian.core.migrate import upgrade
    from silian.core.scheduler import run_due

    settings = get_settings()
    upgrade(settings.database_url)
    labels = {"ran": "已运行", "failed": "失败", "skipped": "未到时间或正由其他进程运行"}
    outcomes = run_due(session_factory(settings.database_url), scheduled_jobs(settings))
    for outcome in outcomes:
        detail = f"：{outcome.detail}" if outcome.detail else ""
        console.print(f"{outcome.job}：{labels[outcome.status]}{detail}")
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(code=1)


@jobs_app.command("status")
def jobs_status() -> None:
    """Each daily job: its hour, the last slot done, the last run, its result or error."""
    from silian.core.db import session_factory
    from silian.core.scheduler import JobLease

    settings = get_settings()
    with session_factory(settings.database_url)() as session:
        for job in scheduled_jobs(settings):
            row = session.get(JobLease, job.name)
            done = row.done_slot if row else None
            console.print(f"{job.name}（{job.label}）每天 {job.hour}:00（北京时间）")
            if row is None:
                console.print("  尚未运行")
                continue
            console.print(
                f"  已完成时段：{done or '无'}；最近开始：{row.last_started_at or '无'}；"
                f"运行中：{row.holder or '否'}；累计 {row.runs} 次"
            )
            if row.last_result:
                console.print(f"  结果：{row.last_result}")
            if row.last_error:
                console.print(f"  [red]错误：{row.last_error}[/red]")


def start_scheduler(settings: Settings) -> Any:
    """Start the background scheduler thread of `silian serve` (None when SILIAN_SCHEDULER=0)."""
    if not settings.scheduler:
        return None
    from silian.core.db import session_factory
    from silian.core.scheduler import Scheduler

    scheduler = Scheduler(session_factory(settings.database_url), scheduled_jobs(settings))
    scheduler.start()
    return scheduler


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    port: int = typer.Option(8000, help="端口"),
    reload: bool = typer.Option(False, help="代码变更时自动重启（开发用）"),
    workers: int = typer.Option(
        1, "--workers", min=1, help="工作进程数；各进程映射同一份匹配索引（见 docs/matching.md）"
    ),
) -> None:
    """Serve the web app and API (with --workers N, N processes sharing one matching index)."""
    import uvicorn

    try:
        settings = get_settings()
    except ValueError as exc:
        _fail(str(exc))
    if reload and workers > 1:
        _fail("--reload 与 --workers 不能同时使用")
    if workers > 1:
        # Publish the index once, in a child process, before the workers start: each worker
        # then maps it (no worker builds its own) and warms up in the background.
        _ensure_index()
        if _can_fork():
            _serve_forked(settings, host, port, workers)
            return
        console.print(
            "[yellow]此平台不支持 fork：各工作进程分别加载应用与匹配模型，内存不共享[/yellow]"
        )
        os.environ["SILIAN_WARM_MATCHING"] = "1"
    elif not reload:  # with --reload the app runs in a child process; warming here is wasted
        _warm_matching()
    if start_scheduler(settings) is not None:
        console.print(
            f"定时任务已启动：每日提醒 {settings.remind_hour}:00，统计重算 "
            f"{settings.figures_hour}:00（北京时间；SILIAN_SCHEDULER=0 可关闭）"
        )
    console.print(f"四链融合平台运行于 http://{host}:{port}  （API 文档：/api/v1/docs）")
    if workers > 1:
        console.print(f"工作进程：{workers} 个，共享匹配索引 {settings.index_dir}")
    if settings.trusted_proxies:
        console.print(f"信任以下反向代理的 X-Forwarded-For：{', '.join(settings.trusted_proxies)}")
    uvicorn.run(
        "silian.web.main:app",
        host=host,
        port=port,
        reload=reload,
        workers=workers if workers > 1 else None,
        **proxy_options(settings),
    )


def _can_fork() -> bool:
    from silian.web.prefork import can_fork

    return can_fork()


def _serve_forked(settings: Settings, host: str, port: int, workers: int) -> None:
    """Load the app and the matching engine once, then fork the workers (pages shared)."""
    from silian.core.db import forget_inherited_connections
    from silian.web import prefork
    from silian.web.app import create_app

    # The app object itself: importing silian.web.main would start its warm-up thread here.
    application = create_app(settings)
    generation = _preload_matching(settings)
    console.print(f"四链融合平台运行于 http://{host}:{port}  （API 文档：/api/v1/docs）")
    shared = f"，共享已加载的匹配索引 {generation}" if generation else ""
    console.print(
        f"工作进程：{workers} 个，由已加载应用的父进程派生{shared}（{settings.index_dir}）"
    )
    if settings.scheduler:
        console.print(
            f"定时任务在工作进程 0 中运行：每日提醒 {settings.remind_hour}:00，统计重算 "
            f"{settings.figures_hour}:00（北京时间；SILIAN_SCHEDULER=0 可关闭）"
        )
    if settings.trusted_proxies:
        console.print(f"信任以下反向代理的 X-Forwarded-For：{', '.join(settings.trusted_proxies)}")

    def after_fork(slot: int) -> None:
        # Connections, threads and the scheduler belong to each worker, made after the fork.
        forget_inherited_connections()
        _warm_matching(settings)
        if slot == 0:  # one worker runs the daily jobs (their lease makes a second run harmless)
            start_scheduler(settings)

    status = prefork.serve(
        application,
        host=host,
        port=port,
        workers=workers,
        options=proxy_options(settings),
        after_fork=after_fork,
        say=console.print,
        refresh=lambda: _refresh_preload(settings),
    )
    if status:
        raise typer.Exit(code=status)


def _preload_matching(settings: Settings) -> str | None:
    """Map the published index and load the models in this process (the parent of the forked
    workers), without a database connection or a thread; None when there is none to map."""
    try:
        from silian.matching.service import preload
    except ModuleNotFoundError:
        return None
    try:
        return preload(settings)
    except Exception as exc:  # each worker maps or builds it on first use, as without preload
        console.print(f"[yellow]匹配索引预加载失败：{exc}[/yellow]")
        return None


def _refresh_preload(settings: Settings) -> bool:
    """Before a worker is replaced: map the index again if a newer generation was published."""
    try:
        from silian.matching.service import refresh_preload
    except ModuleNotFoundError:
        return False
    return refresh_preload(settings)


def _ensure_index() -> None:
    """Load or build and publish the matching index in a short-lived child process."""
    import multiprocessing

    try:
        from silian.matching.service import ensure_published
    except ModuleNotFoundError:
        return
    child = multiprocessing.get_context("spawn").Process(target=ensure_published)
    child.start()
    child.join()
    if child.exitcode:
        console.print("[yellow]匹配索引预建失败；各工作进程将在首次使用时重试[/yellow]")


def proxy_options(settings: Settings) -> dict[str, Any]:
    """Uvicorn's proxy-header options: believe X-Forwarded-* only from trusted proxies.

    Without SILIAN_TRUSTED_PROXIES proxy headers are ignored entirely (uvicorn would otherwise
    trust 127.0.0.1 or $FORWARDED_ALLOW_IPS), so the socket address is the client's address.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


def _warm_matching(settings: Settings | None = None) -> None:
    # Load (or build, or adopt the preloaded) matching index in the background so the first
    # page is not slow.
    import threading

    try:
        from silian.matching.service import get_service
    except ModuleNotFoundError:
        return

    def warm() -> None:
        try:
            get_service(settings or get_settings()).engine()
        except Exception as exc:  # the pages still work; matching retries on first use
            console.print(f"[yellow]匹配索引预加载失败：{exc}[/yellow]")

    threading.Thread(target=warm, name="matching-warmup", daemon=True).start()


@user_app.command("create")
def user_create(
    username: str = typer.Option(..., "--username", help="用户名"),
    password: str = typer.Option(..., "--password", help="密码（至少8位）"),
    role: str = typer.Option(
        ..., "--role", help="角色：office/university/enterprise/broker/expert/platform"
    ),
    org: str | None = typer.Option(None, "--org", help="所属机构名称或编号"),
    display_name: str = typer.Option("", "--name", help="显示名称"),
) -> None:
    """Create a user account."""
    from silian.accounts import service
    from silian.core.db import session_scope
    from silian.core.errors import SilianError, ValidationFailed

    try:
        with session_scope() as session:
            org_id = service.find_organization(session, org).id if org else None
            user = service.create_user(
                session,
                None,
                {
                    "username": username,
                    "password": password,
                    "role": role,
                    "organization_id": org_id,
                    "display_name": display_name,
                },
            )
            console.print(f"已创建用户 {user.username}（{user.role_label}），编号 {user.id}")
    except ValidationFailed as exc:
        _fail("；".join(f"{k}: {v}" for k, v in exc.errors.items()))
    except SilianError as exc:
        _fail(exc.message)


@app.command("backup")
def backup_command(
    file: Path = typer.Argument(..., help="备份文件（zip），含全部数据表与密钥"),
) -> None:
    """Write a consistent snapshot of the database and the secret key to FILE."""
    from silian.core.backup import BackupError, backup

    settings = get_settings()
    started = time.perf_counter()
    try:
        report = backup(settings, file)
    except BackupError as exc:
        _fail(str(exc))
    console.print(
        f"已备份 {len(report.rows)} 张表、{report.total} 行（数据库版本 {report.revision}）"
        f"到 {file}，用时 {time.perf_counter() - started:.1f} 秒；文件含密钥，请妥善保管"
    )


@app.command("restore")
def restore_command(
    file: Path = typer.Argument(..., help="silian backup 写出的备份文件"),
    force: bool = typer.Option(False, "--force", help="目标数据库不为空时，删除其全部数据后恢复"),
) -> None:
    """Restore FILE into the configured database (refuses a non-empty one without --force)."""
    from silian.core.backup import BackupError, restore

    settings = get_settings()
    started = time.perf_counter()
    try:
        report = restore(settings, file, force=force)
    except BackupError as exc:
        _fail(str(exc))
    console.print(
        f"已恢复 {len(report.rows)} 张表、{report.total} 行到 {_redact(settings.database_url)}，"
        f"用时 {time.perf_counter() - started:.1f} 秒；密钥已写入 {settings.home / 'secret_key'}"
    )
    if os.environ.get("SILIAN_SECRET_KEY"):
        console.print("[yellow]提示：[/yellow]已设置 SILIAN_SECRET_KEY，它优先于恢复的密钥文件")
    console.print("匹配索引已标记为过期：下次启动时重建，或立即运行 silian index rebuild")
    if "rerank" in report.kept:
        console.print(
            f"重排模型文件已保留（{settings.index_dir / 'rerank'}）：当前生效的版本不变，"
            "恢复后的反馈数达到 SILIAN_RERANK_MIN_FEEDBACK 时照常使用；"
            "需要按恢复后的反馈重训请运行 silian feedback learn"
        )


def _register_optional(module: str) -> None:
    # Feature command groups register themselves when their module is present.
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("silian"):
            return
        raise
    mod.register(app)


for _module in ("silian.io.cli", "silian.matching.cli", "silian.insights.cli"):
    _register_optional(_module)


def main() -> None:
    """Entry point for python -m silian."""
    app()


__all__ = ["Path", "app", "main"]
