"""Import rows through the same services as the web, all or nothing; export what a user may see."""

from __future__ import annotations

import csv
import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, object_session

import silian.models  # noqa: F401  (every mapper configured before the first query)
from silian.accounts.models import User
from silian.achievements import service as achievement_service
from silian.achievements.models import Achievement
from silian.achievements.schemas import AchievementIn
from silian.chains.models import IndustryChain
from silian.coordination import service as project_service
from silian.coordination.models import InvestmentProject
from silian.coordination.schemas import InvestmentProjectIn, NeedsError, needs_text, parse_needs
from silian.core import events
from silian.core.errors import NotFound, SilianError, ValidationFailed
from silian.core.fields import clean_for_export, people_text, text_problem
from silian.core.money import YUAN, format_money, unit_in
from silian.core.permissions import can, roles_for
from silian.core.validation import parse
from silian.demands import service as demand_service
from silian.demands.models import Demand
from silian.demands.schemas import DemandIn
from silian.education import service as education_service
from silian.education.models import NamedClass
from silian.education.schemas import NamedClassIn
from silian.io import values
from silian.io.columns import (
    KIND_LABELS,
    KINDS,
    LIST_SEPARATOR,
    NEGOTIABLE,
    ORG_HEADER,
    Column,
    by_field,
    columns_for,
    match_header,
    resolve_target,
)
from silian.io.reader import ROW_NUMBER, FileProblem, Table, file_format, read_table
from silian.io.synonyms import fold, normalise_header
from silian.io.values import CellError
from silian.organizations.models import Organization
from silian.subsidies import service as subsidy_service
from silian.subsidies.models import Policy, SubsidyApplication
from silian.subsidies.schemas import ApplicationIn
from silian.talent import service as talent_service
from silian.talent.models import TalentNeed
from silian.talent.schemas import TalentNeedIn

Progress = Callable[[int, int], None]
WHOLE_ROW = "（整行）"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PREVIEW_ROWS = 10
#: The declared permission (core.permissions) that lets a user import each kind of record.
IMPORT_ACTIONS = {
    "achievements": "achievement.import",
    "demands": "demand.import",
    "investment-projects": "investment_project.import",
    "named-classes": "named_class.import",
    "talent-needs": "talent_need.import",
    "subsidy-applications": "subsidy.import",
}
_ASCII_FIELDS = frozenset({"contact_phone", "patent_numbers"})
IGNORE = "__ignore__"


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (None for the whole file), the column header, why."""

    row: int | None
    column: str
    reason: str


@dataclass
class ColumnUse:
    """How one column of the file is read: its header as written and the field it fills.

    how is known (recognised by name or synonym), mapped (the user said which field),
    ignored (the user said to ignore it), numbering (序号), export_only (状态) or unknown.
    """

    index: int
    header: str
    field: str | None = None
    label: str = ""
    how: str = "unknown"
    unit: Decimal = YUAN
    suggestions: list[str] = dataclasses.field(default_factory=list)

    @property
    def letter(self) -> str:
        """The spreadsheet column letter (A, B, … AA)."""
        from openpyxl.utils import get_column_letter

        return get_column_letter(self.index + 1)

    @property
    def unit_label(self) -> str:
        """万元 / 亿元 / 元 for money columns whose header names a unit."""
        return {Decimal(10_000): "万元", Decimal(100_000_000): "亿元"}.get(self.unit, "元")


@dataclass
class PreviewRow:
    """One data row as it will be stored: field → display text, and the fields in error."""

    row: int
    values: dict[str, str]
    bad: set[str] = field(default_factory=set)


@dataclass
class ImportReport:
    """What an import found and did."""

    kind: str
    path: Path
    total: int = 0
    created: int = 0
    updated: int = 0
    published: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    encoding: str = ""
    sheet: str = ""
    header_row: int | None = None
    columns: list[ColumnUse] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def unknown_columns(self) -> list[ColumnUse]:
        """Columns nobody has said what to do with: they stop the import."""
        return [c for c in self.columns if c.how == "unknown"]

    @property
    def preview_fields(self) -> list[tuple[str, str]]:
        """(field, header) of the columns the preview shows, in the file's order."""
        out: list[tuple[str, str]] = []
        for use in self.columns:
            pair = (use.field or "", use.label)
            if use.field and use.how in ("known", "mapped") and pair not in out:
                out.append(pair)
        return out

    @property
    def invalid_rows(self) -> list[int]:
        """Spreadsheet rows with at least one error, in order."""
        return sorted({e.row for e in self.errors if e.row is not None})

    @property
    def file_error(self) -> bool:
        """True when the file as a whole could not be imported (no row was looked at)."""
        return any(e.row is None for e in self.errors)

    @property
    def ok(self) -> bool:
        """True when every row is valid."""
        return not self.errors

    def summary(self) -> str:
        """One Chinese sentence saying what happened."""
        noun = KIND_LABELS[self.kind]
        done = f"新增 {self.created} 条、更新 {self.updated} 条{noun}"
        if self.published:
            done += f"（其中 {self.published} 条已发布）"
        bad = len(self.invalid_rows)
        if self.file_error:
            return "文件无法导入，未写入任何数据"
        if self.dry_run:
            if bad:
                return f"检查完成：共 {self.total} 行，{bad} 行有错误；未写入任何数据（试运行）"
            return f"检查通过：共 {self.total} 行，可{done}；未写入任何数据（试运行）"
        if not self.written:
            if bad:
                return (
                    f"共 {self.total} 行，{bad} 行有错误，未写入任何数据。"
                    "请修改后重新导入，或使用 --skip-invalid 只导入正确的行"
                )
            return "没有写入任何数据"
        if bad:
            return f"已{done}；跳过 {bad} 行有错误的数据"
        return f"导入成功：已{done}"


