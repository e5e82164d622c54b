"""Training figures for a period and chain — what the city figures service reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.training.choices import SEATED_STATUSES
from silian.training.models import Enrolment, TrainingProgramme


@dataclass(frozen=True)
class TrainingFigures:
    """Programmes starting in a period: count, seats, trainees, completions, certificates."""

    programmes: int
    seats: int
    trainees: int
    completions: int
    certificates: int


def figures(
    session: Session, start: date, end: date, chain_id: int | None = None
) -> TrainingFigures:
    """Figures of the programmes starting in [start, end] (of chain_id's chain if given);
    trainees are people enrolled or completed."""
    where = [TrainingProgramme.starts_on >= start, TrainingProgramme.starts_on <= end]
    if chain_id is not None:
        where.append(TrainingProgramme.chain_id == chain_id)
    count, seats = session.execute(
        select(func.count(), func.coalesce(func.sum(TrainingProgramme.seats), 0)).where(*where)
    ).one()
    trainees, completions, certificates = session.execute(
        select(
            func.count(Enrolment.id),
            func.count(Enrolment.completed_on),
            func.count(Enrolment.certificate_no),
        )
        .join(TrainingProgramme, Enrolment.programme_id == TrainingProgramme.id)
        .where(*where, Enrolment.status.in_(SEATED_STATUSES))
    ).one()
    return TrainingFigures(
        int(count), int(seats), int(trainees), int(completions), int(certificates)
    )
