"""Shared web plumbing for feature routes: DB session, current user, CSRF and templates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import OAuth2PasswordBearer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from silian.config import Settings
from silian.core import flash, permissions
from silian.core.actors import USER_LOADER, Actor, UserLoader
from silian.core.concurrency import FOREIGN_ETAG, NO_IF_MATCH, NO_IF_MATCH_TAG, version_from_etag
from silian.core.fields import INT64_MAX, INT_RANGE_MESSAGE, text_problem
from silian.core.money import format_money_input
from silian.core.tokens import make_token, read_token, tokens_match

SESSION_COOKIE = "silian_session"
CSRF_COOKIE = "silian_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_SALT = "session"
API_SALT = "api-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def template_dirs() -> list[Path]:
    """Every package folder named templates: each feature's plus the shared layout's."""
    root = Path(str(files("silian")))
    return sorted(p for p in root.glob("*/templates") if p.is_dir())


def _money(value: Any) -> str:
    if value is None or value == 0:
        return "面议"
    amount = float(value)
    if amount >= 10_000:
        return f"{amount / 10_000:,.1f}万元".replace(".0万", "万")
    return f"{amount:,.0f}元"


def _total(value: Any) -> str:
    # A sum (contract value, signed value) is a figure: nothing signed is 0元, never 面议.
    return _money(value) if value else "0元"


def _form_value(value: Any) -> Any:
    # Amounts are Decimals in 元; a form shows them as typed (100万), never 1000000.00.
    if isinstance(value, Decimal):
        return format_money_input(value)
    return value


def _querystring(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params)


def make_templates() -> Environment:
    """Jinja environment over all template folders, with our filters."""
    env = Environment(
        loader=FileSystemLoader([str(p) for p in template_dirs()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    env.filters["total"] = _total
    env.filters["form_value"] = _form_value
    env.filters["date"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    env.filters["datetime"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
    env.globals["querystring"] = _querystring
    # Menus and buttons ask the same table as the services: {% if can(user, "demand.create") %}.
    env.globals["can"] = permissions.can
    return env


_templates: Environment | None = None


def templates() -> Environment:
    """The process-wide template environment."""
    global _templates
    if _templates is None:
        _templates = make_templates()
    return _templates


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with the user, CSRF token and request in its context."""
    ctx: dict[str, Any] = {
        "request": request,
        "has_page": lambda path: path in getattr(request.app.state, "page_paths", ()),
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    ctx.update(context or {})
    ctx.setdefault("flash", flash.pending(request))
    html = templates().get_template(name).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if request.cookies.get(flash.FLASH_COOKIE):
        flash.clear(response)  # shown once
    return response


def get_db(request: Request) -> Iterator[Session]:
    """One database session per request, closed afterwards."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def settings_of(request: Request) -> Settings:
    """Settings the running app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def load_user(request: Request, db: Session, user_id: int) -> Actor | None:
    """The active user with user_id, through the loader the application registered."""
    loader: UserLoader = getattr(request.app.state, USER_LOADER)
    return loader(db, user_id)


def session_user(request: Request, db: Session) -> Actor | None:
    """The user of a valid session cookie, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    settings = settings_of(request)
    data = read_token(settings.secret_key, SESSION_SALT, token, settings.session_max_age)
    if not data:
        return None
    user = load_user(request, db, int(data.get("uid", 0)))
    if user is None or user.session_version != data.get("v"):
        return None
    return user


def current_user(request: Request, db: Session = Depends(get_db)) -> Actor | None:
    """Signed-in user for pages, or None for visitors."""
    user = session_user(request, db)
    request.state.user = user
    return user


class LoginRequired(Exception):
    """Raised by page dependencies; the app redirects to the login page."""


def require_user(user: Actor | None = Depends(current_user)) -> Actor:
    """Page dependency: a signed-in user or a redirect to the login page."""
    if user is None:
        raise LoginRequired()
    return user


def require_permission(action: str) -> Any:
    """Page dependency factory: a signed-in user whom the permission table allows action."""

    def dependency(user: Actor = Depends(require_user)) -> Actor:
        permissions.require(user, action)
        return user

    return dependency


def session_csrf(request: Request) -> str | None:
    """The CSRF token bound to the request's signed session cookie, if it carries one."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    settings = settings_of(request)
    data = read_token(settings.secret_key, SESSION_SALT, token, settings.session_max_age)
    value = data.get("csrf") if data else None
    return value if isinstance(value, str) and value else None


def session_token(settings: Settings, user: Actor, csrf_token: str) -> str:
    """A signed session cookie value for user, binding csrf_token to this session."""
    payload = {"uid": user.id, "v": user.session_version, "csrf": csrf_token}
    return make_token(settings.secret_key, SESSION_SALT, payload)


def set_csrf_cookie(response: Response, token: str, settings: Settings) -> None:
    """Send the CSRF cookie (read by no script: pages embed the token in their forms)."""
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )


async def csrf_protect(request: Request) -> None:
    """Reject unsafe page requests whose CSRF token does not match.

    A signed-in request must send the token bound to its session (a token from another session
    is refused); a visitor's request must send the token of its CSRF cookie.
    """
    if request.method not in UNSAFE_METHODS:
        return
    cookie = session_csrf(request) or request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not tokens_match(cookie, sent):
        raise HTTPException(
            status_code=403, detail="表单已过期或来源无效（CSRF 校验失败），请刷新页面后重试"
        )


