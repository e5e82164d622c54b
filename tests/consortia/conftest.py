"""Consortium tests sign in many users: argon2 at minimal cost keeps them fast."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from silian.accounts import security


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with minimal cost (hashes stay argon2)."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
