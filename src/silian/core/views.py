"""Generic record views: the list, form, create, edit and workflow-action routes (pages and API)
that record types share, reviewed or not, declared once per feature (as NetBox's generic views).

A feature describes its record with a ``RecordViews`` (which service function lists, gets,
creates, updates and moves it, and which templates render it); ``page_routes`` and ``api_routes``
turn that into routes that parse the request, call one service function and render. Every
action ends in a redirect that carries a flash message, so the user always sees what happened.
Every edit is versioned the same way: the form carries the version loaded and a stale save shows
the form again with the user's input and what others changed (409); the API answers GET with an
ETag, needs it back in If-Match on PUT (428 / 412) and takes an Idempotency-Key on create.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoint signatures built
# below at definition time, and their body types are the feature's schemas held in variables.

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from silian.core import workflow
from silian.core.actors import Actor
from silian.core.choices import Choices
from silian.core.concurrency import Change, etag, stale_context, version_from_form
from silian.core.errors import StaleEdit, ValidationFailed
from silian.core.fields import people_text
from silian.core.flash import redirect
from silian.core.idempotency import idempotency_key, idempotent_create
from silian.core.pagination import Page
from silian.core.permissions import can, require
from silian.core.schemas import ActionIn
from silian.core.web import (
    PUT_RESPONSES,
    api_require_user,
    api_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    if_match_version,
    int_or_none,
    render,
    require_user,
)

Context = dict[str, Any]


def _no_context(*_: Any) -> Context:
    return {}


def _no_filters(_: Request) -> None:
    return None


def _same(form: dict[str, Any]) -> dict[str, Any]:
    return form


def _blank(_: Request) -> Context:
    return {}


@dataclass(frozen=True)
class RecordViews:
    """How one record type is listed, shown, created, edited and moved through review.

    A record without review (``reviewed=False``) leaves the workflow callables unset; a record
    whose list, detail page or create route is its feature's own leaves those unset or switched
    off, and the routes built here are only the ones it shares (the edit form, the versioned
    PUT, the idempotent create).
    """

    kind: str  # the permission prefix and workflow kind, e.g. "achievement"
    noun: str  # the Chinese noun in messages, e.g. "成果"
    path: str  # the pages' base path, e.g. "/achievements"
    id_name: str  # the path parameter's name, e.g. "achievement_id"
    templates: str  # the template folder, e.g. "achievements"
    labels: Mapping[str, str]
    get: Callable[[Session, Any, int], Any]
    update: Callable[[Session, Any, int, dict[str, Any], int | None], Any]
    can_edit: Callable[[Any, Any], bool]
    out: Callable[[Any, Any], dict[str, Any]]  # the record as the API and edit form show it
    form_context: Callable[[Session, Any], Context]
    filters: Callable[[Request], Any] = _no_filters
    list: Callable[[Session, Any, Any, int, int], Page[Any]] | None = None
    create: Callable[[Session, Any, dict[str, Any]], Any] | None = None
    create_and_submit: Callable[[Session, Any, dict[str, Any]], Any] | None = None
    update_and_submit: Callable[[Session, Any, int, dict[str, Any], int | None], Any] | None = None
    change_status: Callable[[Session, Any, int, str, str], Any] | None = None
    list_context: Callable[[Session, Any, Page[Any]], Context] = _no_context
    detail_context: Callable[[Session, Any, Any], Context] = _no_context
    form_values: Callable[[Any, Any], dict[str, Any]] | None = None  # edit form; default: out
    choice_fields: Mapping[str, Choices] = field(default_factory=dict)  # coded fields' labels
    list_fields: tuple[str, ...] = ()  # form fields that may repeat (multi-selects)
    per_page: int = 20
    # Pages the feature serves itself (a list or detail page of its own shape).
    list_page: bool = True
    detail_page: bool = True
    form_template: str = ""  # default: "<templates>/form.html"
    create_permission: str = ""  # default: "<kind>.create"
    new_values: Callable[[Request], Context] = _blank  # a new form's initial values
    # A posted form as the service's data (rows of parallel lists folded, blanks dropped), and
    # as the form shows it again after a refusal; default: as posted.
    from_form: Callable[[dict[str, Any]], dict[str, Any]] = _same
    redisplay: Callable[[dict[str, Any]], dict[str, Any]] = _same
    # Where a saved record's user lands; default: the record's page.
    saved_url: Callable[[Any], str] | None = None
    saved_text: str = "已保存"
    # The API; a record type without one leaves these unset.
    api_prefix: str = ""
    api_tag: str = ""
    in_schema: type[BaseModel] | None = None
    out_schema: type[BaseModel] | None = None
    page_schema: type[BaseModel] | None = None
    list_out: Callable[[Any, Any], dict[str, Any]] | None = None  # a list row; default: out
    # What an endpoint's description says first (keys list, get, create, update).
    api_texts: Mapping[str, str] = field(default_factory=dict)
    flash_texts: Mapping[str, str] = field(default_factory=dict)
    # What a user is told after creating a record without submitting it (records without review
    # are not drafts), formatted with the record as ``item``; default: "<noun>已保存为草稿".
    created_text: str = ""
    # Whether records go through review (submit → approve / return); a register without review
    # (investment projects) offers no "save and submit".
    reviewed: bool = True

    def url(self, record_id: int) -> str:
        """The record's page."""
        return f"{self.path}/{record_id}"

    def landing(self, item: Any) -> str:
        """Where the user goes after saving item."""
        return self.saved_url(item) if self.saved_url else self.url(item.id)

    def action_flash(self, action: str) -> str:
        """What the user is told after a workflow action."""
        default = {
            "submit": f"{self.noun}已提交审核，审核结果将通知您",
            "approve": f"已审核通过，{self.noun}已发布",
            "return": f"已退回修改，修改意见已发给{self.noun}填报单位",
            "withdraw": f"{self.noun}已撤回",
        }
        return self.flash_texts.get(action) or default.get(action, "操作已完成")