# ---------------------------------------------------------------- kinds


@dataclass(frozen=True)
class _Kind:
    model: type[Any]
    schema: type[BaseModel]
    create: Callable[[Session, User, dict[str, Any]], Any]
    update: Callable[[Session, User, int, dict[str, Any]], Any]
    change_status: Callable[..., Any]
    visible_query: Callable[[User | None], Any]
    permission: str  # the import action in core.permissions
    # The schema field the 单位名称 column fills (None: the kind has no owning-unit column).
    org_field: str | None = "organization_id"
    # The record a row updates, found by its natural key (kinds without 外部编号).
    find: Callable[[Session, dict[str, Any]], Any] | None = None


def _find_project(session: Session, data: dict[str, Any]) -> Any:
    return session.scalar(
        select(InvestmentProject).where(InvestmentProject.name == data.get("name"))
    )


def _find_class(session: Session, data: dict[str, Any]) -> Any:
    return session.scalar(
        select(NamedClass).where(
            NamedClass.university_id == data.get("university_id"),
            NamedClass.name == data.get("name"),
        )
    )


def _no_status_change(*_: Any, **__: Any) -> Any:
    raise SilianError("此类记录导入后无需审核发布")


_KINDS = {
    "achievements": _Kind(
        Achievement,
        AchievementIn,
        achievement_service.create_achievement,
        achievement_service.update_achievement,
        achievement_service.change_status,
        achievement_service.visible_query,
        "achievement.import",
    ),
    "demands": _Kind(
        Demand,
        DemandIn,
        demand_service.create_demand,
        demand_service.update_demand,
        demand_service.change_status,
        demand_service.visible_query,
        "demand.import",
    ),
    "investment-projects": _Kind(
        InvestmentProject,
        InvestmentProjectIn,
        project_service.create_project,
        project_service.update_project,
        _no_status_change,
        project_service.visible_query,
        "investment_project.import",
        org_field=None,
        find=_find_project,
    ),
    "named-classes": _Kind(
        NamedClass,
        NamedClassIn,
        lambda session, user, data: education_service.create_named_class(session, user, data),
        lambda session, user, item_id, data: education_service.update_named_class(
            session, user, item_id, data
        ),
        _no_status_change,
        education_service.visible_query,
        "named_class.import",
        org_field="university_id",
        find=_find_class,
    ),
    "talent-needs": _Kind(
        TalentNeed,
        TalentNeedIn,
        talent_service.create_need,
        lambda session, user, item_id, data: talent_service.update_need(
            session, user, item_id, data
        ),
        _no_status_change,
        talent_service.visible_needs,
        "talent_need.import",
    ),
    "subsidy-applications": _Kind(
        SubsidyApplication,
        ApplicationIn,
        subsidy_service.create_application,
        lambda session, user, item_id, data: subsidy_service.update_application(
            session, user, item_id, data, None
        ),
        _no_status_change,
        subsidy_service.visible_query,
        "subsidy.import",
        # Applications have no natural key: every row is a new draft application.
        find=lambda _session, _data: None,
    ),
}


def _kind(kind: str) -> _Kind:
    if kind not in KINDS:
        raise SilianError(f"未知的数据类型：{kind}（可选 {'、'.join(KINDS)}）")
    return _KINDS[kind]


# ---------------------------------------------------------------- actors


def resolve_actor(session: Session, username: str | None) -> User:
    """The user an import or export acts as: the named one, else the first active office user."""
    if username:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"用户不存在：{username}")
        if not user.is_active:
            raise SilianError(f"用户 {username} 已停用")
        return user
    user = session.scalar(
        select(User)
        .where(User.role.in_(roles_for("record.enter_for_any_unit")), User.is_active.is_(True))
        .order_by(User.id)
    )
    if user is None:
        raise SilianError(
            "没有可用的政府部门（office）账号：请用 --as 指定操作人，"
            "或先运行 silian user create --role office 创建账号"
        )
    return user


# ---------------------------------------------------------------- columns


def _blank(value: Any) -> bool:
    return values.blank(value)


