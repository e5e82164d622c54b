"""Shared web plumbing for feature routes: DB session, current user, CSRF and templates."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.security import OAuth2PasswordBearer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.accounts.security import read_token, tokens_match
from silian.accounts.service import get_user
from silian.config import Settings
from silian.core.money import format_money_input

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
    env.filters["form_value"] = _form_value
    env.filters["date"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    env.filters["datetime"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
    env.globals["querystring"] = _querystring
    return env


_templates: Environment | None = None


def templates() -> Environment:
    """The process-wide template environment."""
    global _templates
    if _templates is None:
        _templates = make_templates()
    return _templates


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the user, CSRF token and request in its context."""
    ctx: dict[str, Any] = {
        "request": request,
        "has_page": lambda path: path in getattr(request.app.state, "page_paths", ()),
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    ctx.update(context or {})
    html = templates().get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status_code)


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


def session_user(request: Request, db: Session) -> User | None:
    """The user of a valid session cookie, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    settings = settings_of(request)
    data = read_token(settings.secret_key, SESSION_SALT, token, settings.session_max_age)
    if not data:
        return None
    user = get_user(db, int(data.get("uid", 0)))
    if user is None or user.session_version != data.get("v"):
        return None
    return user


def current_user(request: Request, db: Session = Depends(get_db)) -> User | None:
    """Signed-in user for pages, or None for visitors."""
    user = session_user(request, db)
    request.state.user = user
    return user


class LoginRequired(Exception):
    """Raised by page dependencies; the app redirects to the login page."""


def require_user(user: User | None = Depends(current_user)) -> User:
    """Page dependency: a signed-in user or a redirect to the login page."""
    if user is None:
        raise LoginRequired()
    return user


def require_role(*roles: str) -> Any:
    """Page dependency factory: a signed-in user holding one of roles."""

    def dependency(user: User = Depends(require_user)) -> User:
        if user.role not in roles:
            raise HTTPException(status_code=403, detail="您的角色无权访问此页面")
        return user

    return dependency


async def csrf_protect(request: Request) -> None:
    """Reject unsafe page requests whose CSRF token does not match the cookie."""
    if request.method not in UNSAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE)
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
) -> User | None:
    """User of a valid bearer token, or None for anonymous API calls."""
    if not token:
        return None
    settings = settings_of(request)
    data = read_token(settings.secret_key, API_SALT, token, settings.session_max_age)
    user = get_user(db, int(data.get("uid", 0))) if data else None
    if user is None or (data and user.session_version != data.get("v")):
        raise HTTPException(
            status_code=401,
            detail="令牌无效或已过期",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def api_require_user(user: User | None = Depends(api_user)) -> User:
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
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
