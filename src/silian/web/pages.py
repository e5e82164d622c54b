"""Cross-feature pages: the home page with headline figures, the review queue, my workspace."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.core import workflow
from silian.core.web import (
    csrf_protect,
    current_user,
    get_db,
    render,
    require_permission,
    require_user,
)
from silian.demands.models import Demand
from silian.insights import service as insights
from silian.insights import workspace as workspace_service

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/")
def home(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Home: headline figures, chains, latest achievements and demands."""
    view = insights.home(db, user)
    return render(
        request,
        "home.html",
        {
            "figures": view.figures,
            "achievements": view.achievements,
            "demands": view.demands,
            "chains": view.chains,
        },
    )


@router.get("/review")
def review_queue(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_permission("review.view")),
) -> Response:
    """Office review queue: submitted achievements and demands, oldest first."""
    achievements = workflow.awaiting_review(db, Achievement)
    demands = workflow.awaiting_review(db, Demand)
    return render(request, "review.html", {"achievements": achievements, "demands": demands})


@router.get("/my")
def workspace(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """My workspace: what I own (or my unit owns) and what waits for my action."""
    return render(request, "workspace.html", {"ws": workspace_service.workspace(db, user)})
