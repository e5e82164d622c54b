"""Roles a user can hold (defined in `silian.core.roles`, below every feature)."""

from silian.core.roles import ROLES

__all__ = ["ROLES"]
