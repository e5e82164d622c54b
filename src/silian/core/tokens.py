"""Signed tokens for sessions, API access and CSRF, and their constant-time comparison."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def make_token(secret: str, salt: str, payload: dict[str, Any]) -> str:
    """Sign payload into a URL-safe token for one purpose (salt)."""
    return _serializer(secret, salt).dumps(payload)


def read_token(secret: str, salt: str, token: str, max_age: int) -> dict[str, Any] | None:
    """Payload of a valid, unexpired token, else None."""
    try:
        data = _serializer(secret, salt).loads(token, max_age=max_age)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def new_csrf_token() -> str:
    """A fresh random CSRF token."""
    return secrets.token_urlsafe(32)


def tokens_match(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; missing tokens never match."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())
