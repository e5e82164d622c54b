"""Read a table from an .xlsx workbook or a CSV file (UTF-8, UTF-8 with BOM or GBK)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from silian.core.errors import SilianError

MAX_ROWS = 50_000
CSV_ENCODINGS = ("utf-8-sig", "gbk", "gb18030")
#: What a Scorer returns for a 序号 column.
ROW_NUMBER = "__row_number__"


class FileProblem(SilianError):
    """The file cannot be read as a table at all (missing, empty, wrong format, encoding)."""


@dataclass
class Sheet:
    """Every row of one worksheet (numbered as shown), merged cells already spread out.

    A merged block keeps its value in its first column on every row it covers (a 单位名称
    merged down five rows belongs to each of them); spans records how many columns a merged
    cell covered, so a header row can tell a group heading (联系人 over 姓名/电话) from a
    one-column heading.
    """

    name: str
    rows: list[tuple[int, list[Any]]]
    spans: dict[tuple[int, int], int] = field(default_factory=dict)
    encoding: str = ""


@dataclass
class Table:
    """Header cells and data rows, numbered as a spreadsheet shows them (header row included)."""

    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    encoding: str = ""
    sheet: str = ""
    skipped: list[str] = field(default_factory=list)
    units: dict[int, str] = field(default_factory=dict)


Scorer = Callable[[str], str | None]
SCAN_ROWS = 30
NOTE_PREFIXES = (
    "注",
    "说明",
    "备注",
    "填表",
    "填报人",
    "填报说明",
    "审核",
    "制表",
    "合计",
    "总计",
    "小计",
    "负责人",
    "单位盖章",
    "盖章",
    "签字",
    "联系人:",
    "联系人：",
    "联系电话:",
    "联系电话：",
    "日期:",
    "日期：",
)
TOTAL_WORDS = ("合计", "总计", "小计", "共计")
_UNIT_CELL = re.compile(r"^[(（]?(单位[:：]?)?(亿元|万元|千元|元|人民币万元)[)）]?$")
EXAMPLE_MARKS = ("示例", "例", "样例", "填写示例", "举例", "例如")


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


def _cell_text(value: Any) -> str:
    return "" if _blank(value) else str(value).strip()


def _header_score(cells: list[Any], match: Scorer) -> int:
    fields = set()
    for cell in cells:
        if isinstance(cell, str) and cell.strip() and len(cell) <= 40:
            found = match(cell)
            if found and found != ROW_NUMBER:
                fields.add(found)
    return len(fields)


def _sub_header(
    sheet: Sheet, number: int, top: list[Any], below: list[Any], match: Scorer
) -> list[str] | None:
    """Headers combined from a two-row heading (联系人 over 姓名/电话), or None if one row."""
    grouped: set[int] = set()
    for (row, col), width in sheet.spans.items():
        if row == number and width > 1:
            grouped.update(range(col, col + width))
    if not grouped:
        return None
    names: list[str] = []
    used_below = False
    for index in range(max(len(top), len(below))):
        upper = _cell_text(top[index]) if index < len(top) else ""
        lower = _cell_text(below[index]) if index < len(below) else ""
        if index not in grouped:
            if lower and lower != upper:
                return None  # the next row has its own data: it is not a sub-heading
            names.append(upper)
            continue
        if not lower or lower == upper:
            names.append(upper)
            continue
        if not isinstance(below[index], str):
            return None
        used_below = True
        parent = next(
            (
                _cell_text(top[c])
                for c in range(index, -1, -1)
                if c < len(top) and not _blank(top[c])
            ),
            "",
        )
        combined = parent + lower
        names.append(combined if match(combined) or not match(lower) else lower)
    return names if used_below else None


def _is_helper_row(cells: list[Any], header: list[Any]) -> bool:
    """True for a units row (万元 under a price) or a column-number row (1 2 3 …) under a header."""
    filled = [(i, c) for i, c in enumerate(cells) if not _blank(c)]
    same = any(_cell_text(c) == _cell_text(header[i]) for i, c in filled if i < len(header))
    if not filled or same:
        return False
    if all(_UNIT_CELL.match(_cell_text(c).replace(" ", "")) for _, c in filled):
        return True
    numbers = [_cell_text(c) for _, c in filled]
    if len(numbers) >= 3 and all(re.fullmatch(r"\d{1,2}(\.0)?", n) for n in numbers):
        values = [int(float(n)) for n in numbers]
        return values == list(range(values[0], values[0] + len(values))) and values[0] in (0, 1)
    return False


def _is_note(cells: list[Any], spans: dict[tuple[int, int], int], number: int) -> bool:
    filled = [(i, c) for i, c in enumerate(cells) if not _blank(c)]
    if filled and _cell_text(filled[0][1]).replace(" ", "").startswith(TOTAL_WORDS):
        return True  # a 合计 row adds up the rows above it
    if len(filled) != 1:
        return False
    index, value = filled[0]
    words = _cell_text(value).lstrip("*＊※(（[【")
    if words.startswith(NOTE_PREFIXES):
        return True
    return spans.get((number, index), 1) >= 3


def locate(sheets: list[Sheet], match: Scorer) -> Table:
    """The table in the workbook: its header row found by content, then its data rows.

    match maps one header text to a field name (or None). The header is the row, among the
    first SCAN_ROWS of any sheet, naming the most distinct fields (at least two); titles,
    subtitles and notes above it are skipped. Below it, blank rows, rows holding only a 序号,
    example rows, notes (注：…, 填表人…) and repeated header rows are skipped.
    """
    best: tuple[int, Sheet, int, list[Any]] | None = None
    for sheet in sheets:
        for number, cells in sheet.rows[:SCAN_ROWS]:
            score = _header_score(cells, match)
            if score >= 2 and (best is None or score > best[0]):
                best = (score, sheet, number, cells)
    if best is None:
        if not any(any(not _blank(c) for c in cells) for s in sheets for _, cells in s.rows):
            raise FileProblem("文件为空：没有表头，也没有数据行")
        raise FileProblem(
            f"找不到表头行：前 {SCAN_ROWS} 行中没有一行包含至少两个可识别的列名"
            "（如 成果名称、单位名称、需求名称），请检查文件是否选对"
        )
    _, sheet, header_number, header_cells = best
    position = next(i for i, (n, _) in enumerate(sheet.rows) if n == header_number)
    following = sheet.rows[position + 1 :]
    headers_raw: list[Any] = list(header_cells)
    if following:
        combined = _sub_header(sheet, header_number, header_cells, following[0][1], match)
        if combined is not None:
            headers_raw = list(combined)
            following = following[1:]
    headers = [_cell_text(c) for c in headers_raw]
    units: dict[int, str] = {}
    while following and _is_helper_row(following[0][1], header_cells):
        # A row of units (万元) or column numbers (1 2 3 …) printed under the header.
        for index, cell in enumerate(following[0][1]):
            if _UNIT_CELL.match(_cell_text(cell).replace(" ", "")):
                units[index] = _cell_text(cell)
        following = following[1:]
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    numbering = {i for i, h in enumerate(headers) if h and match(h) == ROW_NUMBER}
    data: list[tuple[int, list[Any]]] = []
    skipped: list[str] = []
    for number, cells in following:
        if all(_blank(c) for c in cells):
            continue
        filled = [i for i, c in enumerate(cells) if not _blank(c)]
        if numbering and all(
            i in numbering and re.fullmatch(r"\d{1,5}(\.0)?", _cell_text(cells[i])) for i in filled
        ):
            continue  # a template's numbered empty row
        if any(_cell_text(cells[i]) in EXAMPLE_MARKS for i in numbering if i < len(cells)):
            skipped.append(f"第 {number} 行是填写示例，已跳过")
            continue
        if _is_note(cells, sheet.spans, number):
            text = _cell_text(next(c for c in cells if not _blank(c)))
            skipped.append(f"第 {number} 行是说明文字，已跳过：{text[:30]}")
            continue
        if [_cell_text(c) for c in cells[: len(headers)]] == [
            _cell_text(c) for c in header_cells[: len(headers)]
        ]:
            continue  # the header repeated (printed pages)
        data.append((number, list(cells)))
    if not data:
        raise FileProblem(f"文件只有表头（第 {header_number} 行），没有数据行")
    if len(data) > MAX_ROWS:
        raise FileProblem(f"数据行过多（{len(data)} 行），每次最多导入 {MAX_ROWS} 行，请拆分文件")
    # Cells beyond the last headed column that hold data are reported by the importer.
    extra = max((len(c) for _, c in data), default=width)
    headers += [""] * max(0, extra - len(headers))
    return Table(
        header_row=header_number,
        headers=headers,
        rows=data,
        encoding=sheet.encoding,
        sheet=sheet.name,
        skipped=skipped,
        units=units,
    )


def _spread_merges(sheet: Any, rows: list[list[Any]]) -> dict[tuple[int, int], int]:
    """Fill each merged block's value down its first column; the column span of each row."""
    spans: dict[tuple[int, int], int] = {}
    for block in list(sheet.merged_cells.ranges):
        top, left = block.min_row - 1, block.min_col - 1
        if top >= len(rows):
            continue
        value = rows[top][left] if left < len(rows[top]) else None
        for r in range(top, min(block.max_row, len(rows))):
            row = rows[r]
            if len(row) < block.max_col:
                row.extend([None] * (block.max_col - len(row)))
            row[left] = value
            for c in range(left + 1, block.max_col):
                row[c] = None
            spans[(r + 1, left)] = block.max_col - block.min_col + 1
    return spans