_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def api_user(
    request: Request, token: str | None = Depends(_bearer), db: Session = Depends(get_db)
) -> Actor | None:
    """User of a valid bearer token, or None for anonymous API calls."""
    if not token:
        return None
    settings = settings_of(request)
    data = read_token(settings.secret_key, API_SALT, token, settings.session_max_age)
    user = load_user(request, db, int(data.get("uid", 0))) if data else None
    if user is None or (data and user.session_version != data.get("v")):
        raise HTTPException(
            status_code=401,
            detail="令牌无效或已过期",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def api_require_user(user: Actor | None = Depends(api_user)) -> Actor:
    """API dependency: a valid bearer token is required."""
    if user is None:
        raise HTTPException(
            status_code=401, detail="需要登录令牌", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


async def form_dict(request: Request, list_fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """Submitted form as a dict; list_fields keep every value (checkbox groups)."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key == CSRF_FIELD:
            continue
        if key in list_fields:
            data[key] = [str(v) for v in form.getlist(key)]
        else:
            value = form.get(key)
            data[key] = value if isinstance(value, str) else ""
    for key in list_fields:
        data.setdefault(key, [])
    return data


def int_or_none(value: str | None) -> int | None:
    """Parse an optional integer query parameter, ignoring junk."""
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is None or -INT64_MAX - 1 <= number <= INT64_MAX else None


_DIGITS = re.compile(r"^[+-]?\d+$")
# Query parameters holding free text, never an id: a long number there is a search, not a key.
TEXT_PARAMS = frozenset({"q", "text", "next"})
INVALID_REQUEST = "请求参数有误"


# Record ids are 32-bit integer columns on PostgreSQL: a larger number in a path names no record.
ID_MAX = 2**31 - 1


def _beyond_ids(part: str) -> bool:
    return part.isascii() and part.isdigit() and int(part) > ID_MAX


def _out_of_range(value: str) -> bool:
    return bool(_DIGITS.match(value)) and not -INT64_MAX - 1 <= int(value) <= INT64_MAX


def _pairs_problems(pairs: list[tuple[str, str]], *, multiline: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, value in pairs:
        problem = text_problem(key, multiline=False) or text_problem(value, multiline=multiline)
        if problem is None and key not in TEXT_PARAMS and _out_of_range(value):
            problem = INT_RANGE_MESSAGE
        if problem:
            errors.setdefault(key if text_problem(key) is None else "__all__", problem)
    return errors


def _parse_pairs(raw: bytes) -> list[tuple[str, str]]:
    # The same decoding Starlette uses for query strings and urlencoded forms.
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="replace")


class InputGuard:
    """ASGI middleware: hostile input in the path, query string or a urlencoded form is refused
    before any route or database sees it.

    A path with a control character or an id that no 64-bit column can hold is a 404 (no such
    record); a query parameter or form field with a control character other than a tab or line
    break, or an out-of-range integer, is a 422 naming the parameter. JSON bodies
    are checked by ``core.schemas.InputModel``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if text_problem(path, multiline=False) or any(
            _out_of_range(part) or _beyond_ids(part) for part in path.split("/")
        ):
            await self._refuse(scope, 404, {}, send)
            return
        # Tabs and line breaks are harmless in a query value (and a browser drops them from a
        # redirect target); the schemas decide where text must be one line.
        errors = _pairs_problems(_parse_pairs(scope.get("query_string", b"")), multiline=True)
        content_type = Headers(scope=scope).get("content-type", "")
        if not errors and content_type.startswith("application/x-www-form-urlencoded"):
            body, receive = await _buffer(receive)
            errors = _pairs_problems(_parse_pairs(body), multiline=True)
        if errors:
            await self._refuse(scope, 422, errors, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, status: int, errors: dict[str, str], send: Send) -> None:
        request = Request(scope)
        response: Response
        if request.url.path.startswith("/api/"):
            detail = INVALID_REQUEST if status == 422 else "记录不存在"
            response = JSONResponse({"detail": detail, "errors": errors}, status_code=status)
        else:
            message = INVALID_REQUEST if status == 422 else "页面不存在"
            ctx = {"message": message, "errors": errors}
            response = render(request, "error.html", ctx, status)
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body, and a receive callable that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


IF_MATCH_HELP = (
    "The ETag of the record as last read (GET returns it in ETag). Required: a PUT without it "
    "is refused with 428, one whose ETag is no longer current with 412."
)
# Declared on every PUT so the OpenAPI document lists the precondition outcomes.
PUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {"description": "If-Match names an old version: someone changed the record since"},
    428: {"description": "If-Match is missing: say which version this write replaces"},
}


def if_match(if_match: str | None = Header(None, description=IF_MATCH_HELP)) -> str:
    """API dependency: the If-Match header of a PUT, or NO_IF_MATCH_TAG when it is missing (the
    service refuses that with 428 after checking the record exists and the caller may edit it)."""
    return (if_match or "").strip() or NO_IF_MATCH_TAG


def if_match_version(tag: str = Depends(if_match)) -> int:
    """API dependency: the record version named by If-Match (NO_IF_MATCH when missing,
    FOREIGN_ETAG when it is not one of our ETags: the service answers 428 / 412 once the body
    has been validated)."""
    if tag == NO_IF_MATCH_TAG:
        return NO_IF_MATCH
    version = version_from_etag(tag)
    return FOREIGN_ETAG if version is None else version
