"""The declared permission table: who may do what, and the ownership rule."""

from __future__ import annotations

import ast
import re
from pathlib import Path
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


SRC = Path(__file__).resolve().parents[2] / "src" / "silian"
TABLE = SRC / "core" / "permissions.py"


def _role_checks_in_python(path: Path, root: Path = SRC) -> list[str]:
    """Comparisons of a .role attribute, and role sets named *_ROLES, in one module."""
    found = []
    where = path.relative_to(root)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Attribute) and o.attr == "role" for o in operands):
                found.append(f"{where}:{node.lineno}: compares .role")
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id.endswith("_ROLES"):
                found.append(f"{where}:{node.lineno}: role set {target.id}")
        if isinstance(node, ast.Name) and node.id == "require_role":
            found.append(f"{where}:{node.lineno}: require_role")
    return found


ROLE_IN_TEMPLATE = re.compile(r"\brole\s*(==|!=|\bin\b|\bnot in\b)|\.role\b(?!_label)")


def test_no_role_literal_checks_outside_the_permission_table() -> None:
    """Every who-may-do-what question goes through core.permissions: no feature, route or
    template compares a user's role itself (role_label for display is fine)."""
    problems: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if path != TABLE:
            problems += _role_checks_in_python(path)
    for path in sorted(SRC.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_IN_TEMPLATE.search(line):
                problems.append(f"{path.relative_to(SRC)}:{number}: {line.strip()[:80]}")
    assert not problems, "role checks outside core/permissions.py:\n" + "\n".join(problems)


def test_the_guard_catches_a_role_comparison(tmp_path: Path) -> None:
    """The scan above is not blind: it flags the patterns it forbids."""
    module = tmp_path / "feature.py"
    module.write_text(
        'POSTER_ROLES = {"office"}\nok = user.role == "office"\nrequire_role("office")\n',
        encoding="utf-8",
    )
    assert _role_checks_in_python(module, tmp_path) == [
        "feature.py:1: role set POSTER_ROLES",
        "feature.py:2: compares .role",
        "feature.py:3: require_role",
    ]
    assert ROLE_IN_TEMPLATE.search("{% if user.role in ('office',) %}")
    assert ROLE_IN_TEMPLATE.search("{% set role = user.role %}")
    assert not ROLE_IN_TEMPLATE.search("{{ user.role_label }}")