def _read_xlsx(path: Path) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileProblem(f"无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式（{exc}）") from exc
    try:
        if not workbook.worksheets:
            raise FileProblem("Excel 文件中没有工作表")
        sheets = []
        for sheet in workbook.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue  # hidden sheets hold lookup lists, not records
            raw = [list(values) for values in sheet.iter_rows(values_only=True)]
            spans = _spread_merges(sheet, raw)
            rows = [(n, cells) for n, cells in enumerate(raw, start=1)]
            sheets.append(Sheet(sheet.title, rows, spans))
    finally:
        workbook.close()
    return sheets


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


def _read_csv(path: Path) -> list[Sheet]:
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
    return [Sheet(path.name, raw, {}, encoding)]


def read_sheets(path: Path) -> list[Sheet]:
    """Every visible sheet of an .xlsx file, or the one table of a CSV file."""
    kind = file_format(path)
    if not path.exists():
        raise FileProblem(f"文件不存在：{path}")
    if path.is_dir():
        raise FileProblem(f"这是一个目录，不是文件：{path}")
    if kind == "xlsx":
        return _read_xlsx(path)
    return _read_csv(path)


def read_table(path: Path, match: Scorer) -> Table:
    """The table in an .xlsx or CSV file, its header row found by content (see locate)."""
    return locate(read_sheets(path), match)
