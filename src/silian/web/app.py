"""The FastAPI application: routers, static files, security headers and error pages."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from importlib.resources import files
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from silian import __version__
from silian.accounts.service import get_user
from silian.config import Settings, get_settings
from silian.core.actors import USER_LOADER
from silian.core.db import session_factory
from silian.core.errors import SilianError, StaleEdit, ValidationFailed
from silian.core.tokens import new_csrf_token
from silian.core.validation import field_path, message_for
from silian.core.web import (
    CSRF_COOKIE,
    InputGuard,
    LoginRequired,
    render,
    session_csrf,
    session_user,
    set_csrf_cookie,
    templates,
)
from silian.reference.data import region_name
from silian.web import pages
from silian.web.openapi import describe_error_bodies

# Feature packages whose routes.py defines `router` (pages) and optionally `api` (REST).
FEATURES = (
    "accounts",
    "achievements",
    "demands",
    "organizations",
    # Before talent: its /talents/me workspace must precede /talents/{talent_id}.
    "hiring",
    "talent",
    "education",
    "matching",
    "insights",
    "io",
    "challenges",
    "brokerage",
    "notifications",
    "meetings",
    "events",
    "subsidies",
    "training",
    "platforms",
    "coordination",
    "consortia",
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


HSTS = "max-age=31536000; includeSubDomains"
SWAGGER_REDIRECT_PAGE = """<!doctype html>
<html lang="zh-CN">
<body>
<script src="/static/vendor/swagger-ui/oauth2-redirect.js"></script>
</body>
</html>
"""
SWAGGER_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title} · API 文档</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}" data-oauth2-redirect-url="/docs/oauth2-redirect">
</div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""
# Starlette's English defaults for errors raised without a detail, in Chinese for the API.
API_MESSAGES = {
    401: "需要登录令牌",
    403: "无权执行此操作",
    404: "记录不存在",
    405: "不支持的请求方式",
    413: "请求内容过大",
    415: "不支持的内容类型",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method some route serves at the request's path (for a 405's Allow header)."""
    methods: set[str] = set()
    for pattern, route_methods in app.state.route_methods:
        if pattern.match(request.url.path):
            methods |= route_methods
    return ", ".join(sorted(methods))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for settings (the environment's by default)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Silian 四链融合平台 API",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from vendored assets, without an inline script
        redoc_url=None,
    )
    app.state.settings = settings
    # Region codes read as names on every page (370214 → 山东省青岛市城阳区).
    templates().filters["region"] = lambda code: region_name(str(code)) or code if code else ""
    app.state.session_factory = session_factory(settings.database_url)
    setattr(app.state, USER_LOADER, get_user)
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
    app.state.route_methods = [
        (compile_path(r.path)[0], set(r.methods or ()))
        for r in iter_route_contexts(app.routes)
        if r.path and r.methods
    ]

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI from the package: vendor/swagger-ui (unmodified) and swagger-init.js."""
        return HTMLResponse(SWAGGER_PAGE.format(openapi=app.openapi_url, title=app.title))

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def api_docs_oauth2_redirect() -> HTMLResponse:
        """Swagger UI's OAuth2 redirect page, its script from the package too."""
        return HTMLResponse(SWAGGER_REDIRECT_PAGE)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness and database check."""
        with app.state.session_factory() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    # Inner to the header middleware below, so its refusals carry the security headers too.
    app.add_middleware(InputGuard)

    @app.middleware("http")
    async def csrf_cookie_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        cookie = request.cookies.get(CSRF_COOKIE)
        # A signed-in page uses the token bound to its session; a visitor keeps its cookie's.
        request.state.csrf_token = session_csrf(request) or cookie or new_csrf_token()
        request.state.user = None
        response = await call_next(request)
        sets_cookie = any(
            k == b"set-cookie" and v.startswith(CSRF_COOKIE.encode() + b"=")
            for k, v in response.raw_headers
        )
        if cookie != request.state.csrf_token and not sets_cookie and not _is_api(request):
            set_csrf_cookie(response, request.state.csrf_token, settings)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
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

    @app.exception_handler(StaleEdit)
    async def stale_edit(request: Request, exc: StaleEdit) -> Response:
        if not _is_api(request):
            return render(request, "error.html", {"message": exc.message}, exc.status_code)
        # A conditional PUT (If-Match) that lost: 412 with the current ETag when known.
        status = 412 if request.headers.get("if-match") else exc.status_code
        headers = {"ETag": f'"{exc.current_version}"'} if exc.current_version else None
        return JSONResponse(
            {"detail": exc.message, "errors": {}}, status_code=status, headers=headers
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (an id beyond a 32-bit column in a body or query):
        # the request is wrong, not the server.
        if "out of range" not in str(exc.orig).lower():
            raise exc
        message = "数值超出范围：请检查编号或数字"
        if _is_api(request):
            return JSONResponse({"detail": message, "errors": {}}, status_code=422)
        return render(request, "error.html", {"message": message}, 422)

    @app.exception_handler(StaleDataError)
    async def stale_write(request: Request, _exc: StaleDataError) -> Response:
        # Two writers read the same version; the second UPDATE matched no row.
        message = "此记录刚被他人修改，您的保存未生效，请刷新后重试"
        if _is_api(request):
            return JSONResponse({"detail": message, "errors": {}}, status_code=409)
        return render(request, "error.html", {"message": message}, 409)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(app, request)
        if _is_api(request):
            detail = str(exc.detail)
            if detail == HTTPStatus(exc.status_code).phrase:  # Starlette's English default
                detail = API_MESSAGES.get(exc.status_code, "请求无法处理")
            return JSONResponse(
                {"detail": detail, "errors": {}}, status_code=exc.status_code, headers=headers
            )
        message = {404: "页面不存在", 405: "不支持的请求方式"}.get(exc.status_code, str(exc.detail))
        # An unknown path runs no route, so no dependency has read the session: read it here,
        # so a signed-in user keeps their header (name, menu, sign-out) on the error page.
        with app.state.session_factory() as db:
            if getattr(request.state, "user", None) is None:
                request.state.user = session_user(request, db)
            return render(request, "error.html", {"message": message}, exc.status_code, headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors: dict[str, str] = {}
        for error in exc.errors():
            errors.setdefault(field_path(error.get("loc")), message_for(error))
        if _is_api(request):
            return JSONResponse({"detail": "请求参数有误", "errors": errors}, status_code=422)
        return render(request, "error.html", {"message": "请求参数有误", "errors": errors}, 422)

    describe_error_bodies(app)
    return app