def _text(value: Any) -> str:
    return values.text(value)


def _column_has_data(table: Table, index: int) -> bool:
    return any(index < len(cells) and not _blank(cells[index]) for _, cells in table.rows)


def _suggest(kind: str, header: str) -> list[str]:
    """Canonical headers a header probably means (shared words), best first, at most three."""
    import difflib

    from silian.io.synonyms import SYNONYMS, header_keys

    key = header_keys(header)[-1]
    scored: list[tuple[float, str]] = []
    for col in columns_for(kind):
        if col.export_only:
            continue
        names = [col.header, *SYNONYMS[kind].get(col.field, ())]
        best = max(difflib.SequenceMatcher(None, key, header_keys(n)[-1]).ratio() for n in names)
        if best >= 0.4:
            scored.append((best, col.header))
    scored.sort(key=lambda x: -x[0])
    return [h for _, h in scored[:3]]


def mappable_headers(kind: str) -> list[tuple[str, str]]:
    """(field, header) of every column a file's column can be mapped to."""
    return [(c.field, c.header) for c in columns_for(kind) if not c.export_only]


def _same_header(a: str, b: str) -> bool:
    return normalise_header(a) == normalise_header(b)


def _plan_columns(
    kind: str,
    table: Table,
    mapping: dict[str, str],
    ignore: list[str],
    report: ImportReport,
) -> None:
    """Decide what each column is (recognised, mapped, ignored, unknown) into report.columns."""
    fields = by_field(kind)
    used_map: set[str] = set()
    used_ignore: set[str] = set()
    for index, header in enumerate(table.headers):
        name = header or f"第{index + 1}列"
        if not header and not _column_has_data(table, index):
            continue
        use = ColumnUse(index=index, header=name)
        ignored = next((i for i in ignore if _same_header(i, name)), None)
        target = next((t for h, t in mapping.items() if _same_header(h, name)), None)
        if ignored is not None or target == IGNORE:
            if ignored is not None:
                used_ignore.add(ignored)
            else:
                used_map.update(h for h in mapping if _same_header(h, name))
            use.how = "ignored"
        elif target is not None:
            used_map.update(h for h in mapping if _same_header(h, name))
            col = resolve_target(kind, target)
            if col is None:
                choices = "、".join(h for _, h in mappable_headers(kind))
                report.errors.append(
                    RowError(None, name, f"“{target}”不是可导入的字段；可选：{choices}")
                )
                continue
            use.field, use.label, use.how = col.field, col.header, "mapped"
        else:
            found = match_header(kind, header) if header else None
            if found == ROW_NUMBER:
                use.how = "numbering"
            elif found is not None and fields[found].export_only:
                use.field, use.label, use.how = found, fields[found].header, "export_only"
            elif found is not None:
                use.field, use.label, use.how = found, fields[found].header, "known"
            else:
                use.suggestions = _suggest(kind, name)
        if use.field and fields[use.field].kind == "money":
            use.unit = unit_in(header) or unit_in(table.units.get(index, "")) or YUAN
        report.columns.append(use)
    for header in mapping:
        if header not in used_map:
            report.errors.append(RowError(None, header, f"--map 指定的列“{header}”在表头中不存在"))
    for header in ignore:
        if header not in used_ignore:
            report.errors.append(
                RowError(None, header, f"--ignore 指定的列“{header}”在表头中不存在")
            )
    by_target: dict[str, list[ColumnUse]] = {}
    for use in report.columns:
        if use.field and use.how in ("known", "mapped"):
            by_target.setdefault(use.field, []).append(use)
    for name, uses in by_target.items():
        if len(uses) > 1 and _same_header(uses[0].header, uses[1].header):
            report.errors.append(
                RowError(
                    None,
                    uses[1].header,
                    f"表头“{uses[1].header}”重复出现（第 {uses[0].letter} 列和第 "
                    f"{uses[1].letter} 列）：请删除或忽略其中一列",
                )
            )
        elif len(uses) > 1:
            listed = "”和“".join(u.header for u in uses)
            report.errors.append(
                RowError(
                    None,
                    uses[1].header,
                    f"“{listed}”都对应“{fields[name].header}”：请忽略其中一列"
                    "（--ignore 列名）或把它映射到其他字段（--map 列名=字段）",
                )
            )
    choices = "、".join(h for _, h in mappable_headers(kind))
    for use in report.columns:
        if use.how != "unknown":
            continue
        hint = f"可能对应：{'、'.join(use.suggestions)}。" if use.suggestions else ""
        if not table.headers[use.index]:
            hint = "这一列没有表头但有数据。" + hint
        report.errors.append(
            RowError(
                None,
                use.header,
                f"未知列“{use.header}”（第 {use.letter} 列）：为避免丢失数据，导入已停止。"
                f"请指定它对应的字段（--map {use.header}=字段）或确认忽略"
                f"（--ignore {use.header}）。{hint}可对应的字段：{choices}",
            )
        )