def readable(changes: list[Change] | None, views: RecordViews) -> list[Change] | None:
    """Changes with coded values as their Chinese labels and lists joined, for people."""
    if changes is None:
        return None

    def show(name: str, value: Any) -> Any:
        labels = views.choice_fields.get(name)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return people_text(value)  # people such as 完成人, as the form writes them
        if isinstance(value, list):
            return "、".join(str(labels.label(v) if labels else v) for v in value)
        if labels is not None and isinstance(value, str):
            return labels.label(value)
        return value

    return [replace(c, old=show(c.field, c.old), new=show(c.field, c.new)) for c in changes]


def _submit_label(views: RecordViews, user: Actor, item: Any) -> str:
    if not views.reviewed or item is None or not can(user, f"{views.kind}.submit", item):
        return ""
    return {"draft": "保存并提交审核", "returned": "保存并重新提交"}.get(item.status, "")


def form_page(
    views: RecordViews,
    request: Request,
    db: Session,
    user: Actor,
    item: Any,
    values: Context,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
    extra: Context | None = None,
) -> Response:
    """The record's form (new when item is None) with values, messages and review context."""
    ctx = views.form_context(db, user) | {
        "item": item,
        "values": values,
        "errors": dict(errors or {}),
        # A draft or returned record can be saved and submitted in one step by whoever may submit.
        "submit_label": _submit_label(views, user, item),
        "form_action": f"{views.path}/{item.id}/edit" if item is not None else f"{views.path}/new",
    }
    template = views.form_template or f"{views.templates}/form.html"
    return render(request, template, ctx | (extra or {}), status_code)


