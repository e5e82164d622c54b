"""Matching jobs for the CLI and background use: rebuild the index, export feedback as qrels."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from silian.brokerage.service import latest_feedback
from silian.config import Settings
from silian.matching.service import get_service

# Graded relevance of a verdict, in the BEIR qrels sense (0 = judged not relevant).
VERDICT_GRADES = {"contacted": 2, "useful": 1, "not_useful": 0}


def rebuild_index(settings: Settings, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every visible record from the database and save it; returns documents indexed."""
    return get_service(settings).rebuild(progress)


def export_feedback(session: Session, path: Path) -> int:
    """Write users' latest verdicts as a BEIR qrels TSV; returns the rows written.

    Query ids are the source records (``demand:12``), corpus ids the suggestions
    (``achievement:7``); when several users judged one pair, the highest grade wins.
    """
    grades: dict[tuple[str, str], int] = {}
    for row in latest_feedback(session):
        key = (f"{row.source_kind}:{row.source_id}", f"{row.target_kind}:{row.target_id}")
        grades[key] = max(grades.get(key, 0), VERDICT_GRADES[row.verdict])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["query-id", "corpus-id", "score"])
        for (query, doc), grade in sorted(grades.items()):
            writer.writerow([query, doc, grade])
    return len(grades)
