"""One-time messages shown on the page a user lands on after an action (set on the redirect)."""

from __future__ import annotations

from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

FLASH_COOKIE = "silian_flash"
MAX_LENGTH = 300  # a sentence; longer text is cut so the cookie stays small


def redirect(url: str, message: str, status_code: int = 303) -> RedirectResponse:
    """Redirect to url and show message there once."""
    response = RedirectResponse(url, status_code=status_code)
    response.set_cookie(
        FLASH_COOKIE, quote(message[:MAX_LENGTH]), httponly=True, samesite="lax", path="/"
    )
    return response


def pending(request: Request) -> str:
    """The message waiting for this request ("" when none)."""
    raw = request.cookies.get(FLASH_COOKIE)
    return unquote(raw)[:MAX_LENGTH] if raw else ""


def clear(response: Response) -> None:
    """Forget the message once a page has shown it."""
    response.delete_cookie(FLASH_COOKIE, path="/")
