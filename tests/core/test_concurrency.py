"""Optimistic concurrency helpers: version checks, ETags, and the version column at work."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from silian.core.concurrency import (
    Versioned,
    check_version,
    etag,
    version_from_etag,
    version_from_form,
)
from silian.core.errors import StaleEdit


class _Base(DeclarativeBase):
    pass


class _Row(Versioned, _Base):
    __tablename__ = "versioned_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


def test_check_version_refuses_an_old_version() -> None:
    record = SimpleNamespace(version=3)
    check_version(record, 3)
    check_version(record, None)
    with pytest.raises(StaleEdit) as info:
        check_version(record, 2)
    assert info.value.current_version == 3
    assert info.value.status_code == 409


def test_etag_round_trip_and_junk() -> None:
    assert etag(SimpleNamespace(version=7)) == '"7"'
    assert version_from_etag('"7"') == 7
    assert version_from_etag('W/"7"') == 7
    assert version_from_etag("*") is None
    assert version_from_etag('"x"') is None
    assert version_from_etag(None) is None
    assert version_from_form("4") == 4
    assert version_from_form("") is None
    assert version_from_form("abc") is None


def test_second_writer_of_the_same_version_fails() -> None:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(_Row(name="a"))
        s.commit()
    first, second = Session(engine), Session(engine)
    a, b = first.get(_Row, 1), second.get(_Row, 1)
    assert a is not None and b is not None and a.version == b.version == 1
    a.name = "first"
    first.commit()
    assert a.version == 2
    b.name = "second"
    with pytest.raises(StaleDataError):
        second.commit()
    second.rollback()
    with Session(engine) as s:
        row = s.get(_Row, 1)
        assert row is not None and (row.name, row.version) == ("first", 2)