def page_routes(views: RecordViews) -> APIRouter:
    """The record type's HTML pages: list, new, create, detail, edit, update and actions."""
    router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
    record_path = f"{views.path}/{{{views.id_name}}}"

    def list_page(
        request: Request, db: Session = Depends(get_db), user: Actor | None = Depends(current_user)
    ) -> Response:
        assert views.list is not None
        filters = views.filters(request)
        number = int_or_none(request.query_params.get("page")) or 1
        page = views.list(db, user, filters, number, views.per_page)
        ctx = {"page": page, "filters": filters} | views.list_context(db, user, page)
        return render(request, f"{views.templates}/list.html", ctx)

    def new_page(
        request: Request, db: Session = Depends(get_db), user: Actor = Depends(require_user)
    ) -> Response:
        require(user, views.create_permission or f"{views.kind}.create")
        return form_page(views, request, db, user, None, views.new_values(request))

    async def create(
        request: Request, db: Session = Depends(get_db), user: Actor = Depends(require_user)
    ) -> Response:
        assert views.create is not None
        form = await form_dict(request, views.list_fields)
        submit = bool(form.pop("submit_now", None)) and views.create_and_submit is not None
        data = views.from_form(form)
        try:
            if submit:
                assert views.create_and_submit is not None
                item = views.create_and_submit(db, user, data)
            else:
                item = views.create(db, user, data)
        except ValidationFailed as exc:
            db.rollback()
            values = views.redisplay(form)
            return form_page(views, request, db, user, None, values, exc.errors, 422)
        saved = views.created_text.format(item=item) or f"{views.noun}已保存为草稿"
        message = views.action_flash("submit") if submit else saved
        return redirect(views.landing(item), message)

    def detail_page(
        request: Request,
        item_id: int = Path(alias=views.id_name),
        db: Session = Depends(get_db),
        user: Actor | None = Depends(current_user),
    ) -> Response:
        item = views.get(db, user, item_id)
        ctx = {
            "item": item,
            "actions": workflow.allowed_actions(user, item, views.kind),
            "can_edit": views.can_edit(user, item),
            "since_return": readable(
                workflow.changes_since_return(db, user, item, views.kind, views.labels), views
            ),
        }
        return render(
            request, f"{views.templates}/detail.html", ctx | views.detail_context(db, user, item)
        )

    def edit_page(
        request: Request,
        item_id: int = Path(alias=views.id_name),
        db: Session = Depends(get_db),
        user: Actor = Depends(require_user),
    ) -> Response:
        item = views.get(db, user, item_id)
        if not views.can_edit(user, item):
            return render(request, "error.html", {"message": f"您不能修改此{views.noun}"}, 403)
        values = (views.form_values or views.out)(item, user)
        return form_page(views, request, db, user, item, values)

    async def update(
        request: Request,
        item_id: int = Path(alias=views.id_name),
        db: Session = Depends(get_db),
        user: Actor = Depends(require_user),
    ) -> Response:
        form = await form_dict(request, views.list_fields)
        loaded = version_from_form(form.pop("version", None))
        resubmit = bool(form.pop("resubmit", None)) and views.update_and_submit is not None
        data = views.from_form(form)
        try:
            if resubmit:
                assert views.update_and_submit is not None
                item = views.update_and_submit(db, user, item_id, data, loaded)
            else:
                item = views.update(db, user, item_id, data, loaded)
        except ValidationFailed as exc:
            db.rollback()
            item = views.get(db, user, item_id)
            values = views.redisplay(form)
            return form_page(views, request, db, user, item, values, exc.errors, 422)
        except StaleEdit:
            # Keep the user's input; show what others changed; the form now carries the new version.
            return stale_form(views, request, db, user, item_id, views.redisplay(form), loaded)
        if resubmit:
            return redirect(views.landing(item), views.action_flash("submit"))
        if views.reviewed and item.status == "submitted":
            return redirect(views.landing(item), f"已保存，{views.noun}修改后需重新审核")
        return redirect(views.landing(item), views.saved_text)

    async def transition(
        action: str,
        request: Request,
        item_id: int = Path(alias=views.id_name),
        db: Session = Depends(get_db),
        user: Actor = Depends(require_user),
    ) -> Response:
        assert views.change_status is not None
        form = await form_dict(request)
        views.change_status(db, user, item_id, action, form.get("remarks", ""))
        return redirect(views.url(item_id), views.action_flash(action))

    # "new" and "edit" before the record and action patterns that would also match them.
    if views.list is not None and views.list_page:
        router.add_api_route(views.path, list_page, methods=["GET"])
    if views.create is not None:
        router.add_api_route(f"{views.path}/new", new_page, methods=["GET"])
        router.add_api_route(f"{views.path}/new", create, methods=["POST"])
    if views.detail_page:
        router.add_api_route(record_path, detail_page, methods=["GET"])
    router.add_api_route(f"{record_path}/edit", edit_page, methods=["GET"])
    router.add_api_route(f"{record_path}/edit", update, methods=["POST"])
    if views.change_status is not None:
        router.add_api_route(f"{record_path}/{{action}}", transition, methods=["POST"])
    return router


def stale_form(
    views: RecordViews,
    request: Request,
    db: Session,
    user: Actor,
    item_id: int,
    values: Context,
    loaded: int | None,
    extra: Context | None = None,
) -> Response:
    """The form again after a stale save (409): the user's values, what others changed since
    the version loaded, and the current version to save over it deliberately."""
    db.rollback()
    item = views.get(db, user, item_id)
    stale = stale_context(db, item, loaded, dict(views.labels))
    stale["changes"] = readable(stale["changes"], views)
    ctx = (extra or {}) | {"stale": stale}
    return form_page(views, request, db, user, item, values, {}, 409, ctx)


