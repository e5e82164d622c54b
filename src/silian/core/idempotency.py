"""Idempotent API creates: a retried POST with the same Idempotency-Key creates nothing twice.

A client that lost the connection after sending a create cannot know whether it was committed.
It retries with the same ``Idempotency-Key`` header: the same key with the same body (same user,
same endpoint) gets the first result again — status and body — and nothing is created; the same
key with a different body is refused (422). The key is stored in the create's own transaction,
so a crash leaves either both the record and its key or neither. Keys expire after
``KEY_LIFETIME`` (24 hours); after that the key may be used afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from silian.core.db import Base, utcnow
from silian.core.errors import ValidationFailed

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 200
REPLAY_HEADER = "Idempotent-Replayed"
KEY_HELP = (
    "Optional. A unique string per intended create (e.g. a UUID). Retrying with the same key and "
    "body within 24 hours returns the first result without creating again; the same key with a "
    "different body is refused with 422."
)

T = TypeVar("T")


class IdempotencyKey(Base):
    """One create done under a client's Idempotency-Key, with the response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), nullable=False)
    # Endpoint and body digest: the same key may only ever mean the same request.
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(nullable=False)
    response_body: Mapped[Any] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)


def idempotency_key(
    key: str | None = Header(None, alias="Idempotency-Key", description=KEY_HELP),
) -> str | None:
    """API dependency: the request's Idempotency-Key (documented on every create)."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            {"Idempotency-Key": f"幂等键须为1至{MAX_KEY_LENGTH}个可见字符"},
            "Idempotency-Key 请求头无效",
        )
    return key


def _request_hash(request: Request, body: BaseModel) -> str:
    payload = {
        "method": request.method,
        "path": request.url.path,
        "body": body.model_dump(mode="json"),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _stored(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if row is not None and _aware(row.expires_at) <= utcnow():
        return None
    return row


def _replay(row: IdempotencyKey, digest: str) -> JSONResponse:
    if row.request_hash != digest:
        raise ValidationFailed(
            {"Idempotency-Key": "此幂等键已用于另一个不同的请求"},
            "同一个 Idempotency-Key 只能用于同一个请求：请求内容不同，请换一个新的幂等键",
        )
    return JSONResponse(
        row.response_body, status_code=row.status_code, headers={REPLAY_HEADER: "true"}
    )


def idempotent_create(
    request: Request,
    session: Session,
    user: Any,
    key: str | None,
    body: BaseModel,
    create: Callable[[], T],
    render: Callable[[T], Any],
    status_code: int = 201,
) -> JSONResponse:
    """Run a create service once per (user, key): replay the first result on a retry.

    create runs inside a savepoint, so the service's own commit only flushes; the record, its
    audit row and the key row are then committed together here.
    """
    if key is None:
        item = create()
        return JSONResponse(jsonable_encoder(render(item)), status_code=status_code)
    digest = _request_hash(request, body)
    user_id = int(user.id)  # read now: after the rollback below it would be reloaded
    found = _stored(session, user_id, key)
    if found is not None:
        return _replay(found, digest)
    session.rollback()  # end the read so the create starts a transaction of its own
    try:
        with session.begin_nested():
            now = utcnow()
            # An expired key of the same name makes way for the new one. Writing first also
            # takes SQLite's write lock before any read, so a racing retry waits for this one
            # instead of failing to upgrade a read snapshot.
            session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.user_id == user_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.expires_at <= now,
                )
            )
            item = create()
            content = jsonable_encoder(render(item))
            session.add(
                IdempotencyKey(
                    user_id=user_id,
                    key=key,
                    request_hash=digest,
                    status_code=status_code,
                    response_body=content,
                    created_at=now,
                    expires_at=now + KEY_LIFETIME,
                )
            )
        session.commit()
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer as it did.
        session.rollback()
        found = _stored(session, user_id, key)
        if found is None:
            raise
        return _replay(found, digest)
    return JSONResponse(content, status_code=status_code)


def purge_expired(session: Session) -> int:
    """Delete expired keys; returns how many (a maintenance step, not needed for correctness)."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
