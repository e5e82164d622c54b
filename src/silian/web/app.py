"""The FastAPI application: routers, static files, security headers and error pages."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from importlib.resources import files
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from silian import __version__
from silian.accounts.security import new_csrf_token
from silian.config import Settings, get_settings
from silian.core.db import session_factory
from silian.core.errors import SilianError, ValidationFailed
from silian.core.validation import message_for
from silian.core.web import CSRF_COOKIE, LoginRequired, render
from silian.web import pages

# Feature packages whose routes.py defines `router` (pages) and optionally `api` (REST).
FEATURES = (
    "accounts",
    "achievements",
    "demands",
    "chains",
    "organizations",
    "talent",
    "education",
    "matching",
    "challenges",
    "brokerage",
    "notifications",
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for settings (the environment's by default)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Silian 四链融合平台 API",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory(settings.database_url)
    app.mount("/static", StaticFiles(directory=str(files("silian") / "web" / "static")), "static")

    for feature in FEATURES:
        module = importlib.import_module(f"silian.{feature}.routes")
        app.include_router(module.router)
        if hasattr(module, "api"):
            app.include_router(module.api)
    app.include_router(pages.router)
    if settings.auto_match:
        from silian.matching.jobs import enable_auto_matching

        enable_auto_matching(settings)
    # Included routers are wrapped in FastAPI ≥ 0.16x; walk them to find every page path.
    paths = {getattr(r, "path", "") for r in iter_route_contexts(app.routes)}
    app.state.page_paths = paths

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness and database check."""
        with app.state.session_factory() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.middleware("http")
    async def csrf_cookie_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = request.cookies.get(CSRF_COOKIE)
        fresh = not token
        request.state.csrf_token = token or new_csrf_token()
        request.state.user = None
        response = await call_next(request)
        if fresh and not _is_api(request):
            response.set_cookie(
                CSRF_COOKIE,
                request.state.csrf_token,
                httponly=True,
                samesite="strict",
                secure=settings.secure_cookies,
                path="/",
            )
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(SilianError)
    async def silian_error(request: Request, exc: SilianError) -> Response:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {}
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.message, "errors": errors}, status_code=exc.status_code
            )
        return render(
            request, "error.html", {"message": exc.message, "errors": errors}, exc.status_code
        )

    @app.exception_handler(StaleDataError)
    async def stale_write(request: Request, _exc: StaleDataError) -> Response:
        # Two writers read the same version; the second UPDATE matched no row.
        message = "此记录刚被他人修改，您的保存未生效，请刷新后重试"
        if _is_api(request):
            return JSONResponse({"detail": message, "errors": {}}, status_code=409)
        return render(request, "error.html", {"message": message}, 409)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        message = {404: "页面不存在", 405: "不支持的请求方式"}.get(exc.status_code, str(exc.detail))
        return render(request, "error.html", {"message": message}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
            errors.setdefault(".".join(loc) or "__all__", message_for(error))
        if _is_api(request):
            return JSONResponse({"detail": "请求参数有误", "errors": errors}, status_code=422)
        return render(request, "error.html", {"message": "请求参数有误", "errors": errors}, 422)

    return app
