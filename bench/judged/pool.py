"""Pool the top 10 of each system per demand and write blind judge packets for unjudged pairs.

Usage:
    .venv/bin/python -m bench.judged.pool [--corpus ../shared/data/bench/dev-demands/corpus.jsonl]
        [--split dev|check|heldout|all] [--k 10] [--per-packet 10]
        [--variant NAME:weight=value,...]
    .venv/bin/python -m bench.judged.pool --collect

Runs bm25s+jieba and Silian (plus any named weight variant) over the corpus for every demand
of ``queries.jsonl`` (every split, or only the one ``--split`` names), merges each system's top k
per demand into one pool, and writes packets only for the (demand, document) pairs that are
neither judged (``judgments.tsv`` or a filled answer sheet) nor already waiting in an earlier
packet, so a rerun after an engine change adds just the documents it newly brings into a top 10.
Each packet ``packets/NN.md`` holds about ``--per-packet`` demands, each with its candidates in a
fixed pseudo-random order (a hash of demand and document, not any rank) under opaque candidate
ids; ``packets/NN.tsv`` is its blank answer sheet. Which system found what is written to
``pool.json`` only. ``--collect`` folds the grades filled in on the answer sheets into
``judgments.tsv``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.judged import data
from bench.judged.data import Demand, JudgedError, Judgments

SNIPPET = 300
ID_SALT = "silian-judged-candidate"
ORDER_SALT = "silian-judged-order"


def _digest(*parts: str) -> str:
    return hashlib.sha1(":".join(parts).encode("utf-8")).hexdigest()


def candidate_ids(qid: str, docs: Iterable[str], taken: Iterable[str] = ()) -> dict[str, str]:
    """Opaque, stable candidate ids for a demand's documents, unique within the demand.

    The id is a hash of demand and document, so it says nothing about system or rank and the
    same document has unrelated ids under different demands.
    """
    used = set(taken)
    ids: dict[str, str] = {}
    for doc in sorted(docs):
        digest = _digest(ID_SALT, qid, doc)
        size = 6
        while f"c{digest[:size]}" in used:
            size += 1
        ids[doc] = f"c{digest[:size]}"
        used.add(ids[doc])
    return ids


def shuffled(qid: str, docs: Iterable[str]) -> list[str]:
    """``docs`` in a fixed order that depends only on the demand and the document ids."""
    return sorted(docs, key=lambda doc: (_digest(ORDER_SALT, qid, doc), doc))


def merge_pool(runs: Mapping[str, Mapping[str, Sequence[str]]], k: int = 10) -> dict[str, set[str]]:
    """Union of every system's top ``k`` per demand."""
    pooled: dict[str, set[str]] = {}
    for run in runs.values():
        for qid, docs in run.items():
            pooled.setdefault(qid, set()).update(docs[:k])
    return pooled


def to_judge(
    pooled: Mapping[str, set[str]], judged: Judgments, pending: Mapping[str, Iterable[str]]
) -> dict[str, list[str]]:
    """Pooled pairs neither judged nor already waiting in a packet, per demand (sorted)."""
    fresh: dict[str, list[str]] = {}
    for qid, docs in pooled.items():
        skip = set(judged.get(qid, {})) | set(pending.get(qid, ()))
        left = sorted(docs - skip)
        if left:
            fresh[qid] = left
    return fresh


def batches(qids: Sequence[str], size: int) -> list[list[str]]:
    """Consecutive groups of ``size`` demands (the last may be smaller)."""
    return [list(qids[i : i + size]) for i in range(0, len(qids), size)]


