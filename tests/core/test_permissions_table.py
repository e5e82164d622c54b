"""The declared permission table: who may do what, and the ownership rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from silian.core import permissions
from silian.core.errors import PermissionDenied


def _user(role: str, org: int | None = None, uid: int = 1, active: bool = True) -> SimpleNamespace:
    return SimpleNamespace(role=role, organization_id=org, id=uid, is_active=active)


def test_anyone_roles_act_on_every_record_owner_roles_on_their_own() -> None:
    record = SimpleNamespace(organization_id=5, created_by_id=99)
    assert permissions.can(_user("office"), "demand.edit", record)
    assert permissions.can(_user("enterprise", org=5), "demand.edit", record)
    assert not permissions.can(_user("enterprise", org=6), "demand.edit", record)
    assert not permissions.can(_user("broker", org=5), "demand.edit", record)
    # The creator owns a record even without a unit.
    assert permissions.can(_user("expert", uid=99), "achievement.edit", record)


def test_visitors_and_inactive_users_may_do_nothing() -> None:
    assert not permissions.can(None, "demand.view_unpublished")
    assert not permissions.can(_user("office", active=False), "demand.review")


def test_create_actions_need_only_the_role() -> None:
    assert permissions.can(_user("enterprise", org=1), "demand.create")
    assert not permissions.can(_user("university", org=1), "demand.create")
    assert permissions.roles_for("demand.create") == {"enterprise", "office"}


def test_require_raises_the_rules_chinese_message() -> None:
    with pytest.raises(PermissionDenied, match="只有企业和政府部门可以发布需求"):
        permissions.require(_user("expert"), "demand.create")


def test_undeclared_action_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        permissions.can(_user("office"), "demand.fly")


def test_every_rule_names_known_roles() -> None:
    for action, rule in permissions.PERMISSIONS.items():
        assert rule.roles, action
        assert rule.roles <= permissions.ALL_ROLES, action
        assert "." in action, action