# ---------------------------------------------------------------- import


@dataclass
class _Context:
    kind: str
    spec: _Kind
    actor: User
    org: Organization | None
    uses: list[ColumnUse]
    columns: dict[str, Column]  # field -> column
    chains: dict[str, int]
    chain_names: dict[int, str]
    orgs: dict[str, Organization] | None = None
    session: Session | None = None

    @property
    def positions(self) -> dict[str, int]:
        """field → cell index of the columns that are read."""
        return {u.field: u.index for u in self.uses if u.field and u.how in ("known", "mapped")}


def _chain_lookup(session: Session) -> tuple[dict[str, int], dict[int, str]]:
    out: dict[str, int] = {}
    names: dict[int, str] = {}
    for chain in session.scalars(select(IndustryChain)):
        names[chain.id] = chain.name
        for key in (chain.code, chain.name):
            out[key] = chain.id
            out[fold(key)] = chain.id
            out.setdefault(fold(key).removesuffix("产业链"), chain.id)
            out.setdefault(fold(key).removesuffix("产业链") + "产业", chain.id)
    return out, names


def _queue_mark(session: Session) -> int:
    # Change notifications queued by audit rows; trimmed when we roll back a savepoint so
    # listeners never hear about rows that were not written.
    return len(session.info.get(events._KEY, []))


def _queue_trim(session: Session, mark: int) -> None:
    queued = session.info.get(events._KEY)
    if queued is not None:
        del queued[mark:]


def _org_key(name: str) -> str:
    return fold(name)


def _resolve_org(ctx: _Context, session: Session, raw: Any) -> tuple[int | None, str | None]:
    """(organization id, error) for a row's 单位名称 cell (spaces and full-width forms ignored)."""
    name = "" if _blank(raw) else _text(raw)
    if not can(ctx.actor, "record.enter_for_any_unit"):
        own = ctx.actor.organization
        if name and (own is None or _org_key(name) != _org_key(own.name)):
            unit = own.name if own is not None else "无"
            return None, f"只能导入本单位（{unit}）的记录，不能导入“{name}”的"
        return ctx.actor.organization_id, None
    if ctx.org is not None:
        if name and _org_key(name) != _org_key(ctx.org.name):
            return None, f"“{name}”与 --org 指定的单位“{ctx.org.name}”不一致"
        return ctx.org.id, None
    if not name:
        return None, "必填"
    if ctx.orgs is None:
        ctx.orgs = {_org_key(o.name): o for o in session.scalars(select(Organization))}
    org = ctx.orgs.get(_org_key(name))
    if org is None:
        # 青岛大学（材料学院）: a department noted after the unit's registered name.
        bare = re.sub(r"\([^()]*\)$", "", _org_key(name))
        org = ctx.orgs.get(bare) if bare else None
    if org is None:
        return None, f"单位“{name}”不存在（须与平台上的单位名称一致）"
    return org.id, None


def _read_cell(
    ctx: _Context, use: ColumnUse, col: Column, raw: Any, data: dict[str, Any], implied: dict
) -> None:
    """Put one cell's value into data (and implied values into implied); CellError if unreadable."""
    name = col.field
    kind = col.kind
    if kind == "chain":
        key = _text(raw)
        chain_id = ctx.chains.get(key) or ctx.chains.get(fold(key))
        if chain_id is None:
            raise CellError(f"产业链“{key}”不存在")
        data[name] = chain_id
    elif kind == "money":
        data[name] = values.parse_amount(raw, use.unit)
    elif kind == "date":
        data[name] = values.parse_date(raw).isoformat()
    elif kind == "trl":
        trl, stage = values.parse_maturity(raw)
        data[name] = trl
        if stage:
            implied["stage"] = stage
    elif kind == "int":
        data[name] = values.parse_maturity(raw)[0]
    elif kind == "stage":
        stage, trl = values.parse_stage(raw)
        data[name] = stage
        implied["trl"] = trl
    elif kind == "ip":
        ip_type, status, numbers = values.parse_ip(raw)
        data[name] = ip_type
        if status:
            implied["ip_status"] = status
        if numbers:
            implied["patent_numbers"] = numbers
    elif kind == "choice":
        data[name] = values.choice(name, raw, col.choices)
    elif kind == "choices":
        data[name] = values.choices_list(name, raw)
    elif kind == "people":
        data[name] = values.people(raw)
    elif kind == "region":
        data[name] = values.parse_region(raw)
    elif kind == "unit":
        data[name] = _unit_id(ctx, col, raw)
    elif kind == "project":
        data[name] = _project_id(ctx, raw)
    elif kind == "policy":
        assert ctx.session is not None
        policy_name = unicodedata.normalize("NFKC", _text(raw)).strip()
        found = ctx.session.scalar(select(Policy.id).where(Policy.title == policy_name))
        if found is None:
            raise CellError(f"政策“{policy_name}”不存在（须与平台上的政策名称一致）")
        data[name] = int(found)
    elif kind in ("year", "count"):
        text = unicodedata.normalize("NFKC", _text(raw)).removesuffix("年").removesuffix("届")
        text = text.removesuffix("人").strip()
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        if not re.fullmatch(r"\d{1,6}", text):
            raise CellError("应为年份（如 2027）" if kind == "year" else "应为非负整数")
        data[name] = int(text)
    elif kind == "bool":
        word = fold(_text(raw)).lower()
        if word in ("是", "y", "yes", "true", "1", "√", "✓"):
            data[name] = True
        elif word in ("否", "n", "no", "false", "0", "×", ""):
            data[name] = False
        else:
            raise CellError(f"“{_text(raw)}”应为 是 或 否")
    elif kind == "needs":
        try:
            data[name] = parse_needs(_text(raw))
        except NeedsError as exc:
            # Items of the cell are 项, so the message does not read as a spreadsheet row.
            raise CellError(str(exc).replace(" 行", " 项")) from None
    elif name in _ASCII_FIELDS:
        # Phone and patent numbers typed with full-width digits (０５３２－…) stored as ASCII.
        data[name] = unicodedata.normalize("NFKC", _text(raw))
    else:
        data[name] = _text(raw)


