"""Run Silian's engine (and named weight variants) and bm25s+jieba over one corpus, top k each."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from bench.judged.data import Demand, JudgedError

SILIAN = "silian"
BM25S = "bm25s+jieba"
Runs = dict[str, dict[str, list[str]]]


def parse_variant(spec: str) -> tuple[str, dict[str, float]]:
    """``NAME:weight=value,weight=value`` → (name, overrides of the engine's fusion weights)."""
    from silian.matching.engine import Weights

    name, _, body = spec.partition(":")
    known = {f.name: f.type for f in fields(Weights)}
    overrides: dict[str, float] = {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition("=")
        if key not in known:
            raise JudgedError(f"变体 {name!r}：未知的权重 {key!r}（可用：{', '.join(known)}）")
        try:
            overrides[key] = float(value)
        except ValueError:
            raise JudgedError(f"变体 {name!r}：{key} 的值不是数字：{value!r}") from None
    if not name or name in (SILIAN, BM25S) or not overrides:
        raise JudgedError(f"变体写法应为 名称:权重=值[,权重=值]，而不是 {spec!r}")
    return name, overrides


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """The BEIR corpus rows of ``path``."""
    if not path.is_file():
        raise JudgedError(f"语料文件不存在：{path}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def run_systems(
    corpus: Sequence[dict[str, Any]],
    demands: Sequence[Demand],
    k: int = 10,
    variants: Mapping[str, Mapping[str, float]] | None = None,
    log: Callable[[str], None] = _log,
) -> Runs:
    """Top-``k`` corpus ids per demand for bm25s+jieba, Silian and each named variant.

    One engine is built; a variant is its fusion weights with the given overrides (the engine
    is given back its own weights afterwards).
    """
    from bench.baselines import Bm25sJieba
    from silian.matching.engine import Engine

    runs: Runs = {}
    t0 = time.perf_counter()
    bm25 = Bm25sJieba()
    bm25.build(corpus)
    runs[BM25S] = {d.id: [doc for doc, _ in bm25.search(d.text, k)] for d in demands}
    log(f"{BM25S}: {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    engine = Engine.build(corpus)
    log(f"{SILIAN} 建立索引: {time.perf_counter() - t0:.0f} s")
    own = replace(engine.config.weights)
    settings: dict[str, Any] = {SILIAN: own}
    for name, overrides in (variants or {}).items():
        typed = {key: type(getattr(own, key))(value) for key, value in overrides.items()}
        settings[name] = replace(own, **typed)
    try:
        for name, weights in settings.items():
            engine.config.weights = replace(weights)
            runs[name] = {
                d.id: [h.doc_id for h in engine.query(d.text, limit=k, reasons=False)]
                for d in demands
            }
    finally:
        engine.config.weights = own
    return runs
