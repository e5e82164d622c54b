"""Import rows through the same services as the web, all or nothing; export what a user may see."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import silian.models  # noqa: F401  (every mapper configured before the first query)
from silian.accounts.models import User
from silian.achievements import service as achievement_service
from silian.achievements.models import Achievement
from silian.achievements.schemas import AchievementIn
from silian.chains.models import IndustryChain
from silian.core import events
from silian.core.errors import NotFound, SilianError, ValidationFailed
from silian.core.fields import clean_for_export, text_problem
from silian.core.validation import parse
from silian.demands import service as demand_service
from silian.demands.models import Demand
from silian.demands.schemas import DemandIn
from silian.io.columns import (
    KIND_LABELS,
    KINDS,
    LIST_SEPARATOR,
    NEGOTIABLE,
    ORG_HEADER,
    Column,
    by_header,
    columns_for,
    normalise_header,
)
from silian.io.reader import FileProblem, file_format, read_table
from silian.organizations.models import Organization

Progress = Callable[[int, int], None]
WHOLE_ROW = "（整行）"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (None for the whole file), the column header, why."""

    row: int | None
    column: str
    reason: str


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
    roles: frozenset[str]


_KINDS = {
    "achievements": _Kind(
        Achievement,
        AchievementIn,
        achievement_service.create_achievement,
        achievement_service.update_achievement,
        achievement_service.change_status,
        achievement_service.visible_query,
        frozenset(achievement_service.PUBLISHER_ROLES),
    ),
    "demands": _Kind(
        Demand,
        DemandIn,
        demand_service.create_demand,
        demand_service.update_demand,
        demand_service.change_status,
        demand_service.visible_query,
        frozenset(demand_service.POSTER_ROLES),
    ),
}


def _kind(kind: str) -> _Kind:
    if kind not in KINDS:
        raise SilianError(f"未知的数据类型：{kind}（可选 achievements、demands）")
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
        select(User).where(User.role == "office", User.is_active.is_(True)).order_by(User.id)
    )
    if user is None:
        raise SilianError(
            "没有可用的政府部门（office）账号：请用 --as 指定操作人，"
            "或先运行 silian user create --role office 创建账号"
        )
    return user


# ---------------------------------------------------------------- cell conversion


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    # Undo the quote our CSV export puts before text that looks like a formula.
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
        text = text[1:]
    return text


def _convert(col: Column, value: Any) -> Any:
    """A cell value in the form the schema expects; schema validation reports what is wrong."""
    if col.kind == "int":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else _text(value)
    if col.kind == "decimal":
        if isinstance(value, int | float):
            return _number_text(value)
        text = _text(value).replace(",", "").replace("，", "")
        return text[:-1].strip() if text.endswith("元") else text
    if col.kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        text = _text(value)
        found = _DATE.match(text)
        if found:
            year, month, day = (int(x) for x in found.groups())
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                return text
        return text
    return _text(value)


# ---------------------------------------------------------------- import


@dataclass
class _Context:
    kind: str
    spec: _Kind
    actor: User
    org: Organization | None
    positions: dict[str, int]  # field -> cell index
    columns: dict[str, Column]  # field -> column
    chains: dict[str, int]
    orgs: dict[str, Organization | None] = field(default_factory=dict)


def _map_headers(ctx_kind: str, headers: list[str], report: ImportReport) -> dict[str, int]:
    known = by_header(ctx_kind)
    positions: dict[str, int] = {}
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        key = normalise_header(header)
        col = known.get(key)
        if col is None:
            report.warnings.append(f"未知列“{header}”（第 {index + 1} 列）已忽略")
            continue
        if key in seen:
            report.errors.append(
                RowError(
                    None,
                    col.header,
                    f"表头“{col.header}”重复出现（第 {seen[key] + 1} 列和第 {index + 1} 列）",
                )
            )
            continue
        seen[key] = index
        if not col.export_only:
            positions[col.field] = index
    return positions


