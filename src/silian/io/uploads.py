"""Web upload of import files: kept between steps, previewed, imported by the CLI's service.

An uploaded file is kept under $SILIAN_HOME/uploads as <user id>-<token>.<ext> so the preview,
column mapping, error report and final import all read the same bytes; only its uploader can
use the token, and files older than a day are removed whenever someone uploads.
"""

from __future__ import annotations

import io
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.config import Settings
from silian.core import permissions
from silian.core.errors import NotFound, SilianError
from silian.io.columns import KIND_LABELS, KINDS
from silian.io.service import (
    IMPORT_ACTIONS,
    ImportReport,
    import_records,
    template_rows,
    write_error_report,
    write_rows,
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class UploadTooLarge(SilianError):
    """The uploaded file is over MAX_UPLOAD_BYTES."""

    status_code = 413


def size_message(size: int | None = None) -> str:
    """The Chinese message for a file over the upload limit."""
    limit = MAX_UPLOAD_BYTES // (1024 * 1024)
    got = f"（{size / 1024 / 1024:.1f} MB）" if size else ""
    return (
        f"文件过大{got}：网页上传最多 {limit} MB。请把文件拆分成几份分别上传，"
        "或在服务器上用命令行 silian import 导入"
    )


def check_role(user: User, kind: str) -> None:
    """PermissionDenied unless user may import records of kind (core.permissions' *.import)."""
    if kind not in KINDS:
        raise NotFound("页面不存在")
    permissions.require(user, IMPORT_ACTIONS[kind])


def can_import(user: User | None, kind: str) -> bool:
    """True when user may use the import pages of kind."""
    return kind in KINDS and permissions.can(user, IMPORT_ACTIONS[kind])


def _folder(settings: Settings) -> Path:
    folder = settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _clean(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue


def stage_upload(
    settings: Settings, user: User, kind: str, filename: str, stream: IO[bytes]
) -> str:
    """Keep an uploaded file for user's import steps; its token. Refuses big or wrong files."""
    check_role(user, kind)
    suffix = Path(filename or "").suffix.lower()
    if not filename:
        raise SilianError("请选择要导入的文件（.xlsx 或 .csv）")
    if suffix == ".xls":
        raise SilianError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传")
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        raise SilianError(f"无法识别的文件类型“{suffix or filename}”，请上传 .xlsx 或 .csv 文件")
    folder = _folder(settings)
    _clean(folder)
    token = secrets.token_hex(16)
    target = folder / f"{user.id}-{token}{suffix}"
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as handle:
        part = Path(handle.name)
        try:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise UploadTooLarge(size_message())
                handle.write(chunk)
        except BaseException:
            handle.close()
            part.unlink(missing_ok=True)
            raise
    if size == 0:
        part.unlink(missing_ok=True)
        raise SilianError("上传的文件是空的，请重新选择文件")
    part.rename(target)
    return token


def upload_path(settings: Settings, user: User, token: str) -> Path:
    """The staged file of user's token; NotFound if it is gone, expired or someone else's."""
    if not _TOKEN.match(token or ""):
        raise NotFound("上传的文件不存在，请重新上传")
    for path in _folder(settings).glob(f"{user.id}-{token}.*"):
        if path.suffix != ".part":
            return path
    raise NotFound("上传的文件已过期或不存在，请重新上传")


def preview_upload(
    session: Session,
    settings: Settings,
    user: User,
    kind: str,
    token: str,
    mapping: dict[str, str],
    ignore: list[str],
) -> ImportReport:
    """A dry run of the staged file: detected header, columns, preview rows and every error."""
    check_role(user, kind)
    path = upload_path(settings, user, token)
    try:
        report = import_records(
            session, user, kind, path, dry_run=True, mapping=mapping, ignore=ignore
        )
        unknown = [u.header for u in report.unknown_columns]
        if unknown and all(e.column in unknown for e in report.errors):
            # Show the rows while the user decides about the unknown columns; the import
            # itself stays blocked until each one is mapped or ignored.
            trial = import_records(
                session, user, kind, path, dry_run=True, mapping=mapping, ignore=ignore + unknown
            )
            report.preview = trial.preview
        return report
    finally:
        session.rollback()


def run_upload(
    session: Session,
    settings: Settings,
    user: User,
    kind: str,
    token: str,
    mapping: dict[str, str],
    ignore: list[str],
    *,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import the staged file as user (all or nothing unless skip_invalid); commits if written."""
    check_role(user, kind)
    path = upload_path(settings, user, token)
    report = import_records(
        session,
        user,
        kind,
        path,
        mapping=mapping,
        ignore=ignore,
        skip_invalid=skip_invalid,
    )
    if report.written:
        # Every row wrote its own audit entry through the feature service.
        session.commit()
        path.unlink(missing_ok=True)
    else:
        session.rollback()
    return report


def error_report_bytes(
    session: Session,
    settings: Settings,
    user: User,
    kind: str,
    token: str,
    mapping: dict[str, str],
    ignore: list[str],
) -> bytes:
    """The staged file's errors (row, column, reason) as an .xlsx workbook."""
    report = preview_upload(session, settings, user, kind, token, mapping, ignore)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "errors.xlsx"
        write_error_report(report, path)
        return io.BytesIO(path.read_bytes()).getvalue()


def template_bytes(kind: str) -> bytes:
    """A blank import template of kind (header and one example row) as .xlsx bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_rows(path, template_rows(kind), KIND_LABELS[kind])
        return path.read_bytes()
