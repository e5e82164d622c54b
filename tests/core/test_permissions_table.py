"""The declared permission table: who may do what, and the ownership rule."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Boolean, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

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


def test_ownership_follows_the_models_owner_unit_key() -> None:
    """A named class is its school's, a unit its members', a talent profile its person's."""
    school_class = SimpleNamespace(owner_unit_key="university_id", university_id=5)
    unit = SimpleNamespace(owner_unit_key="id", id=5)
    profile = SimpleNamespace(owner_unit_key=None, organization_id=5, user_id=42)
    colleague = _user("university", org=5, uid=7)
    assert permissions.owns(colleague, school_class) and permissions.owns(colleague, unit)
    assert not permissions.owns(colleague, profile)
    assert permissions.owns(_user("expert", org=5, uid=42), profile)


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    """A listing-like row: a unit, a creator and a public flag."""

    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int]
    created_by_id: Mapped[int | None]
    public: Mapped[bool] = mapped_column(Boolean)


def test_visible_where_builds_the_features_visibility(tmp_path: Path) -> None:
    """sees_everything → every row; owner roles → public plus own unit's and own rows;
    visitors → public rows only."""
    engine = create_engine(f"sqlite:///{tmp_path}/v.db")
    _Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Row(id=1, organization_id=1, created_by_id=None, public=True),
                Row(id=2, organization_id=1, created_by_id=None, public=False),
                Row(id=3, organization_id=2, created_by_id=9, public=False),
                Row(id=4, organization_id=3, created_by_id=None, public=False),
            ]
        )
        s.commit()

        def ids(user: SimpleNamespace | None) -> list[int]:
            where = permissions.visible_where(user, "demand.view_unpublished", Row, Row.public)
            return list(s.scalars(select(Row.id).where(where).order_by(Row.id)))

        assert ids(None) == [1]
        assert ids(_user("office")) == [1, 2, 3, 4]
        assert ids(_user("enterprise", org=1, uid=5)) == [1, 2]
        assert ids(_user("broker", org=None, uid=9)) == [1, 3]
