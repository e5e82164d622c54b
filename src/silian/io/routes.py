"""Import upload pages: choose a file, preview and map its columns, see errors, import."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from silian.accounts.models import User
from silian.core.errors import SilianError
from silian.core.web import csrf_protect, get_db, render, require_user, settings_of
from silian.io import uploads
from silian.io.columns import KIND_LABELS
from silian.io.service import IGNORE, mappable_headers

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_limit(request: Request) -> None:
    """Refuse an upload over the size limit before its body is read (by Content-Length)."""
    length = request.headers.get("content-length", "")
    if request.method == "POST" and length.isdigit() and int(length) > uploads.MAX_UPLOAD_BYTES:
        raise HTTPException(status_code=413, detail=uploads.size_message(int(length)))


guarded = [Depends(upload_limit), Depends(csrf_protect)]


def _choices(request: Request) -> tuple[dict[str, str], list[str]]:
    """Column decisions from the query or form: map=列名=字段 (字段 __ignore__ to ignore)."""
    mapping: dict[str, str] = {}
    ignore: list[str] = []
    for item in request.query_params.getlist("map"):
        header, sep, target = item.rpartition("=")
        if not sep or not header or not target:
            continue
        if target == IGNORE:
            ignore.append(header)
        else:
            mapping[header] = target
    return mapping, ignore


def _query(mapping: dict[str, str], ignore: list[str]) -> str:
    pairs = [("map", f"{h}={t}") for h, t in mapping.items()]
    pairs += [("map", f"{h}={IGNORE}") for h in ignore]
    return urlencode(pairs)


@router.get("/import/{kind}")
def upload_page(kind: str, request: Request, user: User = Depends(require_user)) -> Response:
    """Choose a file to import."""
    uploads.check_role(user, kind)
    return render(request, "io/upload.html", _base(kind))


# Where the records of a kind are listed, when not at /<kind>.
LIST_URLS = {"named-classes": "/education?tab=classes"}


def _base(kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "noun": KIND_LABELS[kind],
        "max_mb": uploads.MAX_UPLOAD_BYTES // (1024 * 1024),
        "list_url": LIST_URLS.get(kind, f"/{kind}"),
    }


@router.post("/import/{kind}", dependencies=guarded)
async def upload(kind: str, request: Request, user: User = Depends(require_user)) -> Response:
    """Keep the chosen file and show its preview."""
    form = await request.form()
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise SilianError("请选择要导入的文件（.xlsx 或 .csv）")
        token = uploads.stage_upload(settings_of(request), user, kind, file.filename, file.file)
    except SilianError as exc:
        uploads.check_role(user, kind)
        ctx = _base(kind) | {"error": exc.message}
        return render(
            request, "io/upload.html", ctx, 422 if exc.status_code == 400 else exc.status_code
        )
    return RedirectResponse(f"/import/{kind}/{token}", status_code=303)


@router.get("/import/{kind}/template.xlsx")
def template(kind: str, user: User = Depends(require_user)) -> Response:
    """A blank import template with one example row."""
    uploads.check_role(user, kind)
    body = uploads.template_bytes(kind)
    name = f"{KIND_LABELS[kind]}导入模板.xlsx"
    return Response(body, media_type=XLSX, headers=_attachment(name))


def _attachment(name: str) -> dict[str, str]:
    from urllib.parse import quote

    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


@router.get("/import/{kind}/{token}")
def preview(
    kind: str,
    token: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Detected header, what each column becomes, the first rows as stored, every error."""
    mapping, ignore = _choices(request)
    report = uploads.preview_upload(db, settings_of(request), user, kind, token, mapping, ignore)
    ctx = _base(kind) | {
        "report": report,
        "token": token,
        "mapping": mapping,
        "ignore": ignore,
        "query": _query(mapping, ignore),
        "targets": mappable_headers(kind),
        "IGNORE": IGNORE,
    }
    return render(request, "io/preview.html", ctx)


@router.get("/import/{kind}/{token}/errors.xlsx")
def errors(
    kind: str,
    token: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Every error of the file (row, column, reason) as an .xlsx workbook."""
    mapping, ignore = _choices(request)
    body = uploads.error_report_bytes(db, settings_of(request), user, kind, token, mapping, ignore)
    return Response(body, media_type=XLSX, headers=_attachment(f"{KIND_LABELS[kind]}导入错误.xlsx"))


@router.post("/import/{kind}/{token}", dependencies=guarded)
async def run(
    kind: str,
    token: str,
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Import the kept file with the chosen column decisions; show what happened."""
    form = await request.form()
    mapping: dict[str, str] = {}
    ignore: list[str] = []
    for item in form.getlist("map"):
        header, sep, target = str(item).rpartition("=")
        if sep and header and target:
            if target == IGNORE:
                ignore.append(header)
            else:
                mapping[header] = target
    report = uploads.run_upload(
        db,
        settings_of(request),
        user,
        kind,
        token,
        mapping,
        ignore,
        skip_invalid=form.get("skip_invalid") == "1",
    )
    ctx = _base(kind) | {
        "report": report,
        "token": token,
        "mapping": mapping,
        "ignore": ignore,
        "query": _query(mapping, ignore),
        "targets": mappable_headers(kind),
        "IGNORE": IGNORE,
    }
    if report.written:
        return render(request, "io/result.html", ctx)
    return render(request, "io/preview.html", ctx, 422)
