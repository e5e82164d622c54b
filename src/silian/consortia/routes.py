"""Pages and REST endpoints of innovation consortia, their projects and co-built institutes.

Routes parse the request, call one service function and render; every change ends in a
redirect with a flash message (pages) or the changed record (API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.chains.models import IndustryChain
from silian.consortia import choices, service
from silian.consortia.models import (
    CommonTechProject,
    InnovationConsortium,
    RdInstitute,
)
from silian.consortia.schemas import (
    CONSORTIUM_LABELS,
    INSTITUTE_LABELS,
    PROJECT_LABELS,
    ConsortiumIn,
    ConsortiumOut,
    InstituteAchievementIn,
    InstituteIn,
    InstituteOut,
    InstituteTalentIn,
    MilestoneDoneIn,
    OutputIn,
    ProjectIn,
    ProjectOut,
    TransitionIn,
)
from silian.core import permissions
from silian.core.errors import NotFound, ValidationFailed
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.views import RecordViews, api_routes, form_page, page_routes
from silian.core.web import (
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    int_or_none,
    render,
    require_user,
)
from silian.organizations.models import Organization
from silian.talent.models import Talent

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
consortia_api = APIRouter(prefix="/api/v1/consortia", tags=["consortia"])
projects_api = APIRouter(prefix="/api/v1/consortium-projects", tags=["consortia"])
institutes_api = APIRouter(prefix="/api/v1/institutes", tags=["consortia"])

MEMBER_ROWS = ("member_organization_id", "member_part")
TASK_ROWS = ("task_organization_id", "task_text", "task_budget")
MILESTONE_ROWS = ("milestone_name", "milestone_due_on", "milestone_done_on")
PARTNER_ROWS = ("partner_organization_id", "partner_kind", "partner_contribution", "partner_amount")
BLANK_ROWS = 3


# --- shaping -----------------------------------------------------------------------------------


def consortium_out(item: InnovationConsortium) -> dict[str, Any]:
    """A consortium for the API."""
    return {
        "id": item.id,
        "name": item.name,
        "lead_organization_id": item.lead_organization_id,
        "lead_organization_name": item.lead_organization.name,
        "chain_id": item.chain_id,
        "goal": item.goal,
        "founded_on": item.founded_on,
        "members": [
            {
                "organization_id": m.organization_id,
                "organization_name": m.organization.name,
                "organization_kind": m.organization.kind,
                "part": m.part,
            }
            for m in item.memberships
        ],
        "project_ids": [p.id for p in item.projects],
    }


def project_out(item: CommonTechProject) -> dict[str, Any]:
    """A project with tasks, milestones and outputs for the API."""
    return {
        "id": item.id,
        "consortium_id": item.consortium_id,
        "consortium_name": item.consortium.name,
        "title": item.title,
        "budget": item.budget,
        "description": item.description,
        "status": item.status,
        "started_on": item.started_on,
        "due_on": item.due_on,
        "accepted_on": item.accepted_on,
        "tasks": [
            {
                "id": t.id,
                "organization_id": t.organization_id,
                "organization_name": t.organization.name,
                "task": t.task,
                "budget": t.budget,
            }
            for t in item.tasks
        ],
        "milestones": [
            {"id": m.id, "name": m.name, "due_on": m.due_on, "done_on": m.done_on}
            for m in item.milestones
        ],
        "outputs": [
            {
                "achievement_id": o.achievement_id,
                "title": o.achievement.title,
                "produced_on": o.produced_on,
            }
            for o in item.outputs
        ],
    }


def institute_out(db: Session, item: RdInstitute) -> dict[str, Any]:
    """An institute with partners, talents by grade and achievements for the API."""
    summary = service.institute_summary(db, item)
    return {
        "id": item.id,
        "name": item.name,
        "organization_id": item.organization_id,
        "chain_id": item.chain_id,
        "founded_on": item.founded_on,
        "description": item.description,
        "partners": [
            {
                "organization_id": p.organization_id,
                "organization_name": p.organization.name,
                "kind": p.kind,
                "contribution": p.contribution,
                "amount": p.amount,
            }
            for p in item.partners
        ],
        "talents": [
            {
                "talent_id": t.talent_id,
                "name": t.talent.name,
                "grade": t.talent.grade,
                "joined_on": t.joined_on,
            }
            for t in item.talents
        ],
        "talents_by_grade": summary["talents_by_grade"],
        "achievements": [
            {
                "achievement_id": a["link"].achievement_id,
                "title": a["link"].achievement.title,
                "linked_on": a["link"].linked_on,
                "contract_value": a["contract_value"],
                "evidence_amount": a["link"].evidence_amount,
                "evidence": a["link"].evidence,
                "is_major": a["is_major"],
            }
            for a in summary["achievements"]
        ],
        "major_achievements": summary["major_achievements"],
    }


# --- form rows ---------------------------------------------------------------------------------


def rows(
    form: dict[str, Any], names: tuple[str, ...], keys: tuple[str, ...], choice: int | None = None
) -> list[dict]:
    """Repeated form rows (parallel lists) as dicts under keys; rows with nothing typed (a
    drop-down column, index choice, always holds a value and does not count) are dropped and
    blank cells left out, so the schema's defaults and messages apply."""
    columns = [form.get(n) or [] for n in names]
    out = []
    for cells in zip(*columns, strict=False):
        typed = [c for i, c in enumerate(cells) if i != choice]
        if not any(str(c).strip() for c in typed):
            continue
        out.append({k: c for k, c in zip(keys, cells, strict=True) if str(c).strip() != ""})
    return out


