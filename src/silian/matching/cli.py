"""Matching commands for the `silian` CLI: eval, index rebuild, feedback export."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from silian.matching.embedding import EmbeddingModelError
from silian.matching.evaluate import BeirError, run_beir


def register(app: typer.Typer) -> None:
    """Add the matching commands to the main CLI."""
    app.command("eval")(eval_command)
    index_app = typer.Typer(help="匹配索引", no_args_is_help=True)
    index_app.command("rebuild")(index_rebuild)
    app.add_typer(index_app, name="index")
    feedback_app = typer.Typer(help="推荐结果反馈", no_args_is_help=True)
    feedback_app.command("export")(feedback_export)
    app.add_typer(feedback_app, name="feedback")


def index_rebuild() -> None:
    """Rebuild the matching index from the database and save it under SILIAN_HOME/index."""
    from silian.config import get_settings
    from silian.core.migrate import upgrade
    from silian.matching.jobs import rebuild_index

    settings = get_settings()
    upgrade(settings.database_url)
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("建立匹配索引", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            count = rebuild_index(settings, step)
        except EmbeddingModelError as exc:
            Console(stderr=True, soft_wrap=True).print(f"[red]错误：[/red]{exc}")
            raise typer.Exit(code=2) from None
    Console().print(
        f"已索引 {count} 条记录，用时 {time.perf_counter() - started:.1f} 秒：{settings.index_dir}"
    )


def feedback_export(
    out: Path = typer.Argument(..., help="输出的 qrels 文件（TSV：query-id, corpus-id, score）"),
) -> None:
    """Write users' feedback on suggestions as BEIR qrels (contacted=2, useful=1, not useful=0)."""
    from silian.core.db import session_scope
    from silian.matching.jobs import export_feedback

    with session_scope() as session:
        rows = export_feedback(session, out)
    Console().print(f"已导出 {rows} 条反馈到 {out}")


def eval_command(
    beir_dir: Path = typer.Argument(
        ..., help="BEIR 目录（corpus.jsonl、queries.jsonl、qrels/test.tsv）"
    ),
    run_out: Path | None = typer.Option(None, "--run-out", help="把检索结果写成 TREC run 文件"),
    top: int = typer.Option(100, "--top", min=1, help="每个查询返回的结果数"),
) -> None:
    """Index a BEIR corpus with the matching engine and print one JSON line of metrics."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("读取评测集", total=None)

            def step(stage: str, done: int, total: int) -> None:
                progress.update(task, description=stage, completed=done, total=total or None)

            result = run_beir(beir_dir, top=top, run_out=run_out, progress=step)
    except (BeirError, EmbeddingModelError) as exc:
        err.print(f"[red]错误：[/red]{exc}")
        raise typer.Exit(code=2) from None
    except OSError as exc:
        err.print(f"[red]错误：[/red]无法读写文件：{exc}")
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(result, ensure_ascii=False))