def _chain_lookup(session: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    for chain in session.scalars(select(IndustryChain)):
        out[chain.code] = chain.id
        out[chain.name] = chain.id
    return out


def _queue_mark(session: Session) -> int:
    # Change notifications queued by audit rows; trimmed when we roll back a savepoint so
    # listeners never hear about rows that were not written.
    return len(session.info.get(events._KEY, []))


def _queue_trim(session: Session, mark: int) -> None:
    queued = session.info.get(events._KEY)
    if queued is not None:
        del queued[mark:]


def _resolve_org(ctx: _Context, session: Session, raw: Any) -> tuple[int | None, str | None]:
    """(organization id, error) for a row's 单位名称 cell."""
    name = "" if _blank(raw) else _text(raw)
    if ctx.actor.role != "office":
        own = ctx.actor.organization
        if name and (own is None or name != own.name):
            unit = own.name if own is not None else "无"
            return None, f"只能导入本单位（{unit}）的记录，不能导入“{name}”的"
        return ctx.actor.organization_id, None
    if ctx.org is not None:
        if name and name != ctx.org.name:
            return None, f"“{name}”与 --org 指定的单位“{ctx.org.name}”不一致"
        return ctx.org.id, None
    if not name:
        return None, "必填"
    if name not in ctx.orgs:
        ctx.orgs[name] = session.scalar(select(Organization).where(Organization.name == name))
    org = ctx.orgs[name]
    if org is None:
        return None, f"单位“{name}”不存在（须与平台上的单位名称完全一致）"
    return org.id, None


def _row_data(
    ctx: _Context, session: Session, number: int, cells: list[Any]
) -> tuple[dict[str, Any], str, list[RowError]]:
    """(schema input, 外部编号, errors found before the service is called) of one row."""
    data: dict[str, Any] = {}
    errors: list[RowError] = []
    ref = ""
    for name, index in ctx.positions.items():
        col = ctx.columns[name]
        raw = cells[index] if index < len(cells) else None
        # Input hygiene before any lookup (unit names and 外部编号 are looked up in the database,
        # which refuses a NUL); the schemas then apply the one-line rules per field.
        problem = text_problem(raw) if isinstance(raw, str) else None
        if problem:
            errors.append(RowError(number, col.header, problem))
            continue
        if col.kind == "org":
            continue
        if _blank(raw):
            continue
        if col.kind == "ref":
            ref = _text(raw)
            if col.max_length and len(ref) > col.max_length:
                errors.append(RowError(number, col.header, f"不能超过{col.max_length}个字符"))
            continue
        if col.kind == "chain":
            key = _text(raw)
            chain_id = ctx.chains.get(key)
            if chain_id is None:
                errors.append(RowError(number, col.header, f"产业链“{key}”不存在"))
            else:
                data[name] = chain_id
            continue
        data[name] = _convert(col, raw)
    org_index = ctx.positions.get("organization_id")
    org_raw = cells[org_index] if org_index is not None and org_index < len(cells) else None
    if isinstance(org_raw, str) and text_problem(org_raw):
        return data, ref, errors  # reported above
    org_id, org_error = _resolve_org(ctx, session, org_raw)
    if org_error:
        errors.append(RowError(number, ORG_HEADER, org_error))
    else:
        data["organization_id"] = org_id
    return data, ref, errors


def _field_errors(ctx: _Context, number: int, errors: dict[str, str]) -> list[RowError]:
    out = []
    for name, message in errors.items():
        col = ctx.columns.get(name)
        out.append(RowError(number, col.header if col else WHOLE_ROW, message))
    return out


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
    header = ctx.columns["source_ref"].header
    first: dict[str, int] = {}
    errors = []
    for number, cells in rows:
        raw = cells[index] if index < len(cells) else None
        if _blank(raw):
            continue
        ref = _text(raw)
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
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file's rows as records of kind acting as actor; the caller commits.

    Every row goes through the feature's create/update service inside one savepoint. When any
    row is invalid (and skip_invalid is off), on a dry run, or on an unexpected exception, the
    savepoint is rolled back and nothing is written.
    """
    spec = _kind(kind)
    path = Path(path)
    report = ImportReport(kind=kind, path=path, dry_run=dry_run)
    if publish and actor.role != "office":
        raise SilianError("只有政府部门账号可以在导入时直接发布（--publish）")
    if actor.role not in spec.roles:
        raise SilianError(f"用户 {actor.username}（{actor.role_label}）不能导入{KIND_LABELS[kind]}")
    try:
        file_format(path)
        table = read_table(path)
    except FileProblem as exc:
        report.errors.append(RowError(None, "", exc.message))
        return report
    report.encoding = table.encoding
    positions = _map_headers(kind, table.headers, report)
    columns = {c.field: c for c in columns_for(kind)}
    missing = [
        c.header
        for c in columns_for(kind)
        if c.required
        and c.field not in positions
        and not (c.kind == "org" and (org is not None or actor.role != "office"))
    ]
    for header in missing:
        report.errors.append(RowError(None, header, f"缺少必填列“{header}”"))
    if report.errors:
        return report
    ctx = _Context(kind, spec, actor, org, positions, columns, _chain_lookup(session))
    report.total = len(table.rows)
    duplicates = _duplicate_refs(ctx, table.rows)
    duplicate_rows = {e.row for e in duplicates}
    report.errors.extend(duplicates)

    outer = session.begin_nested()
    outer_mark = _queue_mark(session)
    try:
        for done, (number, cells) in enumerate(table.rows, start=1):
            data, ref, errors = _row_data(ctx, session, number, cells)
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
                report.errors.extend(errors)
            else:
                model = spec.model
                existing = (
                    session.scalar(select(model).where(model.source_ref == ref)) if ref else None
                )
                mark = _queue_mark(session)
                row = session.begin_nested()
                try:
                    outcome, published = _write_row(ctx, session, data, ref, existing, publish)
                    row.commit()
                except ValidationFailed as exc:
                    row.rollback()
                    _queue_trim(session, mark)
                    report.errors.extend(_field_errors(ctx, number, exc.errors))
                except SilianError as exc:
                    row.rollback()
                    _queue_trim(session, mark)
                    column = columns["source_ref"].header if existing is not None else WHOLE_ROW
                    report.errors.append(RowError(number, column, exc.message))
                except SQLAlchemyError as exc:
                    row.rollback()
                    _queue_trim(session, mark)
                    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                    report.errors.append(RowError(number, WHOLE_ROW, f"数据库拒绝写入：{reason}"))
                else:
                    report.created += outcome == "created"
                    report.updated += outcome == "updated"
                    report.published += published
            if progress is not None:
                progress(done, report.total)
        order = {c.header: i for i, c in enumerate(columns_for(kind))}
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


# ---------------------------------------------------------------- export


def _export_value(col: Column, item: Any, data: dict[str, Any]) -> Any:
    if col.kind == "org":
        return item.organization.name
    if col.kind == "chain":
        return item.chain.name if item.chain is not None else ""
    value = data.get(col.field)
    if col.kind in ("choice", "status"):
        assert col.choices is not None
        return col.choices.label(value) if value else ""
    if col.kind == "choices":
        assert col.choices is not None
        return LIST_SEPARATOR.join(col.choices.label(v) for v in value or [])
    if col.kind == "list":
        return LIST_SEPARATOR.join(value or [])
    if col.kind == "decimal":
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
        stmt = stmt.where(model.organization_id == organization_id)
    rows: list[list[Any]] = [[c.header for c in columns]]
    for item in session.scalars(stmt.order_by(model.id)):
        if kind == "demands":
            data = demand_service.to_public_dict(actor, item)
        else:
            data = {c.key: getattr(item, c.key) for c in model.__mapper__.column_attrs}
        rows.append([_export_value(c, item, data) for c in columns])
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