def blanks_to_none(form: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Form values with empty optional fields left out."""
    return {k: v for k, v in form.items() if not (k in fields and str(v).strip() == "")}


def consortium_data(form: dict[str, Any]) -> dict[str, Any]:
    """The consortium form as ConsortiumIn data."""
    data = blanks_to_none(
        {
            k: form.get(k, "")
            for k in ("name", "lead_organization_id", "chain_id", "goal", "founded_on")
        },
        ("lead_organization_id", "chain_id", "founded_on"),
    )
    data["members"] = rows(form, MEMBER_ROWS, ("organization_id", "part"), choice=1)
    return data


def project_data(form: dict[str, Any]) -> dict[str, Any]:
    """The project form as ProjectIn data."""
    data = blanks_to_none(
        {k: form.get(k, "") for k in ("title", "budget", "description", "due_on")},
        ("budget", "due_on"),
    )
    data["tasks"] = rows(form, TASK_ROWS, ("organization_id", "task", "budget"))
    data["milestones"] = rows(form, MILESTONE_ROWS, ("name", "due_on", "done_on"))
    return data


def institute_data(form: dict[str, Any]) -> dict[str, Any]:
    """The institute form as InstituteIn data."""
    data = blanks_to_none(
        {
            k: form.get(k, "")
            for k in ("name", "organization_id", "chain_id", "founded_on", "description")
        },
        ("organization_id", "chain_id", "founded_on"),
    )
    data["partners"] = rows(
        form, PARTNER_ROWS, ("organization_id", "kind", "contribution", "amount"), choice=1
    )
    return data


def _padded(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return items + [{} for _ in range(BLANK_ROWS)]


def _options(db: Session, user: User | None = None) -> dict[str, Any]:
    orgs = list(
        db.scalars(
            select(Organization)
            .where(Organization.is_active.is_(True))
            .order_by(Organization.kind, Organization.name)
        )
    )
    return {
        "organizations": orgs,
        "enterprises": [o for o in orgs if o.kind == "enterprise"],
        "institute_units": [o for o in orgs if o.kind == "institute"],
        "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.id))),
        "choices": choices,
        "padded": _padded,
    }


def _with_session(shape: Callable[[Session, Any], dict[str, Any]]) -> Callable[..., Any]:
    def out(item: Any, user: User | None) -> dict[str, Any]:
        db = object_session(item)
        assert db is not None
        return shape(db, item)

    return out


def _chain_from_query(request: Request) -> dict[str, Any]:
    return {"chain_id": request.query_params.get("chain", "")}


# --- the records' forms and REST (shared record views) -----------------------------------------


def _consortium_values(form: dict[str, Any]) -> dict[str, Any]:
    values = dict(form)
    values["members_rows"] = rows(form, MEMBER_ROWS, ("organization_id", "part"), choice=1)
    return values


def _consortium_form_values(item: InnovationConsortium, user: User | None) -> dict[str, Any]:
    return {
        "name": item.name,
        "lead_organization_id": item.lead_organization_id,
        "chain_id": item.chain_id or "",
        "goal": item.goal,
        "founded_on": item.founded_on.isoformat() if item.founded_on else "",
        "members_rows": [
            {"organization_id": m.organization_id, "part": m.part} for m in item.memberships
        ],
    }


CONSORTIA = RecordViews(
    kind="consortium",
    noun="创新联合体",
    path="/consortia",
    id_name="consortium_id",
    templates="consortia",
    labels=CONSORTIUM_LABELS,
    get=service.get_consortium,
    create=service.create_consortium,
    update=service.update_consortium,
    can_edit=lambda user, item: permissions.can(user, "consortium.manage", item),
    create_permission="consortium.manage",
    out=lambda item, user: consortium_out(item),
    form_values=_consortium_form_values,
    form_context=_options,
    list_fields=MEMBER_ROWS,
    new_values=_chain_from_query,
    from_form=consortium_data,
    redisplay=_consortium_values,
    list_page=False,
    detail_page=False,
    created_text="创新联合体“{item.name}”已组建",
    api_prefix="/api/v1/consortia",
    api_tag="consortia",
    in_schema=ConsortiumIn,
    out_schema=ConsortiumOut,
    api_texts={"create": "政府部门组建创新联合体（牵头企业、成员及分工、产业链、攻关目标）。"},
    reviewed=False,
)


def _project_values(form: dict[str, Any]) -> dict[str, Any]:
    values = dict(form)
    values["task_rows"] = rows(form, TASK_ROWS, ("organization_id", "task", "budget"))
    values["milestone_rows"] = rows(form, MILESTONE_ROWS, ("name", "due_on", "done_on"))
    return values


def _project_form_values(item: CommonTechProject, user: User | None) -> dict[str, Any]:
    return {
        "title": item.title,
        "budget": item.budget,
        "description": item.description,
        "due_on": item.due_on.isoformat() if item.due_on else "",
        "task_rows": [
            {"organization_id": t.organization_id, "task": t.task, "budget": t.budget}
            for t in item.tasks
        ],
        "milestone_rows": [
            {"name": m.name, "due_on": m.due_on, "done_on": m.done_on} for m in item.milestones
        ],
    }


# A project is set up under its consortium (/consortia/{id}/projects/new, its own route below);
# its edit form and PUT are the shared ones.
PROJECTS = RecordViews(
    kind="consortium_project",
    noun="攻关项目",
    path="/consortium-projects",
    id_name="project_id",
    templates="consortia",
    form_template="consortia/project_form.html",
    labels=PROJECT_LABELS,
    get=service.get_project,
    update=service.update_project,
    can_edit=lambda user, item: service.can_manage_projects(user, item.consortium),
    out=lambda item, user: project_out(item),
    form_values=_project_form_values,
    form_context=lambda db, user: {"padded": _padded},
    list_fields=TASK_ROWS + MILESTONE_ROWS,
    from_form=project_data,
    redisplay=_project_values,
    detail_page=False,
    api_prefix="/api/v1/consortium-projects",
    api_tag="consortia",
    in_schema=ProjectIn,
    out_schema=ProjectOut,
    api_texts={"update": "已验收的项目不能再修改。"},
    reviewed=False,
)


def _institute_values(form: dict[str, Any]) -> dict[str, Any]:
    values = dict(form)
    values["partner_rows"] = rows(
        form, PARTNER_ROWS, ("organization_id", "kind", "contribution", "amount"), choice=1
    )
    return values


def _institute_form_values(item: RdInstitute, user: User | None) -> dict[str, Any]:
    return {
        "name": item.name,
        "organization_id": item.organization_id or "",
        "chain_id": item.chain_id or "",
        "founded_on": item.founded_on.isoformat() if item.founded_on else "",
        "description": item.description,
        "partner_rows": [
            {
                "organization_id": p.organization_id,
                "kind": p.kind,
                "contribution": p.contribution,
                "amount": p.amount,
            }
            for p in item.partners
        ],
    }


INSTITUTES = RecordViews(
    kind="institute",
    noun="新型研发机构",
    path="/institutes",
    id_name="institute_id",
    templates="consortia",
    form_template="consortia/institute_form.html",
    labels=INSTITUTE_LABELS,
    get=service.get_institute,
    create=service.create_institute,
    update=service.update_institute,
    can_edit=lambda user, item: permissions.can(user, "institute.manage", item),
    create_permission="institute.manage",
    out=_with_session(institute_out),
    form_values=_institute_form_values,
    form_context=_options,
    list_fields=PARTNER_ROWS,
    new_values=_chain_from_query,
    from_form=institute_data,
    redisplay=_institute_values,
    list_page=False,
    detail_page=False,
    created_text="新型研发机构“{item.name}”已登记",
    api_prefix="/api/v1/institutes",
    api_tag="consortia",
    in_schema=InstituteIn,
    out_schema=InstituteOut,
    api_texts={
        "get": "合作单位、集聚人才（按等级计数）与成果（合同额≥1000万元标为重大成果）。",
        "create": "政府部门登记共建的新型研发机构及各共建单位的投入。",
    },
    reviewed=False,
)
# Before the records' own pages, whose /{id} and /{id}/{action} would also match new and edit.
for _views in (CONSORTIA, PROJECTS, INSTITUTES):
    router.include_router(page_routes(_views))


# --- consortium pages --------------------------------------------------------------------------


@router.get("/consortia")
def consortia_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Every innovation consortium (of a chain, or of a unit), with its projects' progress."""
    chain_id = int_or_none(request.query_params.get("chain"))
    org_id = int_or_none(request.query_params.get("organization"))
    items = service.list_consortia(db, user, chain_id=chain_id, organization_id=org_id)
    return render(
        request,
        "consortia/list.html",
        {
            "items": items,
            "chain": db.get(IndustryChain, chain_id) if chain_id else None,
            "organization": db.get(Organization, org_id) if org_id else None,
            "can_create": permissions.can(user, "consortium.manage"),
        },
    )


@router.get("/consortia/{consortium_id}")
def consortium_page(
    consortium_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """A consortium: lead, members and their parts, projects with progress, outputs."""
    item = service.get_consortium(db, user, consortium_id)
    outputs = [(p, o) for p in item.projects for o in p.outputs]
    return render(
        request,
        "consortia/detail.html",
        {
            "item": item,
            "outputs": outputs,
            "budget": sum((p.budget for p in item.projects), 0),
            "can_edit": permissions.can(user, "consortium.manage", item),
            "can_manage": service.can_manage_projects(user, item),
        },
    )


# --- project pages -----------------------------------------------------------------------------


def _new_project_form(
    request: Request,
    db: Session,
    user: User,
    consortium: InnovationConsortium,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    extra = {"consortium": consortium, "form_action": f"/consortia/{consortium.id}/projects/new"}
    return form_page(PROJECTS, request, db, user, None, values, errors, status_code, extra)


@router.get("/consortia/{consortium_id}/projects/new")
def new_project_page(
    consortium_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """The form to set up a common-technology project."""
    consortium = service.get_consortium(db, user, consortium_id)
    permissions.require(user, "consortium_project.manage", consortium)
    return _new_project_form(request, db, user, consortium, {})


@router.post("/consortia/{consortium_id}/projects/new")
async def create_project(
    consortium_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Save a new project (立项)."""
    form = await form_dict(request, TASK_ROWS + MILESTONE_ROWS)
    try:
        item = service.create_project(db, user, consortium_id, project_data(form))
    except ValidationFailed as exc:
        db.rollback()
        consortium = service.get_consortium(db, user, consortium_id)
        values = _project_values(form)
        return _new_project_form(request, db, user, consortium, values, exc.errors, 422)
    return redirect(f"/consortium-projects/{item.id}", f"攻关项目“{item.title}”已立项")


@router.get("/consortium-projects/{project_id}")
def project_page(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """A project: budget and members' tasks, milestones, status and the achievements produced."""
    item = service.get_project(db, user, project_id)
    can_manage = service.can_manage_projects(user, item.consortium)
    member_ids = [item.consortium.lead_organization_id] + [
        m.organization_id for m in item.consortium.memberships
    ]
    suggestions: list[Achievement] = []
    if can_manage:
        linked = {o.achievement_id for o in item.outputs}
        suggestions = [
            a
            for a in db.scalars(
                select(Achievement)
                .where(
                    Achievement.organization_id.in_(member_ids),
                    Achievement.status == "published",
                )
                .order_by(Achievement.id.desc())
                .limit(60)
            )
            if a.id not in linked
        ]
    return render(
        request,
        "consortia/project.html",
        {
            "item": item,
            "can_manage": can_manage,
            "suggestions": suggestions,
            "today": service.today(),
            "errors": {},
            "values": {},
        },
    )


PROJECT_ACTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "start": (service.start_project, "项目已启动攻关"),
    "accept": (service.accept_project, "项目已验收"),
}


@router.post("/consortium-projects/{project_id}/milestones/{milestone_id}/done")
async def milestone_done(
    project_id: int,
    milestone_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record that a milestone was reached."""
    form = await form_dict(request)
    # The milestone must be this project's before anything is saved (a wrong URL changes nothing).
    project = service.get_project(db, user, project_id)
    if milestone_id not in {m.id for m in project.milestones}:
        raise NotFound("项目节点不存在")
    milestone = service.complete_milestone(
        db, user, milestone_id, blanks_to_none(form, ("done_on",))
    )
    return redirect(f"/consortium-projects/{project_id}", f"节点“{milestone.name}”已完成")


@router.post("/consortium-projects/{project_id}/outputs")
async def add_output(
    project_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record an achievement the project produced."""
    form = await form_dict(request)
    link = service.link_output(
        db, user, project_id, blanks_to_none(form, ("achievement_id", "produced_on"))
    )
    return redirect(
        f"/consortium-projects/{project_id}", f"已登记产出成果“{link.achievement.title}”"
    )


@router.post("/consortium-projects/{project_id}/outputs/{achievement_id}/delete")
def remove_output(
    project_id: int,
    achievement_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Remove an output recorded by mistake."""
    service.unlink_output(db, user, project_id, achievement_id)
    return redirect(f"/consortium-projects/{project_id}", "已移除该成果")


@router.post("/consortium-projects/{project_id}/{action}")
async def project_action(
    project_id: int,
    action: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Start (立项 → 攻关中) or accept (攻关中 → 已验收) a project."""
    if action not in PROJECT_ACTIONS:
        raise NotFound("没有这个操作")
    form = await form_dict(request)
    do, message = PROJECT_ACTIONS[action]
    do(db, user, project_id, blanks_to_none(form, ("on",)))
    return redirect(f"/consortium-projects/{project_id}", message)


# --- institute pages ---------------------------------------------------------------------------


@router.get("/institutes")
def institutes_page(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """Every co-built new-type R&D institute with its talents and major achievements."""
    chain_id = int_or_none(request.query_params.get("chain"))
    org_id = int_or_none(request.query_params.get("organization"))
    items = service.list_institutes(db, user, chain_id=chain_id, organization_id=org_id)
    return render(
        request,
        "consortia/institutes.html",
        {
            "items": [(i, service.institute_summary(db, i)) for i in items],
            "chain": db.get(IndustryChain, chain_id) if chain_id else None,
            "organization": db.get(Organization, org_id) if org_id else None,
            "can_create": permissions.can(user, "institute.manage"),
        },
    )


def _institute_context(db: Session, user: User | None, item: RdInstitute) -> dict[str, Any]:
    can_edit = permissions.can(user, "institute.manage", item)
    talent_choices: list[Talent] = []
    achievement_choices: list[Achievement] = []
    if can_edit:
        units = [p.organization_id for p in item.partners]
        if item.organization_id:
            units.append(item.organization_id)
        have = {t.talent_id for t in item.talents}
        talent_choices = [
            t
            for t in db.scalars(
                select(Talent)
                .where(Talent.organization_id.in_(units))
                .order_by(Talent.name)
                .limit(80)
            )
            if t.id not in have
        ]
        linked = {a.achievement_id for a in item.achievements}
        achievement_choices = [
            a
            for a in db.scalars(
                select(Achievement)
                .where(Achievement.organization_id.in_(units), Achievement.status == "published")
                .order_by(Achievement.id.desc())
                .limit(80)
            )
            if a.id not in linked
        ]
    return {
        "item": item,
        "summary": service.institute_summary(db, item),
        "can_edit": can_edit,
        "talent_choices": talent_choices,
        "achievement_choices": achievement_choices,
        "major_value": service.MAJOR_CONTRACT_VALUE,
        "errors": {},
        "values": {},
    }


@router.get("/institutes/{institute_id}")
def institute_page(
    institute_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User | None = Depends(current_user),
) -> Response:
    """An institute: partners and contributions, talents by grade, achievements (major flagged)."""
    item = service.get_institute(db, user, institute_id)
    return render(request, "consortia/institute.html", _institute_context(db, user, item))


async def _institute_add(
    request: Request,
    db: Session,
    user: User,
    institute_id: int,
    add: Callable[..., Any],
    optional: tuple[str, ...],
    message: str,
) -> Response:
    form = await form_dict(request)
    try:
        add(db, user, institute_id, blanks_to_none(form, optional))
    except ValidationFailed as exc:
        db.rollback()
        item = service.get_institute(db, user, institute_id)
        ctx = _institute_context(db, user, item) | {"errors": exc.errors, "values": form}
        return render(request, "consortia/institute.html", ctx, 422)
    return redirect(f"/institutes/{institute_id}", message)


@router.post("/institutes/{institute_id}/talents")
async def add_talent(
    institute_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record a talent the institute gathered."""
    return await _institute_add(
        request,
        db,
        user,
        institute_id,
        service.add_talent,
        ("talent_id", "joined_on"),
        "已登记集聚人才",
    )


@router.post("/institutes/{institute_id}/talents/{talent_id}/delete")
def remove_talent(
    institute_id: int,
    talent_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Remove a talent recorded by mistake."""
    service.remove_talent(db, user, institute_id, talent_id)
    return redirect(f"/institutes/{institute_id}", "已移除该人才")


@router.post("/institutes/{institute_id}/achievements")
async def add_institute_achievement(
    institute_id: int,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Record an achievement of the institute (with contract evidence when off the platform)."""
    return await _institute_add(
        request,
        db,
        user,
        institute_id,
        service.link_institute_achievement,
        ("achievement_id", "linked_on", "evidence_amount"),
        "已登记机构成果",
    )


@router.post("/institutes/{institute_id}/achievements/{achievement_id}/delete")
def remove_institute_achievement(
    institute_id: int,
    achievement_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Remove an achievement recorded by mistake."""
    service.unlink_institute_achievement(db, user, institute_id, achievement_id)
    return redirect(f"/institutes/{institute_id}", "已移除该成果")


# --- REST --------------------------------------------------------------------------------------
# Each record's GET, create and PUT (ETag / Idempotency-Key / If-Match) are the shared views; the
# lists, the nested creates and the rows added to a record are these.


def _added(
    request: Request,
    db: Session,
    user: User,
    key: str | None,
    body: BaseModel,
    add: Callable[[], Any],
    answer: Callable[[], BaseModel],
) -> Response:
    """A row added under a record (an output, a talent, an achievement), once per
    Idempotency-Key; the answer is the record as it now stands."""

    def fresh(_: Any) -> BaseModel:
        db.expire_all()  # inside the create's savepoint the record's rows were only flushed
        return answer()

    return idempotent_create(request, db, user, key, body, add, fresh)


@consortia_api.get("", response_model=list[ConsortiumOut])
def api_consortia(
    chain_id: int | None = None,
    organization_id: int | None = None,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> list[dict[str, Any]]:
    """Innovation consortia (创新联合体), of one chain or one unit (lead or member)."""
    items = service.list_consortia(db, user, chain_id=chain_id, organization_id=organization_id)
    return [consortium_out(i) for i in items]


@consortia_api.post("/{consortium_id}/projects", response_model=ProjectOut, status_code=201)
def api_create_project(
    consortium_id: int,
    body: ProjectIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Set up a common-technology project (立项) with members' tasks and milestones; retry
    safely with an Idempotency-Key."""
    return idempotent_create(
        request,
        db,
        user,
        key,
        body,
        lambda: service.create_project(db, user, consortium_id, body.model_dump(mode="json")),
        lambda item: ProjectOut.model_validate(project_out(item)),
    )


@projects_api.get("", response_model=list[ProjectOut])
def api_projects(
    consortium_id: int | None = None,
    chain_id: int | None = None,
    status: str = "",
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> list[dict[str, Any]]:
    """Common-technology projects (共性技术攻关项目), newest first."""
    items = service.list_projects(
        db, user, consortium_id=consortium_id, chain_id=chain_id, status=status
    )
    return [project_out(p) for p in items]


@projects_api.post("/{project_id}/start", response_model=ProjectOut)
def api_start_project(
    project_id: int,
    body: TransitionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """立项 → 攻关中 on the given date (today by default)."""
    data = body.model_dump(mode="json", exclude_none=True)
    return project_out(service.start_project(db, user, project_id, data))


@projects_api.post("/{project_id}/accept", response_model=ProjectOut)
def api_accept_project(
    project_id: int,
    body: TransitionIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """攻关中 → 已验收; refused (422) while a milestone is not done."""
    data = body.model_dump(mode="json", exclude_none=True)
    return project_out(service.accept_project(db, user, project_id, data))


@projects_api.post("/{project_id}/milestones/{milestone_id}/done", response_model=ProjectOut)
def api_milestone_done(
    project_id: int,
    milestone_id: int,
    body: MilestoneDoneIn,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Record the date a milestone was reached."""
    project = service.get_project(db, user, project_id)
    if milestone_id not in {m.id for m in project.milestones}:
        raise NotFound("项目节点不存在")
    service.complete_milestone(
        db, user, milestone_id, body.model_dump(mode="json", exclude_none=True)
    )
    return project_out(service.get_project(db, user, project_id))


@projects_api.post("/{project_id}/outputs", response_model=ProjectOut, status_code=201)
def api_add_output(
    project_id: int,
    body: OutputIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Record an existing achievement as produced by the project (Idempotency-Key: retry
    safely)."""
    data = body.model_dump(mode="json", exclude_none=True)
    return _added(
        request,
        db,
        user,
        key,
        body,
        lambda: service.link_output(db, user, project_id, data),
        lambda: ProjectOut.model_validate(project_out(service.get_project(db, user, project_id))),
    )


@projects_api.delete("/{project_id}/outputs/{achievement_id}", response_model=ProjectOut)
def api_remove_output(
    project_id: int,
    achievement_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Remove an output recorded by mistake."""
    return project_out(service.unlink_output(db, user, project_id, achievement_id))


@institutes_api.get("", response_model=list[InstituteOut])
def api_institutes(
    chain_id: int | None = None,
    organization_id: int | None = None,
    db: Session = Depends(get_db),
    user: User | None = Depends(api_user),
) -> list[dict[str, Any]]:
    """Co-built new-type R&D institutes (新型研发机构), of one chain or one unit."""
    items = service.list_institutes(db, user, chain_id=chain_id, organization_id=organization_id)
    return [institute_out(db, i) for i in items]


def _institute_row(
    request: Request,
    db: Session,
    user: User,
    key: str | None,
    body: BaseModel,
    institute_id: int,
    add: Callable[[Session, User, int, dict[str, Any]], Any],
) -> Response:
    """A talent or an achievement added to an institute; the answer is the institute."""
    data = body.model_dump(mode="json", exclude_none=True)
    return _added(
        request,
        db,
        user,
        key,
        body,
        lambda: add(db, user, institute_id, data),
        lambda: InstituteOut.model_validate(
            institute_out(db, service.get_institute(db, user, institute_id))
        ),
    )


@institutes_api.post("/{institute_id}/talents", response_model=InstituteOut, status_code=201)
def api_add_talent(
    institute_id: int,
    body: InstituteTalentIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Record a talent the institute gathered (Idempotency-Key: retry safely)."""
    return _institute_row(request, db, user, key, body, institute_id, service.add_talent)


@institutes_api.delete("/{institute_id}/talents/{talent_id}", response_model=InstituteOut)
def api_remove_talent(
    institute_id: int,
    talent_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Remove a talent recorded by mistake."""
    return institute_out(db, service.remove_talent(db, user, institute_id, talent_id))


@institutes_api.post("/{institute_id}/achievements", response_model=InstituteOut, status_code=201)
def api_add_institute_achievement(
    institute_id: int,
    body: InstituteAchievementIn,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
    key: str | None = Depends(idempotency_key),
) -> Response:
    """Record an achievement of the institute; evidence_amount needs evidence text
    (Idempotency-Key: retry safely)."""
    link = service.link_institute_achievement
    return _institute_row(request, db, user, key, body, institute_id, link)


@institutes_api.delete("/{institute_id}/achievements/{achievement_id}", response_model=InstituteOut)
def api_remove_institute_achievement(
    institute_id: int,
    achievement_id: int,
    db: Session = Depends(get_db),
    user: User = Depends(api_require_user),
) -> dict[str, Any]:
    """Remove an achievement recorded by mistake."""
    item = service.unlink_institute_achievement(db, user, institute_id, achievement_id)
    return institute_out(db, item)


# One REST router for the app.
api = APIRouter()
for _sub in (consortia_api, projects_api, institutes_api):
    api.include_router(_sub)
for _views in (CONSORTIA, PROJECTS, INSTITUTES):
    api.include_router(api_routes(_views))
