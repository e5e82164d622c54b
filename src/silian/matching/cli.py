"""Matching commands for the `silian` CLI: eval, index rebuild, feedback export / learn /
status / revert (the learned reranker)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from silian.matching.embedding import EmbeddingModelError
from silian.matching.evaluate import BeirError, run_beir

if TYPE_CHECKING:
    from silian.matching.learning import ModelStore


def register(app: typer.Typer) -> None:
    """Add the matching commands to the main CLI."""
    app.command("eval")(eval_command)
    index_app = typer.Typer(help="匹配索引", no_args_is_help=True)
    index_app.command("rebuild")(index_rebuild)
    app.add_typer(index_app, name="index")
    feedback_app = typer.Typer(help="推荐结果反馈", no_args_is_help=True)
    feedback_app.command("export")(feedback_export)
    feedback_app.command("learn")(feedback_learn)
    feedback_app.command("status")(feedback_status)
    feedback_app.command("revert")(feedback_revert)
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


def _figure(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "—"


def feedback_learn() -> None:
    """Train the reranker on stored feedback, save it as a new version and make it active."""
    from silian.config import get_settings
    from silian.core.db import session_scope
    from silian.core.migrate import upgrade
    from silian.matching.jobs import learn_from_feedback
    from silian.matching.learning import LearningError, min_feedback

    settings = get_settings()
    upgrade(settings.database_url)
    console = Console(soft_wrap=True)
    try:
        with session_scope() as session:
            learned = learn_from_feedback(settings, session)
        minimum = min_feedback()
    except LearningError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]错误：[/red]{exc}")
        raise typer.Exit(code=2) from None
    model = learned.model
    grades = "，".join(f"{g} 分 {n} 条" for g, n in model.counts["grades"].items())
    console.print(
        f"已训练重排模型第 {model.version} 版：{learned.pairs} 条反馈（{grades}），"
        f"{model.counts['queries_used']} / {model.counts['queries']} 个查询可用于训练；"
        f"{learned.not_found} 条反馈的推荐已不在引擎前 {model.depth} 名，未使用。"
    )
    console.print(
        f"交叉验证（只计有反馈的推荐，nDCG@10）：引擎 {_figure(model.cv.get('before'))} → "
        f"重排 {_figure(model.cv.get('after'))}（增益 99.9 % 单侧区间下限 "
        f"{_figure(model.cv.get('gain_low'))}）；混合权重 {model.blend:.2f}"
    )
    if model.blend <= 0:
        console.print("反馈未显示出稳定的改进：此版本不改变推荐顺序。")
    if learned.pairs < minimum:
        console.print(
            f"当前反馈 {learned.pairs} 条，少于 SILIAN_RERANK_MIN_FEEDBACK={minimum}，"
            "达到后才会用于推荐。"
        )


def _models() -> ModelStore:
    from silian.config import get_settings
    from silian.matching.learning import MODEL_DIR, ModelStore

    return ModelStore(get_settings().index_dir / MODEL_DIR)


def feedback_status() -> None:
    """Show the active reranker version, its training counts and the feedback gate."""
    from silian.config import get_settings
    from silian.core.db import session_scope
    from silian.core.migrate import upgrade
    from silian.matching.learning import LearningError, min_feedback
    from silian.matching.sources import feedback_labels

    settings = get_settings()
    upgrade(settings.database_url)
    store = _models()
    console = Console(soft_wrap=True)
    try:
        with session_scope() as session:
            stored = len(feedback_labels(session))
        minimum = min_feedback()
        model = store.active()
    except LearningError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]错误：[/red]{exc}")
        raise typer.Exit(code=2) from None
    versions = store.versions()
    console.print(f"已保存的版本：{'、'.join(str(v) for v in versions) or '无'}（{store.root}）")
    console.print(f"已存反馈：{stored} 条；生效门槛 SILIAN_RERANK_MIN_FEEDBACK={minimum}")
    if model is None:
        console.print("重排模型：关闭（按引擎的顺序推荐）")
        return
    used = "正在使用" if stored >= minimum and model.blend > 0 else "未生效"
    console.print(
        f"重排模型：第 {model.version} 版，{used}；训练于 {model.trained_at}，"
        f"{model.counts.get('labelled', 0)} 条反馈、{model.counts.get('queries_used', 0)} 个查询；"
        f"重排前 {model.depth} 名，混合权重 {model.blend:.2f}；"
        f"交叉验证 nDCG@10 {_figure(model.cv.get('before'))} → {_figure(model.cv.get('after'))}；"
        f"索引 {model.index.get('generation') or '—'}"
    )


def feedback_revert() -> None:
    """Go back to the previous reranker version, or switch the reranker off."""
    from silian.config import get_settings
    from silian.core.db import session_scope
    from silian.core.migrate import upgrade
    from silian.matching.jobs import revert_reranker
    from silian.matching.learning import LearningError

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        with session_scope() as session:
            version = revert_reranker(settings, session)
    except LearningError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]错误：[/red]{exc}")
        raise typer.Exit(code=2) from None
    if version is None:
        Console().print("已关闭重排模型：推荐按引擎的顺序。")
    else:
        Console().print(f"已回退到重排模型第 {version} 版。")


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
