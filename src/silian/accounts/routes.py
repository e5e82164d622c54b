"""Login and logout pages, and the OAuth2 password-flow token endpoint."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from silian.accounts import service
from silian.accounts.models import User
from silian.accounts.schemas import Token, UserOut
from silian.core.tokens import make_token, new_csrf_token
from silian.core.web import (
    API_SALT,
    SESSION_COOKIE,
    api_require_user,
    csrf_protect,
    current_user,
    form_dict,
    get_db,
    render,
    session_token,
    set_csrf_cookie,
    settings_of,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["auth"])


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect a user off-site after login.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target if not urlparse(target).netloc else "/"


def _client_ip(request: Request) -> str:
    peer = request.client.host if request.client else ""
    trusted = settings_of(request).trusted_proxies
    return service.client_address(peer, request.headers.get("x-forwarded-for"), trusted)


async def _authenticate(request: Request, db: Session, username: str, password: str) -> User:
    # Argon2 and the database run off the event loop; a throttled address's failures are
    # answered late without holding a worker thread while they wait.
    try:
        return await run_in_threadpool(
            service.authenticate,
            db,
            username,
            password,
            _client_ip(request),
            settings_of(request),
        )
    except service.LoginFailed as exc:
        if exc.delay > 0:
            await asyncio.sleep(exc.delay)
        raise


def _retry_headers(exc: service.LoginFailed) -> dict[str, str]:
    if isinstance(exc, service.LoginThrottled):
        return {"Retry-After": str(exc.retry_after)}
    return {}


@router.get("/login")
def login_page(request: Request, user: User | None = Depends(current_user)) -> Response:
    """The sign-in form."""
    nxt = _safe_next(request.query_params.get("next"))
    if user is not None:
        return RedirectResponse(nxt, status_code=303)
    return render(request, "accounts/login.html", {"next": nxt, "error": "", "username": ""})


@router.post("/login")
async def login(request: Request, db: Session = Depends(get_db)) -> Response:
    """Check credentials and set the session cookie."""
    form = await form_dict(request)
    nxt = _safe_next(form.get("next"))
    username = form.get("username", "")
    try:
        user = await _authenticate(request, db, username, form.get("password", ""))
    except service.LoginFailed as exc:
        ctx = {"next": nxt, "error": exc.message, "username": username}
        page = render(request, "accounts/login.html", ctx, exc.status_code)
        page.headers.update(_retry_headers(exc))
        return page
    settings = settings_of(request)
    # Sign-in rotates the CSRF token and binds it to the new session.
    csrf_token = new_csrf_token()
    token = session_token(settings, user, csrf_token)
    response = RedirectResponse(nxt, status_code=303)
    set_csrf_cookie(response, csrf_token, settings)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
def logout(
    request: Request, db: Session = Depends(get_db), user: User | None = Depends(current_user)
) -> Response:
    """End every session of the user and clear the cookie."""
    if user is not None:
        service.logout(db, user)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    set_csrf_cookie(response, new_csrf_token(), settings_of(request))
    return response


@api.post("/auth/token", response_model=Token)
async def token(
    request: Request,
    form: OAuth2PasswordRequestForm = Depends(),
    db: Session = Depends(get_db),
) -> Token | JSONResponse:
    """OAuth2 password flow: exchange username and password for a bearer token."""
    try:
        user = await _authenticate(request, db, form.username, form.password)
    except service.LoginFailed as exc:
        return JSONResponse(
            {"detail": exc.message, "errors": {}},
            status_code=exc.status_code,
            headers=_retry_headers(exc),
        )
    settings = settings_of(request)
    value = make_token(settings.secret_key, API_SALT, {"uid": user.id, "v": user.session_version})
    return Token(access_token=value, expires_in=settings.session_max_age)


@api.get("/me", response_model=UserOut)
def me(user: User = Depends(api_require_user)) -> User:
    """The caller's own account."""
    return user
