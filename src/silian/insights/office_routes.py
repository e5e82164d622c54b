"""The offices' desk on the insights pages: gaps (API and one-click agenda) and the briefing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.core.errors import ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.schemas import InputModel
from silian.core.web import (
    api_require_user,
    csrf_protect,
    form_dict,
    get_db,
    int_or_none,
    require_permission,
)
from silian.insights import briefing, gaps
from silian.meetings import service as meetings
from silian.meetings.schemas import AgendaItemOut, RecordRefOut

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
gaps_api = APIRouter(prefix="/api/v1/gaps", tags=["gaps"])
briefing_api = APIRouter(prefix="/api/v1/briefings", tags=["briefing"])
MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class GapOut(BaseModel):
    """A detected gap with the records behind it."""

    key: str
    kind: str
    label: str
    link: str
    chain_id: int
    title: str
    detail: str
    size: int
    records: list[RecordRefOut]


class ChainGapsOut(BaseModel):
    """One chain's gaps and the rules that lack data (which source is missing)."""

    chain_id: int
    chain_name: str
    gaps: list[GapOut]
    missing: list[str]


class GapAgendaIn(InputModel):
    """Put a detected gap on a meeting's agenda."""

    gap_key: str = Field(min_length=3, max_length=60, description="短板键，如 unmatched_demands:3")
    meeting_id: int = Field(ge=1)


@router.post("/chains/{chain_id}/gaps/agenda")
async def gap_to_agenda(
    chain_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("meeting.manage")),
) -> Response:
    """One click on the chain map: the gap becomes an agenda item of the chosen meeting."""
    form = await form_dict(request)
    meeting_id = int_or_none(form.get("meeting_id"))
    if meeting_id is None:
        raise ValidationFailed({"meeting_id": "请选择会商会议"})
    item = gaps.add_to_agenda(db, user, meeting_id, str(form.get("gap", "")))
    return redirect(f"/meetings/{meeting_id}#agenda-{item.id}", "短板已列入会商议题")


@router.get("/briefing/quarterly")
def briefing_download(
    year: int | None = Query(None, ge=2000, le=2100),
    quarter: int | None = Query(None, ge=1, le=4),
    format: str = Query("docx", pattern="^(docx|xlsx)$"),
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("briefing.download")),
) -> Response:
    """Download the quarterly briefing (Word, or Excel with the records behind the figures)."""
    return _file(db, user, year, quarter, format)


def _file(db: Session, user: User, year: int | None, quarter: int | None, fmt: str) -> Response:
    default_year, default_quarter = briefing.default_quarter()
    data, name = briefing.download(db, user, year or default_year, quarter or default_quarter, fmt)
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@gaps_api.get("", response_model=list[ChainGapsOut])
def api_gaps(
    chain: int | None = Query(None, description="产业链编号；不填为全部产业链"),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Gaps detected on each chain (offices only), with which data source is missing."""
    return [
        {
            "chain_id": found.chain.id,
            "chain_name": found.chain.name,
            "gaps": [gaps.gap_to_dict(g) for g in found.gaps],
            "missing": found.missing,
        }
        for found in gaps.visible_gaps(db, user, chain)
    ]


@gaps_api.post("/agenda", response_model=AgendaItemOut, status_code=201)
def api_gap_agenda(
    body: GapAgendaIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Put a gap on a meeting's agenda with its records (listed once per meeting)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: gaps.add_to_agenda(db, user, body.meeting_id, body.gap_key),
        meetings.agenda_to_dict,
    )


@briefing_api.get(
    "/quarterly",
    response_class=Response,
    responses={200: {"content": {MEDIA["docx"]: {}, MEDIA["xlsx"]: {}}}},
)
def api_briefing(
    year: int | None = Query(None, ge=2000, le=2100, description="年份；默认上一个完整季度"),
    quarter: int | None = Query(None, ge=1, le=4, description="季度 1–4"),
    format: str = Query("docx", pattern="^(docx|xlsx)$", description="docx 或 xlsx"),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> Response:
    """The quarterly briefing as a Word or Excel file (offices only)."""
    return _file(db, user, year, quarter, format)


api = APIRouter()
api.include_router(gaps_api)
api.include_router(briefing_api)
