"""Hiring pages and REST endpoints: applications, hires and dispatches, 产才融合 projects and
recommendations, and the per-role /talents/me workspace."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.core import clock
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.permissions import can, require
from silian.core.web import (
    api_require_user,
    csrf_protect,
    form_dict,
    get_db,
    render,
    require_user,
)
from silian.hiring import choices, service
from silian.hiring.schemas import (
    AchievementLinkIn,
    ApplicationActionIn,
    ApplicationIn,
    ApplicationOut,
    DecisionIn,
    DispatchIn,
    DispatchOut,
    HireOut,
    ProjectIn,
    ProjectOut,
    ProjectReviewIn,
    RecommendationIn,
    RecommendationOut,
)
from silian.organizations.models import Organization
from silian.talent import service as talent_service
from silian.talent.choices import TALENT_PROJECT_STATUS, TALENT_RIGHTS
from silian.talent.models import Talent, TalentNeed

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["hiring"])


def _chains(db: Session) -> list[IndustryChain]:
    return list(
        db.scalars(
            select(IndustryChain)
            .where(IndustryChain.is_active.is_(True))
            .order_by(IndustryChain.sort_order)
        )
    )


def _talents(db: Session, user: User) -> list[Talent]:
    """Talents user may recommend (visible profiles), for the recommendation forms."""
    return list(db.scalars(talent_service.visible_query(user).order_by(Talent.name).limit(300)))


# --- the per-role workspace --------------------------------------------------------------------


@router.get("/talents/me")
def my_talent_page(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """人才工作台 for every role: an expert's profile and applications; a unit's needs with their
    applications, hires and 产才融合 projects; a broker's recommendations; the offices' queues."""
    profile = talent_service.own_talent(db, user) if can(user, "talent.keep_profile") else None
    needs: list[TalentNeed] = []
    if user.organization_id is not None and can(user, "talent_need.create"):
        needs = list(
            db.scalars(
                select(TalentNeed)
                .where(TalentNeed.organization_id == user.organization_id)
                .order_by(TalentNeed.id.desc())
                .limit(50)
            )
        )
    office = can(user, "talent_project.review")
    ctx = {
        "profile": profile,
        "needs": needs,
        "applications": service.list_applications(db, user)[:100],
        "hires": service.list_hires(db, user)[:50],
        "projects": service.own_projects(db, user),
        "pending_projects": service.pending_projects(db, user) if office else [],
        "recommendations": service.list_recommendations(
            db, user, status="submitted" if office else ""
        )[:50],
        "office": office,
    }
    return render(request, "hiring/me.html", ctx)


# --- applications: pages -----------------------------------------------------------------------


@router.post("/hiring/needs/{need_id}/apply")
async def apply_page(
    need_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Apply to a need with one's own profile, or recommend a talent for it."""
    data = await form_dict(request)
    item = service.submit_application(db, user, data | {"need_id": need_id})
    verb = "申请" if item.channel == "self" else "推荐"
    return redirect(f"/hiring/applications/{item.id}", f"已提交{verb}：{item.talent.name}")


