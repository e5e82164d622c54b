"""Read a table from an .xlsx workbook or a CSV file (UTF-8, UTF-8 with BOM or GBK)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from silian.core.errors import SilianError

MAX_ROWS = 50_000
CSV_ENCODINGS = ("utf-8-sig", "gbk", "gb18030")


class FileProblem(SilianError):
    """The file cannot be read as a table at all (missing, empty, wrong format, encoding)."""


@dataclass
class Table:
    """Header cells and data rows, numbered as a spreadsheet shows them (header row included)."""

    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    encoding: str = ""


def file_format(path: Path) -> str:
    """'xlsx' or 'csv' from the file name, or FileProblem."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".csv":
        return "csv"
    if suffix == ".xls":
        raise FileProblem("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入")
    raise FileProblem(f"无法识别的文件类型“{path.suffix or path.name}”，请使用 .xlsx 或 .csv")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(raw_rows: list[tuple[int, list[Any]]], encoding: str = "") -> Table:
    rows = [(n, cells) for n, cells in raw_rows if not all(_blank(c) for c in cells)]
    if not rows:
        raise FileProblem("文件为空：没有表头，也没有数据行")
    header_row, header_cells = rows[0]
    headers = ["" if _blank(c) else str(c).strip() for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    data = rows[1:]
    if not data:
        raise FileProblem("文件只有表头，没有数据行")
    if len(data) > MAX_ROWS:
        raise FileProblem(f"数据行过多（{len(data)} 行），每次最多导入 {MAX_ROWS} 行，请拆分文件")
    return Table(header_row=header_row, headers=headers, rows=data, encoding=encoding)


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式（{exc}）") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileProblem("Excel 文件中没有工作表")
        raw = [
            (number, list(values))
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    return _table(raw)


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        name = encoding
        if encoding == "utf-8-sig":
            name = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, name
    raise FileProblem("无法识别文件编码，请将 CSV 另存为 UTF-8 或 GBK 编码")


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path) -> Table:
    data = path.read_bytes()
    if not data.strip():
        raise FileProblem("文件为空：没有表头，也没有数据行")
    if b"\x00" in data[:4096]:
        raise FileProblem(
            "文件不是文本格式的 CSV（可能是 UTF-16 或二进制文件），请另存为 UTF-8 CSV"
        )
    text, encoding = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        raw = [(number, list(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise FileProblem(f"CSV 格式错误：{exc}") from exc
    return _table(raw, encoding)


def read_table(path: Path) -> Table:
    """The first sheet of an .xlsx file or the rows of a CSV file."""
    kind = file_format(path)
    if not path.exists():
        raise FileProblem(f"文件不存在：{path}")
    if path.is_dir():
        raise FileProblem(f"这是一个目录，不是文件：{path}")
    if kind == "xlsx":
        return _read_xlsx(path)
    return _read_csv(path)
