"""Account services: creating users, signing in with throttling, signing out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import LoginAttempt, User
from silian.accounts.schemas import UserIn
from silian.accounts.security import hash_password, verify_password
from silian.config import get_settings
from silian.core import audit
from silian.core.db import utcnow
from silian.core.errors import NotFound, SilianError, ValidationFailed
from silian.core.validation import parse
from silian.organizations.models import Organization

# Failures from one address across all usernames before it is locked out too.
MAX_FAILURES_PER_IP = 30


class LoginFailed(SilianError):
    """Wrong username or password (deliberately not saying which)."""

    status_code = 401


class LoginThrottled(SilianError):
    """Too many recent failures for this username or address."""

    status_code = 429


def create_user(session: Session, actor: User | None, data: dict[str, Any]) -> User:
    """Create a user with a hashed password; writes the audit log."""
    clean = parse(UserIn, data)
    if session.scalar(select(User.id).where(User.username == clean.username)):
        raise ValidationFailed({"username": "该用户名已存在"})
    if (
        clean.organization_id is not None
        and session.get(Organization, clean.organization_id) is None
    ):
        raise ValidationFailed({"organization_id": "机构不存在"})
    user = User(
        username=clean.username,
        password_hash=hash_password(clean.password),
        role=clean.role,
        display_name=clean.display_name or clean.username,
        organization_id=clean.organization_id,
    )
    session.add(user)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity=user,
        summary=f"创建用户 {user.username}（{user.role_label}）",
        changes={"username": [None, user.username], "role": [None, user.role]},
    )
    return user


def find_organization(session: Session, name_or_id: str) -> Organization:
    """Organisation by id or exact name, for the CLI."""
    org = None
    if name_or_id.isdigit():
        org = session.get(Organization, int(name_or_id))
    if org is None:
        org = session.scalar(select(Organization).where(Organization.name == name_or_id))
    if org is None:
        raise NotFound(f"机构不存在：{name_or_id}")
    return org


def _recent_failures(session: Session, column: Any, value: str) -> int:
    settings = get_settings()
    since = utcnow() - timedelta(seconds=settings.login_lock_seconds)
    last_success = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(column == value, LoginAttempt.success)
    )
    if last_success is not None and last_success.tzinfo is None:
        last_success = last_success.replace(tzinfo=since.tzinfo)
    if last_success is not None and last_success > since:
        since = last_success
    return (
        session.scalar(
            select(func.count()).where(
                column == value, LoginAttempt.success.is_(False), LoginAttempt.created_at > since
            )
        )
        or 0
    )


def authenticate(session: Session, username: str, password: str, ip: str = "") -> User:
    """Check credentials, recording the attempt; throttles repeated failures."""
    settings = get_settings()
    username = (username or "").strip()
    if _recent_failures(
        session, LoginAttempt.username, username
    ) >= settings.login_max_failures or (
        ip and _recent_failures(session, LoginAttempt.ip, ip) >= MAX_FAILURES_PER_IP
    ):
        minutes = settings.login_lock_seconds // 60
        raise LoginThrottled(f"登录失败次数过多，请{minutes}分钟后再试")
    user = session.scalar(select(User).where(User.username == username))
    ok = bool(user and user.is_active and verify_password(user.password_hash, password))
    session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if not ok or user is None:
        session.commit()  # the failure must count even though we raise
        raise LoginFailed("用户名或密码错误")
    user.last_login_at = utcnow()
    session.commit()
    return user


def logout(session: Session, user: User) -> None:
    """Invalidate every session cookie issued to user so far."""
    user.session_version += 1
    session.commit()


def get_user(session: Session, user_id: int) -> User | None:
    """Active user by id."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None