def _unit_id(ctx: _Context, col: Column, raw: Any) -> int:
    """The id of the unit a cell names (any unit kind the column allows); CellError if none."""
    assert ctx.session is not None
    if ctx.orgs is None:
        ctx.orgs = {_org_key(o.name): o for o in ctx.session.scalars(select(Organization))}
    name = _text(raw)
    org = ctx.orgs.get(_org_key(name))
    if org is None or (col.unit_kind and org.kind != col.unit_kind):
        return_kind = "企业" if col.unit_kind == "enterprise" else "单位"
        raise CellError(f"{return_kind}“{name}”不存在（须与平台上的单位名称一致）")
    return int(org.id)


def _project_id(ctx: _Context, raw: Any) -> int:
    """The id of the investment project a cell names; CellError if none."""
    assert ctx.session is not None
    name = unicodedata.normalize("NFKC", _text(raw)).strip()
    found = ctx.session.scalar(select(InvestmentProject.id).where(InvestmentProject.name == name))
    if found is None:
        raise CellError(f"招商引资项目“{name}”不存在")
    return int(found)


def _row_data(
    ctx: _Context, session: Session, number: int, cells: list[Any]
) -> tuple[dict[str, Any], str, list[RowError]]:
    """(schema input, 外部编号, errors found before the service is called) of one row."""
    data: dict[str, Any] = {}
    implied: dict[str, Any] = {}
    errors: list[RowError] = []
    ref = ""
    org_raw: Any = None
    for use in ctx.uses:
        if not use.field or use.how not in ("known", "mapped"):
            continue
        col = ctx.columns[use.field]
        raw = cells[use.index] if use.index < len(cells) else None
        # Input hygiene before any lookup (unit names and 外部编号 are looked up in the database,
        # which refuses a NUL); the schemas then apply the one-line rules per field.
        problem = text_problem(raw) if isinstance(raw, str) else None
        if problem:
            errors.append(RowError(number, use.header, problem))
            if col.kind == "org":
                org_raw = raw  # reported here; not looked up below
            continue
        if col.kind == "org":
            org_raw = raw
            continue
        if _blank(raw):
            continue
        if col.kind == "ref":
            ref = unicodedata.normalize("NFKC", _text(raw))
            if col.max_length and len(ref) > col.max_length:
                errors.append(RowError(number, use.header, f"不能超过{col.max_length}个字符"))
            continue
        try:
            _read_cell(ctx, use, col, raw, data, implied)
        except CellError as exc:
            errors.append(RowError(number, use.header, str(exc)))
    # A value read from another column (中试阶段 in 成熟度 gives the stage) fills a field the
    # row leaves blank; what the row says itself always wins.
    for name, value in implied.items():
        if name == "patent_numbers":
            data[name] = list(dict.fromkeys([*values_list(data.get(name)), *value]))
        elif name not in data and name in ctx.spec.schema.model_fields:
            data[name] = value
    if "stage" in ctx.spec.schema.model_fields and "stage" not in data and "trl" in data:
        data["stage"] = values.stage_for_trl(int(data["trl"]))
    if ctx.spec.org_field is None:
        return data, ref, errors
    if isinstance(org_raw, str) and text_problem(org_raw):
        return data, ref, errors  # reported above
    org_id, org_error = _resolve_org(ctx, session, org_raw)
    if org_error:
        header = next((u.header for u in ctx.uses if u.field == "organization_id"), ORG_HEADER)
        errors.append(RowError(number, header, org_error))
    else:
        data[ctx.spec.org_field] = org_id
    return data, ref, errors


def values_list(value: Any) -> list[str]:
    """A list cell already read (list) or as typed (text), as a list of items."""
    from silian.core.fields import split_list

    return split_list(value)


