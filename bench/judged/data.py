"""Files of the judged set: demands, judgments, judges' answer sheets and the pool record."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import shared_bench

HERE = Path(__file__).resolve().parent


DEFAULT_CORPUS = shared_bench() / "dev-demands" / "corpus.jsonl"
QUERIES = HERE / "queries.jsonl"
JUDGMENTS = HERE / "judgments.tsv"
POOL = HERE / "pool.json"
PACKETS = HERE / "packets"
SPLITS = ("dev", "check", "heldout")
GRADES = (0, 1, 2)
JUDGMENTS_HEADER = ("query-id", "corpus-id", "score")
SHEET_HEADER = ("query-id", "candidate", "score")

Judgments = dict[str, dict[str, int]]


class JudgedError(ValueError):
    """A judged-set file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class Demand:
    """One demand of the judged set."""

    id: str
    text: str
    chain: str
    style: str
    split: str


def load_demands(path: Path = QUERIES, split: str = "all") -> list[Demand]:
    """The demands of ``split`` (``dev``, ``check``, ``heldout`` or ``all``), in file order."""
    if split not in (*SPLITS, "all"):
        raise JudgedError(f"未知的 split：{split!r}（应为 dev、check、heldout 或 all）")
    demands: list[Demand] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            demand = Demand(str(row["_id"]), row["text"], row["chain"], row["style"], row["split"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise JudgedError(f"{path} 第 {number} 行：需求格式不对（{exc}）") from None
        if demand.split not in SPLITS:
            raise JudgedError(f"{path} 第 {number} 行：split 应为 dev、check 或 heldout")
        if split in ("all", demand.split):
            demands.append(demand)
    return demands


def _tsv_rows(path: Path, header: Sequence[str]) -> Iterable[tuple[int, list[str]]]:
    """Data rows of a TSV whose first line is ``header`` (blank lines skipped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != list(header):
        raise JudgedError(f"{path} 第 1 行应是表头：{chr(9).join(header)}")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            parts = line.split("\t")
            if len(parts) != len(header):
                raise JudgedError(f"{path} 第 {number} 行：应有 {len(header)} 列，以制表符分隔")
            yield number, [p.strip() for p in parts]


def _grade(path: Path, number: int, value: str) -> int:
    if value not in {str(g) for g in GRADES}:
        raise JudgedError(f"{path} 第 {number} 行：score 应为 0、1 或 2，而不是 {value!r}")
    return int(value)


def read_judgments(path: Path = JUDGMENTS) -> Judgments:
    """Grades by demand and corpus id (an absent file means nothing is judged yet)."""
    judged: Judgments = {}
    if not path.is_file():
        return judged
    for number, (qid, doc, score) in _tsv_rows(path, JUDGMENTS_HEADER):
        judged.setdefault(qid, {})[doc] = _grade(path, number, score)
    return judged


def write_judgments(judged: Mapping[str, Mapping[str, int]], path: Path = JUDGMENTS) -> None:
    """Write the qrels TSV, header first, rows sorted by demand then corpus id."""
    lines = ["\t".join(JUDGMENTS_HEADER)]
    for qid in sorted(judged):
        lines += [f"{qid}\t{doc}\t{judged[qid][doc]}" for doc in sorted(judged[qid])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_sheet(path: Path) -> list[tuple[str, str, int | None]]:
    """An answer sheet's rows: (demand, candidate, grade or None while not yet judged)."""
    rows: list[tuple[str, str, int | None]] = []
    for number, (qid, candidate, score) in _tsv_rows(path, SHEET_HEADER):
        rows.append((qid, candidate, _grade(path, number, score) if score else None))
    return rows


def write_sheet(path: Path, rows: Iterable[tuple[str, str]]) -> None:
    """A blank answer sheet: one row per (demand, candidate), score left empty."""
    lines = ["\t".join(SHEET_HEADER), *(f"{q}\t{c}\t" for q, c in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_pool(path: Path = POOL) -> dict[str, Any]:
    """The pool record (empty structure when there is none yet)."""
    if not path.is_file():
        return {"pairs": {}, "runs": []}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def save_pool(pool: Mapping[str, Any], path: Path = POOL) -> None:
    """Write the pool record (stable key order, so reruns give small diffs)."""
    path.write_text(json.dumps(pool, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def sheet_grades(pool: Mapping[str, Any], packets: Path = PACKETS) -> tuple[Judgments, int]:
    """Grades filled in on the answer sheets, by corpus id, and the count of rows still blank."""
    by_candidate = {
        (qid, info["candidate"]): doc
        for qid, docs in pool.get("pairs", {}).items()
        for doc, info in docs.items()
    }
    graded: Judgments = {}
    blank = 0
    for sheet in sorted(packets.glob("*.tsv")) if packets.is_dir() else []:
        for qid, candidate, grade in read_sheet(sheet):
            doc = by_candidate.get((qid, candidate))
            if doc is None:
                raise JudgedError(f"{sheet}：候选 {qid} {candidate} 不在 pool.json 里")
            if grade is None:
                blank += 1
            else:
                graded.setdefault(qid, {})[doc] = grade
    return graded, blank


def merge_judgments(base: Judgments, extra: Judgments) -> Judgments:
    """``base`` plus ``extra``; a pair graded differently in both is an error, not a choice."""
    merged = {q: dict(d) for q, d in base.items()}
    clashes: list[str] = []
    for qid, docs in extra.items():
        for doc, grade in docs.items():
            old = merged.setdefault(qid, {}).get(doc)
            if old is not None and old != grade:
                clashes.append(f"{qid} {doc}: {old} ≠ {grade}")
            merged[qid][doc] = grade
    if clashes:
        raise JudgedError("judgments.tsv 与答题表的评分不一致：" + "；".join(clashes[:10]))
    return merged


def all_judgments(
    judgments: Path = JUDGMENTS, pool: Path = POOL, packets: Path = PACKETS
) -> Judgments:
    """judgments.tsv together with every grade already filled in on an answer sheet."""
    graded, _ = sheet_grades(load_pool(pool), packets)
    return merge_judgments(read_judgments(judgments), graded)
