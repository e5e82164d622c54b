"""Account services: creating users, signing in with throttling, signing out."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import LoginAttempt, User
from silian.accounts.schemas import UserIn
from silian.accounts.security import hash_password, verify_password
from silian.config import Settings, get_settings
from silian.core import audit
from silian.core.db import utcnow
from silian.core.errors import NotFound, SilianError, ValidationFailed
from silian.core.validation import parse
from silian.organizations.models import Organization


class LoginFailed(SilianError):
    """Wrong username or password (deliberately not saying which)."""

    status_code = 401

    def __init__(self, message: str, delay: float = 0.0) -> None:
        super().__init__(message)
        # Seconds the caller should wait before answering (a throttled address is slowed).
        self.delay = delay


class LoginThrottled(LoginFailed):
    """Too many recent failures for this account, or a failure from a throttled address."""

    status_code = 429

    def __init__(self, message: str, retry_after: int, delay: float = 0.0) -> None:
        super().__init__(message, delay)
        self.retry_after = retry_after


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


def _failures_since(session: Session, column: Any, value: str, since: datetime) -> list[datetime]:
    """Times of failed attempts matching column == value after since, oldest first."""
    rows = session.scalars(
        select(LoginAttempt.created_at)
        .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.created_at > since)
        .order_by(LoginAttempt.created_at)
    ).all()
    return [_aware(t) for t in rows]


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _account_lock(session: Session, username: str, settings: Settings) -> int:
    """Seconds until the account username is unlocked (0 when it is not locked).

    Failures count from every address; a success ends the run of failures before it.
    """
    now = utcnow()
    since = now - timedelta(seconds=settings.login_lock_seconds)
    last_success = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.username == username, LoginAttempt.success
        )
    )
    if last_success is not None and _aware(last_success) > since:
        since = _aware(last_success)
    failures = _failures_since(session, LoginAttempt.username, username, since)
    if len(failures) < settings.login_max_failures:
        return 0
    # Locked until the oldest failure that still counts leaves the window.
    oldest = failures[len(failures) - settings.login_max_failures]
    unlock = oldest + timedelta(seconds=settings.login_lock_seconds)
    return max(1, math.ceil((unlock - now).total_seconds()))


def _address_throttled(session: Session, ip: str, settings: Settings) -> bool:
    """True when ip has more failed attempts (all usernames) in the window than allowed."""
    if not ip:
        return False
    since = utcnow() - timedelta(seconds=settings.login_lock_seconds)
    count = session.scalar(
        select(func.count()).where(
            LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.created_at > since
        )
    )
    return (count or 0) >= settings.login_max_address_failures


def authenticate(
    session: Session,
    username: str,
    password: str,
    ip: str = "",
    settings: Settings | None = None,
) -> User:
    """Check credentials, recording the attempt; throttles by account and by address.

    An account with too many recent failures (from any address) is locked for the window:
    every attempt for it is refused unchecked. An address with too many recent failures
    (any usernames) is only slowed: its attempts are still checked, so a right password for an
    account that is not itself locked succeeds, while its failures answer 429 after a delay.
    A shared address (an office behind NAT or a proxy) therefore never locks out its users.
    """
    settings = settings or get_settings()
    username = (username or "").strip()[:64]
    wait = _account_lock(session, username, settings)
    if wait:
        minutes = max(1, math.ceil(wait / 60))
        raise LoginThrottled(f"该账号登录失败次数过多，请{minutes}分钟后再试", wait)
    throttled = _address_throttled(session, ip, settings)
    found = session.execute(
        select(User.id, User.password_hash, User.is_active).where(User.username == username)
    ).first()
    # Hand the connection back before hashing: argon2 takes a while (and 64 MiB), and many
    # simultaneous sign-ins must not hold every pooled connection while they hash.
    session.rollback()
    # Verify against a dummy hash for unknown users so timing does not reveal which exist.
    with _HASHING:
        matches = verify_password(found.password_hash if found else _dummy_hash(), password)
    ok = bool(found and found.is_active and matches)
    session.add(LoginAttempt(username=username, ip=ip[:64], success=ok))
    user = session.get(User, found.id) if ok and found else None
    if not ok or user is None:
        session.commit()  # the failure must count even though we raise
        if throttled:
            raise LoginThrottled(
                "该地址登录失败次数过多，请稍后再试",
                settings.login_lock_seconds,
                settings.login_address_delay,
            )
        raise LoginFailed("用户名或密码错误")
    user.last_login_at = utcnow()
    session.commit()
    return user


# Password checks at once: beyond the cores they only queue, each holding argon2's memory.
_HASHING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def client_address(peer: str, forwarded_for: str | None, trusted_proxies: Sequence[str]) -> str:
    """The client's address: the socket peer, or from X-Forwarded-For when the peer is trusted.

    Walks X-Forwarded-For from the right (the hop nearest to us), skipping trusted proxies; the
    first address that is not a trusted proxy is the client. Entries a client wrote itself (to
    the left of that) are never believed.
    """
    networks = [ipaddress.ip_network(n, strict=False) for n in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    if not forwarded_for or not trusted(peer):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed hop: fall back to the proxy itself
    return hops[0] if hops else peer


def logout(session: Session, user: User) -> None:
    """Invalidate every session cookie issued to user so far."""
    user.session_version += 1
    session.commit()


def get_user(session: Session, user_id: int) -> User | None:
    """Active user by id."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None