@router.get("/hiring/needs/{need_id}/recommend")
def recommend_form(
    need_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Form: a broker (or an enterprise holding 自主荐才权) recommends a talent for a need."""
    need = talent_service.get_need(db, user, need_id)
    require(user, "application.recommend")
    ctx = {"need": need, "talents": _talents(db, user)}
    return render(request, "hiring/recommend_form.html", ctx)


@router.get("/hiring/needs/{need_id}/applications")
def need_applications_page(
    need_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """A need's applications by stage (岗位申请管理), for the need's unit and the offices."""
    need = talent_service.get_need(db, user, need_id)
    require(user, "application.advance", need)
    items = service.list_applications(db, user, need_id=need.id)
    ctx = {
        "need": need,
        "items": items,
        "seats": service.seats(db, need),
        "actions": {a.id: service.application_actions(user, a) for a in items},
        "labels": service.ACTION_LABELS,
        "stages": choices.APPLICATION_STATUS,
    }
    return render(request, "hiring/need_applications.html", ctx)


@router.get("/hiring/applications/{application_id}")
def application_page(
    application_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """One application: its stage, the actions open to the user, and its hire."""
    item = service.get_application(db, user, application_id)
    ctx = {
        "item": item,
        "actions": service.application_actions(user, item),
        "labels": service.ACTION_LABELS,
        "hire": service.hire_of(db, item),
    }
    return render(request, "hiring/application.html", ctx)


@router.post("/hiring/applications/{application_id}/{action}")
async def application_action_page(
    application_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Move an application one stage, decline it with a reason, or withdraw it."""
    data = await form_dict(request)
    item = service.change_application(db, user, application_id, action, data)
    message = f"已{service.ACTION_LABELS[action]}：{item.talent.name}（{item.status_label}）"
    return redirect(f"/hiring/applications/{item.id}", message)


# --- hires: pages ------------------------------------------------------------------------------


@router.get("/hiring/hires/{hire_id}")
def hire_page(
    hire_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """A hire: for a co-shared post its dispatches and the achievements produced at the scene."""
    item = service.get_hire(db, user, hire_id)
    achievements: list[Achievement] = []
    if item.co_shared and can(user, "hire.link_achievement", item):
        achievements = service.linkable_achievements(db, user, item)
    ctx = {"item": item, "achievements": achievements}
    return render(request, "hiring/hire.html", ctx)


@router.post("/hiring/hires/{hire_id}/dispatches")
async def dispatch_page(
    hire_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record a dispatch to the scene enterprise."""
    data = await form_dict(request)
    item = service.record_dispatch(db, user, hire_id, data)
    return redirect(f"/hiring/hires/{hire_id}", f"已登记派驻：自 {item.start_on} 起")


@router.post("/hiring/hires/{hire_id}/achievements")
async def link_page(
    hire_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Link an achievement produced at the scene."""
    data = await form_dict(request)
    link = service.link_achievement(db, user, hire_id, data)
    return redirect(f"/hiring/hires/{hire_id}", f"已关联场景成果：{link.achievement.title}")


# --- 产才融合 projects and recommendations: pages -----------------------------------------------


@router.get("/hiring/projects/new")
def project_new(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Form: an enterprise applies for an industry–talent project."""
    require(user, "talent_project.apply")
    enterprises: list[Organization] = []
    if can(user, "record.enter_for_any_unit"):
        enterprises = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind == "enterprise")
                .order_by(Organization.name)
            )
        )
    ctx = {
        "chains": _chains(db),
        "rights": TALENT_RIGHTS,
        "enterprises": enterprises,
        "year": clock.today().year,
    }
    return render(request, "hiring/project_form.html", ctx)


@router.post("/hiring/projects/new")
async def project_create(
    request: Request, db: Session = Depends(get_db), user: User = Depends(require_user)
) -> Response:
    """Submit the project application."""
    data = await form_dict(request, ("requested_rights",))
    item = service.apply_project(db, user, data)
    return redirect(f"/hiring/projects/{item.id}", f"已提交产才融合项目申报：{item.name}")


@router.get("/hiring/projects/{project_id}")
def project_page(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """A project: its rights, the office's review, recommendations and their grading."""
    item = service.get_project(db, user, project_id)
    may_recommend = can(user, "recommendation.create", item) and item.status in (
        service.ACTIVE_PROJECT_STATUSES
    )
    ctx = {
        "item": item,
        "status_label": TALENT_PROJECT_STATUS.label(item.status),
        "rights": TALENT_RIGHTS,
        "recommendations": service.list_recommendations(db, user, project_id=item.id),
        "may_review": can(user, "talent_project.review") and item.status == "applying",
        "may_recommend": may_recommend,
        "may_confirm": can(user, "recommendation.confirm"),
        "talents": _talents(db, user) if may_recommend else [],
        "thresholds": service.thresholds_for(db, item.chain_id, item.year),
    }
    return render(request, "hiring/project.html", ctx)


@router.post("/hiring/projects/{project_id}/review")
async def project_review_page(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The office recognises the project with rights, or turns it down."""
    data = await form_dict(request, ("rights",))
    item = service.review_project(db, user, project_id, data)
    verdict = "已认定并授权" if item.status == "approved" else "已不予认定"
    return redirect(f"/hiring/projects/{project_id}", f"{verdict}：{item.name}")


@router.post("/hiring/projects/{project_id}/recommendations")
async def recommend_page(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The enterprise recommends a talent under one of the project's rights."""
    data = await form_dict(request)
    item = service.recommend_talent(db, user, data | {"project_id": project_id})
    return redirect(
        f"/hiring/projects/{project_id}", f"已推荐{item.talent.name}：{item.grading_note}"
    )


@router.post("/hiring/recommendations/{recommendation_id}/{action}")
async def recommendation_action_page(
    recommendation_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The office confirms a recommendation or turns it down."""
    data = await form_dict(request)
    item = service.decide_recommendation(db, user, recommendation_id, action, data)
    message = f"人才推荐{item.status_label}：{item.talent.name}"
    return redirect(f"/hiring/projects/{item.project_id}", message)


# --- REST --------------------------------------------------------------------------------------


@api.get("/applications", response_model=list[ApplicationOut])
def api_applications(
    need_id: int | None = Query(None),
    status: str = Query("", max_length=20),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Applications the caller may see (their unit's needs', their own, those they submitted)."""
    status = status if status in choices.APPLICATION_STATUS else ""
    items = service.list_applications(db, user, need_id=need_id, status=status)
    return [service.application_dict(db, a) for a in items]


@api.post("/applications", response_model=ApplicationOut, status_code=201)
def api_application_create(
    body: ApplicationIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Apply (experts, own profile) or recommend talent_id (brokers; enterprises holding
    自主荐才权); retry safely with an Idempotency-Key."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.submit_application(db, user, body.model_dump()),
        lambda item: ApplicationOut.model_validate(service.application_dict(db, item)),
    )


@api.get("/applications/{application_id}", response_model=ApplicationOut)
def api_application(
    application_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One application."""
    return service.application_dict(db, service.get_application(db, user, application_id))


@api.post("/applications/{application_id}/{action}", response_model=ApplicationOut)
def api_application_action(
    application_id: int,
    action: str,
    body: ApplicationActionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Stage change: shortlist, interview, offer, hire (hired_on), decline (reason), withdraw."""
    item = service.change_application(db, user, application_id, action, body.model_dump())
    return service.application_dict(db, item)


@api.get("/hires", response_model=list[HireOut])
def api_hires(
    db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> list[dict[str, Any]]:
    """Hires the caller may see, with dispatches and linked achievements."""
    return [service.hire_dict(h) for h in service.list_hires(db, user)]


@api.get("/hires/{hire_id}", response_model=HireOut)
def api_hire(
    hire_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One hire."""
    return service.hire_dict(service.get_hire(db, user, hire_id))


@api.post("/hires/{hire_id}/dispatches", response_model=DispatchOut, status_code=201)
def api_dispatch_create(
    hire_id: int,
    body: DispatchIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Record a co-shared hire's dispatch (cost shares summing to 100)."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.record_dispatch(db, user, hire_id, body.model_dump()),
        lambda item: DispatchOut.model_validate(service.dispatch_dict(item)),
    )


@api.post("/hires/{hire_id}/achievements", response_model=HireOut, status_code=201)
def api_hire_link(
    hire_id: int,
    body: AchievementLinkIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Link an existing achievement produced at the scene to a co-shared hire."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.link_achievement(db, user, hire_id, body.model_dump()),
        lambda link: HireOut.model_validate(
            service.hire_dict(service.get_hire(db, user, link.hire_id))
        ),
    )


@api.post("/talent-projects", response_model=ProjectOut, status_code=201)
def api_project_create(
    body: ProjectIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """An enterprise applies for an industry–talent project for a year."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.apply_project(db, user, body.model_dump()),
        lambda item: ProjectOut.model_validate(service.project_dict(item)),
    )


@api.post("/talent-projects/{project_id}/review", response_model=ProjectOut)
def api_project_review(
    project_id: int,
    body: ProjectReviewIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The office approves (granting rights) or rejects (with remarks) a project application."""
    return service.project_dict(service.review_project(db, user, project_id, body.model_dump()))


@api.get("/recommendations", response_model=list[RecommendationOut])
def api_recommendations(
    project_id: int | None = Query(None),
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> list[dict[str, Any]]:
    """Recommendations the caller may see (offices: all; units: their own)."""
    items = service.list_recommendations(db, user, project_id=project_id)
    return [service.recommendation_dict(r) for r in items]


@api.post("/recommendations", response_model=RecommendationOut, status_code=201)
def api_recommendation_create(
    body: RecommendationIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Recommend a talent under a project's right; 按薪定才 computes and stores the grade."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.recommend_talent(db, user, body.model_dump()),
        lambda item: RecommendationOut.model_validate(service.recommendation_dict(item)),
    )


@api.get("/recommendations/{recommendation_id}", response_model=RecommendationOut)
def api_recommendation(
    recommendation_id: int, db: Session = Depends(get_db), user: User = Depends(api_require_user)
) -> dict[str, Any]:
    """One recommendation with the rule that applied."""
    return service.recommendation_dict(service.get_recommendation(db, user, recommendation_id))


@api.post("/recommendations/{recommendation_id}/{action}", response_model=RecommendationOut)
def api_recommendation_action(
    recommendation_id: int,
    action: str,
    body: DecisionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """The office confirms or rejects (remarks required) a recommendation."""
    item = service.decide_recommendation(db, user, recommendation_id, action, body.model_dump())
    return service.recommendation_dict(item)