def _display(ctx: _Context, name: str, value: Any) -> str:
    col = ctx.columns.get(name)
    if value is None or value == "" or value == []:
        return NEGOTIABLE if col is not None and col.kind == "money" else ""
    if col is None:
        return str(value)
    if col.kind == "money":
        return format_money(value)
    if col.kind == "chain":
        return ctx.chain_names.get(int(value), str(value))
    if col.kind == "org":
        found = session_org_name(ctx, value)
        return found
    if col.choices is not None and col.kind in ("choice", "stage", "ip"):
        return col.choices.label(str(value))
    if col.kind == "choices" and col.choices is not None:
        return LIST_SEPARATOR.join(col.choices.label(v) for v in value)
    if col.kind == "people" and isinstance(value, list):
        return people_text(value)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def session_org_name(ctx: _Context, org_id: Any) -> str:
    """The name of a unit already looked up for this import."""
    if ctx.org is not None and ctx.org.id == org_id:
        return ctx.org.name
    if ctx.actor.organization is not None and ctx.actor.organization_id == org_id:
        return ctx.actor.organization.name
    for org in (ctx.orgs or {}).values():
        if org.id == org_id:
            return org.name
    return str(org_id)


def _preview(
    ctx: _Context, number: int, cells: list[Any], data: dict[str, Any], errors: list[RowError]
) -> PreviewRow:
    shown: dict[str, str] = {}
    for name in ctx.positions:
        if name == "source_ref":
            continue
        shown[name] = _display(ctx, name, data.get(name))
    for name in ("stage", "trl", "ip_status", "patent_numbers"):
        if name in data and name not in shown:
            shown[name] = _display(ctx, name, data[name])
    bad_headers = {e.column for e in errors}
    bad: set[str] = set()
    for use in ctx.uses:
        if use.field and use.header in bad_headers:
            bad.add(use.field)
            # A value that could not be read is shown as written, never as a default.
            raw = cells[use.index] if use.index < len(cells) else None
            shown[use.field] = "" if _blank(raw) else _text(raw)
    return PreviewRow(number, shown, bad)


def _field_errors(ctx: _Context, number: int, errors: dict[str, str]) -> list[RowError]:
    out = []
    for name, message in errors.items():
        out.append(RowError(number, _header_of(ctx, name), message))
    return out


def _header_of(ctx: _Context, name: str) -> str:
    """The column a field came from, as the file names it (the canonical header otherwise)."""
    for use in ctx.uses:
        if use.field == name and use.how in ("known", "mapped"):
            return use.header
    col = ctx.columns.get(name)
    return col.header if col else WHOLE_ROW