def api_routes(views: RecordViews) -> APIRouter:
    """The record type's REST endpoints: list, get, create (Idempotency-Key), replace (If-Match)
    and actions; the list, create and actions only where the record type has them."""
    if views.in_schema is None or views.out_schema is None:
        raise ValueError(f"{views.kind}: api_routes needs in_schema and out_schema")
    api = APIRouter(prefix=views.api_prefix, tags=[views.api_tag])
    in_schema: Any = views.in_schema
    out_schema: Any = views.out_schema
    noun = views.noun

    def api_list(
        request: Request,
        page: int = Query(1, ge=1),
        per_page: int = Query(20, ge=1, le=100),
        db: Session = Depends(get_db),
        user: Actor | None = Depends(api_user),
    ) -> Context:
        assert views.list is not None
        result = views.list(db, user, views.filters(request), page, per_page)
        row = views.list_out or views.out
        return {
            "items": [row(i, user) for i in result.items],
            "total": result.total,
            "page": result.page,
            "per_page": result.per_page,
        }

    def api_get(
        response: Response,
        item_id: int = Path(alias=views.id_name),
        db: Session = Depends(get_db),
        user: Actor | None = Depends(api_user),
    ) -> Context:
        item = views.get(db, user, item_id)
        response.headers["ETag"] = etag(item)
        return views.out(item, user)

    def api_create(
        body: in_schema,
        request: Request,
        db: Session = Depends(get_db),
        user: Actor = Depends(api_require_user),
        key: str | None = Depends(idempotency_key),
    ) -> Response:
        create = views.create
        assert create is not None
        return idempotent_create(
            request,
            db,
            user,
            key,
            body,
            lambda: create(db, user, body.model_dump()),
            lambda item: out_schema.model_validate(views.out(item, user)),
        )

    def api_update(
        body: in_schema,
        response: Response,
        item_id: int = Path(alias=views.id_name),
        db: Session = Depends(get_db),
        user: Actor = Depends(api_require_user),
        version: int = Depends(if_match_version),
    ) -> Context:
        item = views.update(db, user, item_id, body.model_dump(), version)
        response.headers["ETag"] = etag(item)
        return views.out(item, user)

    def api_transition(
        action: str,
        item_id: int = Path(alias=views.id_name),
        body: ActionIn | None = None,
        db: Session = Depends(get_db),
        user: Actor = Depends(api_require_user),
    ) -> Context:
        assert views.change_status is not None
        item = views.change_status(db, user, item_id, action, body.remarks if body else "")
        return views.out(item, user)

    record = f"/{{{views.id_name}}}"
    texts = views.api_texts
    if views.list is not None and views.page_schema is not None:
        api.add_api_route(
            "",
            api_list,
            methods=["GET"],
            response_model=views.page_schema,
            summary=f"List {views.api_tag}",
            description=texts.get("list") or f"列出调用者可见的{noun}（未登录时仅已发布的）。",
        )
    api.add_api_route(
        record,
        api_get,
        methods=["GET"],
        response_model=out_schema,
        summary=f"Get one of {views.api_tag}",
        description=texts.get("get", "") + f"一条{noun}；其 ETag 即 PUT 时 If-Match 应带回的值。",
    )
    if views.create is not None:
        draft = "草稿" if views.reviewed else ""
        api.add_api_route(
            "",
            api_create,
            methods=["POST"],
            response_model=out_schema,
            status_code=201,
            summary=f"Create one of {views.api_tag}",
            description=texts.get("create", "")
            + f"创建{noun}{draft}（带 Idempotency-Key 可安全重试）。",
        )
    api.add_api_route(
        record,
        api_update,
        methods=["PUT"],
        response_model=out_schema,
        responses=PUT_RESPONSES,
        summary=f"Replace one of {views.api_tag}",
        description=texts.get("update", "")
        + f"整体替换{noun}的可编辑字段；If-Match 须带最近读取的 ETag。",
    )
    if views.change_status is not None:
        api.add_api_route(
            f"{record}/{{action}}",
            api_transition,
            methods=["POST"],
            response_model=out_schema,
            summary=f"Workflow action on one of {views.api_tag}",
            description=(
                "审核流程操作：submit 提交、approve 通过、return 退回（须填意见）、withdraw 撤回。"
            ),
        )
    return api