def snippet(text: str, size: int = SNIPPET) -> str:
    """The first ``size`` characters of ``text`` on one line, with … when cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= size else flat[:size] + "…"


def render_packet(
    name: str,
    items: Sequence[tuple[Demand, Sequence[tuple[str, Mapping[str, Any]]]]],
) -> str:
    """A judge packet: each demand's text and its candidates (id, title, keywords, snippet).

    Nothing else about a candidate is shown: no corpus id, system, score or rank.
    """
    total = sum(len(c) for _, c in items)
    out = [
        f"# 评审包 {name}",
        "",
        "先读评审说明 `bench/judged/JUDGING.md`。本包有 "
        f"{len(items)} 条需求、{total} 个候选；把每个候选的等级（0、1、2）填进答题表 "
        f"`bench/judged/packets/{name}.tsv` 的 score 列。",
    ]
    for demand, candidates in items:
        out += ["", "---", "", f"## 需求 {demand.id}", ""]
        out += [f"> {line}" if line.strip() else ">" for line in demand.text.splitlines()]
        for cid, doc in candidates:
            keywords = "、".join(doc.get("keywords") or []) or "（无）"
            out += [
                "",
                f"### 候选 {cid}",
                "",
                f"- 标题：{(doc.get('title') or '').strip() or '（无）'}",
                f"- 关键词：{keywords}",
                f"- 正文开头：{snippet(doc.get('text') or '')}",
            ]
    return "\n".join(out) + "\n"


def pending_pairs(pool: Mapping[str, Any], judged: Judgments) -> dict[str, list[str]]:
    """Pairs already given to a packet but not graded yet."""
    return {
        qid: [doc for doc in docs if doc not in judged.get(qid, {})]
        for qid, docs in pool.get("pairs", {}).items()
    }


def next_packet(packets: Path) -> int:
    """Number of the next packet (one more than the highest existing)."""
    numbers = [int(p.stem) for p in packets.glob("*.md") if p.stem.isdigit()]
    return max(numbers, default=0) + 1


def write_packets(
    fresh: Mapping[str, Sequence[str]],
    demands: Sequence[Demand],
    corpus: Mapping[str, Mapping[str, Any]],
    pool: dict[str, Any],
    packets: Path,
    per_packet: int = 10,
) -> list[str]:
    """Write packets and blank sheets for ``fresh`` pairs; record each pair in ``pool``."""
    packets.mkdir(parents=True, exist_ok=True)
    order = [d for d in demands if d.id in fresh]
    number = next_packet(packets)
    names: list[str] = []
    pairs = pool.setdefault("pairs", {})
    for group in batches([d.id for d in order], per_packet):
        name = f"{number:02d}"
        items: list[tuple[Demand, list[tuple[str, Mapping[str, Any]]]]] = []
        sheet: list[tuple[str, str]] = []
        for demand in (d for d in order if d.id in group):
            known = pairs.setdefault(demand.id, {})
            taken = [v["candidate"] for v in known.values()]
            ids = candidate_ids(demand.id, fresh[demand.id], taken)
            listed = []
            for doc in shuffled(demand.id, fresh[demand.id]):
                known[doc] = {"candidate": ids[doc], "packet": name}
                listed.append((ids[doc], corpus[doc]))
                sheet.append((demand.id, ids[doc]))
            items.append((demand, listed))
        (packets / f"{name}.md").write_text(render_packet(name, items), encoding="utf-8")
        data.write_sheet(packets / f"{name}.tsv", sheet)
        names.append(name)
        number += 1
    return names


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=data.HERE,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def record_run(pool: dict[str, Any], runs: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
    """Keep this run's rankings (for scoring and for the record; never shown to judges)."""
    pool.setdefault("runs", []).append(
        {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "commit": _commit(),
            "systems": {name: {q: list(d) for q, d in run.items()} for name, run in runs.items()},
        }
    )
    found: dict[str, dict[str, set[str]]] = {}
    for entry in pool["runs"]:
        for name, run in entry["systems"].items():
            for qid, docs in run.items():
                for doc in docs:
                    found.setdefault(qid, {}).setdefault(doc, set()).add(name)
    for qid, docs in pool.get("pairs", {}).items():
        for doc, info in docs.items():
            info["found_by"] = sorted(found.get(qid, {}).get(doc, ()))


def collect(judgments: Path, pool_path: Path, packets: Path) -> tuple[int, int]:
    """Fold filled answer sheets into judgments.tsv; (pairs judged now, sheet rows still blank)."""
    graded, blank = data.sheet_grades(data.load_pool(pool_path), packets)
    merged = data.merge_judgments(data.read_judgments(judgments), graded)
    data.write_judgments(merged, judgments)
    return sum(len(d) for d in merged.values()), blank


def main(argv: list[str] | None = None) -> int:
    """Pool, then write packets for unjudged pairs (or, with --collect, gather the grades)."""
    from bench.judged.systems import load_corpus, parse_variant, run_systems

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=data.DEFAULT_CORPUS)
    parser.add_argument("--queries", type=Path, default=data.QUERIES)
    parser.add_argument("--split", default="all", choices=(*data.SPLITS, "all"))
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--per-packet", type=int, default=10)
    parser.add_argument("--variant", action="append", default=[], help="NAME:weight=value,...")
    parser.add_argument("--collect", action="store_true", help="only fold sheets into judgments")
    args = parser.parse_args(argv)
    try:
        if args.collect:
            count, blank = collect(data.JUDGMENTS, data.POOL, data.PACKETS)
            print(f"judgments.tsv: {count} 对已评；答题表里还有 {blank} 行未填")
            return 0
        variants = dict(parse_variant(v) for v in args.variant)
        demands = data.load_demands(args.queries, args.split)
        pool = data.load_pool(data.POOL)
        judged = data.all_judgments(data.JUDGMENTS, data.POOL, data.PACKETS)
        corpus_rows = load_corpus(args.corpus)
        runs = run_systems(corpus_rows, demands, args.k, variants)
    except JudgedError as exc:
        print(exc, file=sys.stderr)
        return 2
    pooled = merge_pool(runs, args.k)
    fresh = to_judge(pooled, judged, pending_pairs(pool, judged))
    corpus = {str(row["_id"]): row for row in corpus_rows}
    names = write_packets(fresh, demands, corpus, pool, data.PACKETS, args.per_packet)
    record_run(pool, runs)
    data.save_pool(pool, data.POOL)
    size = sum(len(docs) for docs in pooled.values())
    new = sum(len(docs) for docs in fresh.values())
    print(f"需求 {len(demands)} 条；系统 {', '.join(runs)}；合并后的候选池 {size} 对")
    print(f"已评 {sum(len(d) for d in judged.values())} 对；本次新写入评审包 {new} 对")
    print(f"评审包：{', '.join(f'packets/{n}.md' for n in names) or '（无新包）'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