def _merge_existing(ctx: _Context, item: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Fields the file has no column for keep the record's current values on update."""
    merged = dict(data)
    for name in ctx.spec.schema.model_fields:
        if name not in ctx.positions and name not in merged:
            merged[name] = getattr(item, name)
    return merged


def _write_row(
    ctx: _Context, session: Session, data: dict[str, Any], ref: str, existing: Any, publish: bool
) -> tuple[str, bool]:
    """Create or update one record through the feature service; ('created'|'updated', published)."""
    if existing is not None:
        item = ctx.spec.update(
            session, ctx.actor, existing.id, _merge_existing(ctx, existing, data)
        )
        outcome = "updated"
    else:
        item = ctx.spec.create(session, ctx.actor, data)
        if ref:
            item.source_ref = ref
        if ctx.kind == "achievements":
            item.source_channel = "import"
        outcome = "created"
    session.flush()
    published = False
    if publish and item.status in ("draft", "returned", "submitted"):
        if item.status != "submitted":
            ctx.spec.change_status(session, ctx.actor, item.id, "submit")
        ctx.spec.change_status(session, ctx.actor, item.id, "approve", "批量导入")
        published = True
    return outcome, published


def _duplicate_refs(ctx: _Context, rows: Iterable[tuple[int, list[Any]]]) -> list[RowError]:
    index = ctx.positions.get("source_ref")
    if index is None:
        return []
    header = _header_of(ctx, "source_ref")
    first: dict[str, int] = {}
    errors = []
    for number, cells in rows:
        raw = cells[index] if index < len(cells) else None
        if _blank(raw):
            continue
        ref = unicodedata.normalize("NFKC", _text(raw))
        if ref in first:
            errors.append(RowError(number, header, f"外部编号“{ref}”与第 {first[ref]} 行重复"))
        else:
            first[ref] = number
    return errors


def import_records(
    session: Session,
    actor: User,
    kind: str,
    path: Path,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    publish: bool = False,
    org: Organization | None = None,
    mapping: dict[str, str] | None = None,
    ignore: list[str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file's rows as records of kind acting as actor; the caller commits.

    The header row is found by content and each column by name or synonym; mapping
    (header → field) and ignore (headers) settle the columns it does not know, and any column
    still unknown stops the import before a row is read. Every row goes through the feature's
    create/update service inside one savepoint. When any row is invalid (and skip_invalid is
    off), on a dry run, or on an unexpected exception, the savepoint is rolled back and nothing
    is written. The report carries the detected header, what each column became, and a
    preview of the first rows as they will be stored.
    """
    spec = _kind(kind)
    path = Path(path)
    report = ImportReport(kind=kind, path=path, dry_run=dry_run)
    if publish and not can(
        actor, "achievement.review" if kind == "achievements" else "demand.review"
    ):
        raise SilianError("只有政府部门账号可以在导入时直接发布（--publish）")
    if not can(actor, spec.permission):
        raise SilianError(f"用户 {actor.username}（{actor.role_label}）不能导入{KIND_LABELS[kind]}")
    try:
        file_format(path)
        table = read_table(path, lambda header: match_header(kind, header))
    except FileProblem as exc:
        report.errors.append(RowError(None, "", exc.message))
        return report
    report.encoding = table.encoding
    report.sheet = table.sheet
    report.header_row = table.header_row
    report.skipped = list(table.skipped)
    _plan_columns(kind, table, dict(mapping or {}), list(ignore or []), report)
    columns = by_field(kind)
    read = {u.field for u in report.columns if u.field and u.how in ("known", "mapped")}
    missing = [
        c.header
        for c in columns_for(kind)
        if c.required
        and c.field not in read
        and not (
            c.kind == "org" and (org is not None or not can(actor, "record.enter_for_any_unit"))
        )
    ]
    for header in missing:
        report.errors.append(RowError(None, header, f"缺少必填列“{header}”"))
    if report.errors:
        return report
    chains, chain_names = _chain_lookup(session)
    ctx = _Context(kind, spec, actor, org, report.columns, columns, chains, chain_names)
    ctx.session = session
    report.total = len(table.rows)
    duplicates = _duplicate_refs(ctx, table.rows)
    duplicate_rows = {e.row for e in duplicates}
    report.errors.extend(duplicates)

    outer = session.begin_nested()
    outer_mark = _queue_mark(session)
    try:
        for done, (number, cells) in enumerate(table.rows, start=1):
            data, ref, errors = _row_data(ctx, session, number, cells)
            row_errors: list[RowError] = []
            if errors or number in duplicate_rows:
                # Still run the schema so the report lists every problem of the row at once.
                try:
                    parse(spec.schema, data)
                except ValidationFailed as exc:
                    reported = {e.column for e in errors}
                    errors += [
                        e
                        for e in _field_errors(ctx, number, exc.errors)
                        if e.column not in reported
                    ]
                row_errors = errors + [e for e in duplicates if e.row == number]
                report.errors.extend(errors)
            else:
                row_errors = _write_one(ctx, session, report, number, data, ref, publish)
            if len(report.preview) < PREVIEW_ROWS:
                report.preview.append(_preview(ctx, number, cells, data, row_errors))
            if progress is not None:
                progress(done, report.total)
        order = {c.header: i for i, c in enumerate(columns_for(kind))}
        order.update({u.header: u.index for u in report.columns})
        report.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, len(order))))
        keep = not dry_run and (skip_invalid or not report.errors)
        if keep and (report.created or report.updated):
            outer.commit()
            report.written = True
        else:
            outer.rollback()
            _queue_trim(session, outer_mark)
    except BaseException:
        if outer.is_active:
            outer.rollback()
        _queue_trim(session, outer_mark)
        raise
    return report


def _write_one(
    ctx: _Context,
    session: Session,
    report: ImportReport,
    number: int,
    data: dict[str, Any],
    ref: str,
    publish: bool,
) -> list[RowError]:
    """Write one valid-looking row in its own savepoint; the errors the services raised."""
    model = ctx.spec.model
    if ctx.spec.find is not None:
        existing = ctx.spec.find(session, data)
    else:
        existing = session.scalar(select(model).where(model.source_ref == ref)) if ref else None
    mark = _queue_mark(session)
    row = session.begin_nested()
    errors: list[RowError] = []
    try:
        outcome, published = _write_row(ctx, session, data, ref, existing, publish)
        row.commit()
    except ValidationFailed as exc:
        row.rollback()
        _queue_trim(session, mark)
        errors = _field_errors(ctx, number, exc.errors)
    except SilianError as exc:
        row.rollback()
        _queue_trim(session, mark)
        column = _header_of(ctx, "source_ref") if existing is not None else WHOLE_ROW
        errors = [RowError(number, column, exc.message)]
    except SQLAlchemyError as exc:
        row.rollback()
        _queue_trim(session, mark)
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        errors = [RowError(number, WHOLE_ROW, f"数据库拒绝写入：{reason}")]
    else:
        report.created += outcome == "created"
        report.updated += outcome == "updated"
        report.published += published
    report.errors.extend(errors)
    return errors


# ---------------------------------------------------------------- export


def _export_value(
    col: Column, item: Any, data: dict[str, Any], chain_names: dict[int, str] | None = None
) -> Any:
    if col.kind == "org":
        return item.university.name if isinstance(item, NamedClass) else item.organization.name
    if col.kind == "policy":
        return item.policy.title
    if col.kind == "unit":
        unit = getattr(item, col.relation)
        return unit.name if unit is not None else ""
    if col.kind == "chain":
        if chain_names is not None:
            return chain_names.get(data.get(col.field) or 0, "")
        return item.chain.name if item.chain is not None else ""
    if col.kind == "needs":
        return needs_text(data.get(col.field))
    if col.kind == "project":
        project_id = data.get(col.field)
        if not project_id:
            return ""
        project = object_session(item).get(InvestmentProject, project_id)  # type: ignore[union-attr]
        return project.name if project is not None else ""
    value = data.get(col.field)
    if col.kind in ("choice", "status", "stage", "ip"):
        assert col.choices is not None
        return col.choices.label(value) if value else ""
    if col.kind in ("year", "count"):
        return value
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind == "choices":
        assert col.choices is not None
        return LIST_SEPARATOR.join(col.choices.label(v) for v in value or [])
    if col.kind == "list":
        return LIST_SEPARATOR.join(value or [])
    if col.kind == "people":
        return people_text(value)
    if col.kind == "money":
        if value is None:
            return NEGOTIABLE
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number
    if value is None:
        return ""
    return value


def export_rows(
    session: Session,
    actor: User | None,
    kind: str,
    *,
    status: str = "",
    organization_id: int | None = None,
) -> list[list[Any]]:
    """Rows (header first) of the records of kind that actor may see, with Chinese labels."""
    spec = _kind(kind)
    columns = columns_for(kind)
    model = spec.model
    stmt = spec.visible_query(actor)
    if status:
        status_col = next(c for c in columns if c.kind == "status")
        assert status_col.choices is not None
        value = status_col.choices.value_for(status)
        if value is None:
            labels = "、".join(label for _, label in status_col.choices)
            raise ValidationFailed({"status": f"状态“{status}”无效，可选值：{labels}"})
        stmt = stmt.where(model.status == value)
    if organization_id is not None:
        owner = getattr(model, spec.org_field or "organization_id", None)
        if owner is None:
            raise ValidationFailed({"organization_id": "此类记录不能按单位筛选"})
        stmt = stmt.where(owner == organization_id)
    rows: list[list[Any]] = [[c.header for c in columns]]
    chain_names = None if hasattr(model, "chain") else _chain_lookup(session)[1]
    for item in session.scalars(stmt.order_by(model.id)):
        if kind == "demands":
            data = demand_service.to_public_dict(actor, item)
        else:
            data = {c.key: getattr(item, c.key) for c in model.__mapper__.column_attrs}
        rows.append([_export_value(c, item, data, chain_names) for c in columns])
    return rows


def template_rows(kind: str) -> list[list[Any]]:
    """Header and one example row, for a blank import template."""
    columns = [c for c in columns_for(kind) if not c.export_only]
    return [[c.header for c in columns], [c.example for c in columns]]


def _csv_safe(value: Any) -> Any:
    # Text that a spreadsheet would run as a formula gets a leading quote; import removes it.
    if isinstance(value, str):
        value = clean_for_export(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def write_rows(path: Path, rows: list[list[Any]], sheet_title: str) -> None:
    """Write rows to path as .xlsx or UTF-8 (with BOM, for Excel) CSV, by extension."""
    if file_format(path) == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            for row in rows:
                writer.writerow(["" if v is None else _csv_safe(v) for v in row])
        return
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(rows[0], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(header)) * 2 + 2)
    bold = Font(bold=True)
    header_cells = []
    for header in rows[0]:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows[1:]:
        cells = []
        for value in row:
            if isinstance(value, str):
                # Rows stored before input hygiene may hold control characters Excel refuses.
                value = clean_for_export(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    workbook.save(path)


def write_error_report(report: ImportReport, path: Path) -> None:
    """Write an import's errors to path (.xlsx or .csv) for the person fixing the file."""
    rows: list[list[Any]] = [["行", "列", "原因"]]
    rows += [["" if e.row is None else e.row, e.column, e.reason] for e in report.errors]
    write_rows(Path(path), rows, "错误")


def export_records(
    session: Session,
    actor: User | None,
    kind: str,
    path: Path,
    *,
    status: str = "",
    organization_id: int | None = None,
    template: bool = False,
) -> int:
    """Write the records of kind that actor may see to path (.xlsx or .csv); the row count."""
    path = Path(path)
    file_format(path)
    if template:
        rows = template_rows(kind)
        write_rows(path, rows, KIND_LABELS[kind])
        return 0
    rows = export_rows(session, actor, kind, status=status, organization_id=organization_id)
    write_rows(path, rows, KIND_LABELS[kind])
    return len(rows) - 1
