"""The quarterly briefing (季度工作简报): figures with quarter-on-quarter and year-on-year change,
one section per chain, charts, gaps and the joint meetings' decisions, as Word or Excel.

Charts are drawn server-side with matplotlib and the Noto CJK font of Debian's fonts-noto-cjk
(no browser needed, the PNG carries the Chinese glyphs); the numbers come from the figures
service (`figures.report`), so the briefing, the dashboard and the API agree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements.models import Achievement
from silian.brokerage.models import Contract
from silian.chains import service as chains
from silian.chains.models import IndustryChain
from silian.core import clock
from silian.core.errors import SilianError
from silian.core.permissions import require
from silian.demands.models import Demand
from silian.insights import figures, gaps, service
from silian.insights.models import CITY, FigureDay
from silian.meetings import service as meetings
from silian.meetings.models import Decision, FollowUpTask, JointMeeting

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSerifCJK-Regular.ttc")
BODY_FONT = "Noto Serif CJK SC"
HEADING_FONT = "Noto Sans CJK SC"
# Figures drawn in the city chart and named in the summary paragraph.
KEY_FIGURES = (
    "achievements_collected",
    "achievements_published",
    "demands_published",
    "demands_signed",
    "contracts_signed",
    "events_held",
    "talent_needs_collected",
)
CHAIN_FIGURES = ("achievements_published", "demands_published", "contracts_signed")
TEN_THOUSAND = Decimal(10000)
FORMATS = ("docx", "xlsx")


class BriefingError(SilianError):
    """The briefing cannot be written (a missing font, a bad quarter); message in Chinese."""

    status_code = 503


def find_cjk_font() -> Path:
    """The Noto CJK font file under /usr/share/fonts, or a clear error naming the package."""
    for base in FONT_DIRS:
        for name in FONT_FILES:
            found = sorted(base.rglob(name)) if base.exists() else []
            if found:
                return found[0]
    raise BriefingError(
        "未找到中文字体 Noto CJK（Debian 软件包 fonts-noto-cjk），无法绘制带中文标注的图表；"
        "请运行 scripts/system-deps.sh 或 sudo apt-get install -y fonts-noto-cjk"
    )


# --- the numbers -----------------------------------------------------------------------------


def quarter_span(year: int, quarter: int) -> figures.Period:
    """The quarter as a period (refuses quarters outside 1–4)."""
    if not 1 <= quarter <= 4:
        raise BriefingError("季度应为 1–4")
    return figures.period("quarter", year, quarter)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    """The quarter before (year, quarter)."""
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def display(value: Decimal, unit: str) -> str:
    """A figure as printed: money in 万元 with two decimals, counts with thousands separators."""
    if unit == "元":
        return f"{(value / TEN_THOUSAND).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    if unit == "%":
        return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    return f"{value.quantize(Decimal(1), ROUND_HALF_UP):,}"


def display_unit(unit: str) -> str:
    """The unit as printed (money in 万元)."""
    return "万元" if unit == "元" else unit


def change(now: Decimal, before: Decimal) -> str:
    """Change in percent, one decimal ('—' when the earlier value is zero)."""
    if before == 0:
        return "—"
    pct = ((now - before) * 100 / before).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{pct:+}%"


@dataclass
class FigureRow:
    """One figure for the quarter, the previous quarter and the same quarter a year before."""

    key: str
    label: str
    unit: str
    kind: str
    now: Decimal
    previous: Decimal
    last_year: Decimal

    @property
    def qoq(self) -> str:
        """Quarter-on-quarter change."""
        return change(self.now, self.previous)

    @property
    def yoy(self) -> str:
        """Year-on-year change."""
        return change(self.now, self.last_year)


@dataclass
class ChainSection:
    """One chain's figures and gaps."""

    chain: IndustryChain
    rows: list[FigureRow]
    gaps: gaps.ChainGaps


@dataclass
class DecisionRow:
    """One decision with its tasks' status as of the quarter's end."""

    meeting: JointMeeting
    decision: Decision
    tasks: list[FollowUpTask]


@dataclass
class Briefing:
    """Everything the Word and Excel briefings print."""

    year: int
    quarter: int
    span: figures.Period
    refreshed_to: date | None
    rows: list[FigureRow]
    chains: list[ChainSection]
    decisions: list[DecisionRow] = field(default_factory=list)
    as_of: date = field(default_factory=clock.today)
    records: dict[str, list[list[Any]]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The briefing's title."""
        return f"{self.year}年第{self.quarter}季度四链融合工作简报"

    def row(self, key: str) -> FigureRow:
        """The city row of one figure."""
        return next(r for r in self.rows if r.key == key)


def _rows(
    session: Session, year: int, quarter: int, chain_id: int | None, every: bool = True
) -> list[FigureRow]:
    spans = (
        quarter_span(year, quarter),
        quarter_span(*previous_quarter(year, quarter)),
        quarter_span(year - 1, quarter),
    )
    now, before, last = (figures.report(session, s, chain_id, not every) for s in spans)
    return [
        FigureRow(
            key=a.figure.key,
            label=a.figure.label,
            unit=a.figure.unit,
            kind=a.figure.kind,
            now=a.total,
            previous=b.total,
            last_year=c.total,
        )
        for a, b, c in zip(now, before, last, strict=True)
    ]


def _record_lists(session: Session, span: figures.Period) -> dict[str, list[list[Any]]]:
    """The records behind the quarter's main flows, as spreadsheet rows (header first)."""
    start, _ = figures.day_bounds(span.start)
    _, end = figures.day_bounds(span.end)
    chain_names: dict[int | None, str] = {
        cid: name for cid, name in session.execute(select(IndustryChain.id, IndustryChain.name))
    }
    out: dict[str, list[list[Any]]] = {}
    published = service.published_achievements().where(
        Achievement.published_at >= start, Achievement.published_at < end
    )
    out["成果发布"] = [["编号", "成果名称", "产业链", "来源渠道", "发布日期"]] + [
        [
            a.id,
            a.title,
            chain_names.get(a.chain_id, ""),
            a.source_channel,
            figures.city_day(a.published_at).isoformat() if a.published_at else "",
        ]
        for a in session.scalars(published.order_by(Achievement.published_at, Achievement.id))
    ]
    listed = service.published_demands().where(
        Demand.published_at >= start, Demand.published_at < end
    )
    out["发布榜单"] = [["编号", "榜单名称", "产业链", "榜单类型", "发布日期"]] + [
        [
            d.id,
            d.title,
            chain_names.get(d.chain_id, ""),
            d.list_type,
            figures.city_day(d.published_at).isoformat() if d.published_at else "",
        ]
        for d in session.scalars(listed.order_by(Demand.published_at, Demand.id))
    ]
    signed = select(Contract).where(
        Contract.signed_on >= span.start, Contract.signed_on <= span.end
    )
    out["技术合同"] = [["编号", "合同名称", "金额（元）", "签订日期"]] + [
        [c.id, c.title, float(c.amount), c.signed_on.isoformat()]
        for c in session.scalars(signed.order_by(Contract.signed_on, Contract.id))
    ]
    return out


def collect(
    session: Session,
    year: int,
    quarter: int,
    as_of: date | None = None,
    every_chain_figure: bool = True,
) -> Briefing:
    """The briefing's content for a quarter (city, each active chain, gaps, decisions).

    Without every_chain_figure the chain sections hold only the precomputed figures (what the
    Word briefing prints per chain; each feature's period figures per chain and quarter are
    what made the Word file slow), the workbook's per-chain sheet holds them all.
    """
    span = quarter_span(year, quarter)
    refreshed_to = session.scalar(
        select(func.max(FigureDay.day)).where(
            FigureDay.chain_id == CITY, FigureDay.day >= span.start, FigureDay.day <= span.end
        )
    )
    sections = [
        ChainSection(
            chain=c,
            rows=_rows(session, year, quarter, c.id, every_chain_figure),
            gaps=gaps.chain_gaps(session, None, c),
        )
        for c in session.scalars(chains.visible_query(None))
    ]
    decisions = []
    held = select(JointMeeting).where(JointMeeting.held_on <= span.end)
    for meeting in session.scalars(held.order_by(JointMeeting.held_on, JointMeeting.id)):
        for decision in meeting.decisions:
            open_then = [t for t in decision.tasks if t.status != "done"]
            if meeting.held_on >= span.start or open_then:
                decisions.append(DecisionRow(meeting, decision, list(decision.tasks)))
    return Briefing(
        year=year,
        quarter=quarter,
        span=span,
        refreshed_to=refreshed_to,
        rows=_rows(session, year, quarter, None),
        chains=sections,
        decisions=decisions,
        as_of=as_of or meetings.today(),
        records=_record_lists(session, span),
    )


# --- charts ----------------------------------------------------------------------------------


def _pyplot(font: Path) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font_manager.fontManager.addfont(str(font))
    name = font_manager.FontProperties(fname=str(font)).get_name()
    plt.rcParams["font.family"] = [name]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def city_chart(b: Briefing, font: Path) -> bytes:
    """Bar chart: key flows this quarter, the previous quarter and a year before (PNG)."""
    plt = _pyplot(font)
    rows = [b.row(k) for k in KEY_FIGURES]
    labels = [r.label for r in rows]
    width = 0.27
    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=150)
    xs = range(len(rows))
    series = (
        ("上年同期", [float(r.last_year) for r in rows], "#b0bec5"),
        ("上季度", [float(r.previous) for r in rows], "#90caf9"),
        ("本季度", [float(r.now) for r in rows], "#c62828"),
    )
    for i, (name, values, color) in enumerate(series):
        ax.bar([x + (i - 1) * width for x in xs], values, width, label=name, color=color)
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_title(f"{b.year}年第{b.quarter}季度主要指标（环比、同比）", fontsize=11)
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(plt, fig)


def chain_chart(b: Briefing, font: Path) -> bytes:
    """Grouped bars: each chain's published achievements, demand lists and contracts (PNG)."""
    plt = _pyplot(font)
    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=150)
    names = [s.chain.name for s in b.chains] or ["（无产业链）"]
    width = 0.8 / len(CHAIN_FIGURES)
    colors = ("#1565c0", "#ef6c00", "#2e7d32")
    for i, key in enumerate(CHAIN_FIGURES):
        values = [float(next(r.now for r in s.rows if r.key == key)) for s in b.chains] or [0.0]
        label = figures.FIGURE_BY_KEY[key].label
        xs = [x + (i - 1) * width for x in range(len(names))]
        ax.bar(xs, values, width, label=label, color=colors[i])
    ax.set_xticks(list(range(len(names))), names, fontsize=8, rotation=20)
    ax.set_title("分产业链本季度成果、榜单与技术合同", fontsize=11)
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(plt, fig)


def _png(plt: Any, fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


# --- Word --------------------------------------------------------------------------------------

NUMERALS = "一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    return f"十{NUMERALS[n - 11]}" if n < 20 else str(n)


def _font(run: Any, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _para(
    doc: Any,
    text: str,
    size: float = 14,
    bold: bool = False,
    font: str = BODY_FONT,
    align: Any = None,
    indent: bool = True,
) -> Any:
    from docx.shared import Pt

    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(size * 1.8)
    if align is not None:
        p.alignment = align
    _font(p.add_run(text), font, size, bold)
    return p


def _table(doc: Any, header: list[str], rows: list[list[str]]) -> Any:
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), HEADING_FONT, 10.5, True)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5)
    if header == FIGURE_HEADER:  # the label column wide enough for 中试/概念验证平台
        for row in table.rows:
            for i, cell in enumerate(row.cells):
                cell.width = Cm(4.2 if i == 0 else 1.6 if i == 1 else 2.0)
    return table


FIGURE_HEADER = ["指标", "单位", "本季度", "上季度", "环比", "上年同期", "同比"]


def figure_table_rows(rows: list[FigureRow]) -> list[list[str]]:
    """The figures table as printed (the test reads these cells back)."""
    return [
        [
            r.label,
            display_unit(r.unit),
            display(r.now, r.unit),
            display(r.previous, r.unit),
            r.qoq,
            display(r.last_year, r.unit),
            r.yoy,
        ]
        for r in rows
    ]


def summary_text(b: Briefing) -> str:
    """The summary paragraph: the quarter's main flows with their changes."""
    parts = []
    for key in KEY_FIGURES:
        r = b.row(key)
        parts.append(
            f"{r.label}{display(r.now, r.unit)}{display_unit(r.unit)}（环比{r.qoq}，同比{r.yoy}）"
        )
    contract = b.row("contract_value")
    parts.append(
        f"{contract.label}{display(contract.now, contract.unit)}万元"
        f"（环比{contract.qoq}，同比{contract.yoy}）"
    )
    return f"{b.span.label}，全市" + "，".join(parts) + "。"


def write_docx(b: Briefing, out: Path | io.BytesIO) -> None:
    """Write the Word briefing in the government style."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    font = find_cjk_font()
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    center = WD_ALIGN_PARAGRAPH.CENTER
    masthead = _para(doc, "四链融合工作简报", 26, True, HEADING_FONT, center, indent=False)
    masthead.runs[0].font.color.rgb = RGBColor(0xC0, 0, 0)  # the red masthead of 简报
    _para(doc, f"{b.year}年第{b.quarter}期", 14, False, BODY_FONT, center, indent=False)
    _para(
        doc,
        f"市委人才办　市教育局　市科学技术局　　　{b.as_of:%Y年%m月%d日}",
        12,
        False,
        BODY_FONT,
        center,
        indent=False,
    )
    doc.add_paragraph().paragraph_format.space_after = Pt(6)
    _para(doc, b.title, 20, True, HEADING_FONT, center, indent=False)

    n = 1
    _para(doc, f"{_cn(n)}、总体情况", 16, True, HEADING_FONT, indent=False)
    if b.refreshed_to is None:
        _para(doc, "本季度尚未生成统计数据（请先运行 silian figures refresh），以下数字均为 0。")
    _para(doc, summary_text(b))
    _table(doc, FIGURE_HEADER, figure_table_rows(b.rows))
    doc.add_picture(io.BytesIO(city_chart(b, font)), width=Cm(15.5))
    _para(doc, "图1　本季度主要指标与上季度、上年同期对比", 10.5, False, BODY_FONT, center, False)

    n += 1
    _para(doc, f"{_cn(n)}、分产业链情况", 16, True, HEADING_FONT, indent=False)
    doc.add_picture(io.BytesIO(chain_chart(b, font)), width=Cm(15.5))
    _para(doc, "图2　分产业链本季度主要指标", 10.5, False, BODY_FONT, center, False)
    for i, s in enumerate(b.chains, start=1):
        _para(doc, f"（{_cn(i)}）{s.chain.name}", 15, True, HEADING_FONT, indent=False)
        main = [r for r in s.rows if r.key in KEY_FIGURES or r.key == "contract_value"]
        _para(
            doc,
            "本季度"
            + "，".join(f"{r.label}{display(r.now, r.unit)}{display_unit(r.unit)}" for r in main)
            + "。"
            + (f"检测到短板 {len(s.gaps.gaps)} 项。" if s.gaps.gaps else "未检测到短板。"),
        )
        _table(doc, FIGURE_HEADER, figure_table_rows(main))

    n += 1
    _para(doc, f"{_cn(n)}、短板预警", 16, True, HEADING_FONT, indent=False)
    found = [(s.chain, g) for s in b.chains for g in s.gaps.gaps]
    if not found:
        _para(doc, "本季度各产业链未检测到短板。")
    for _chain, gap in found:
        _para(doc, f"{gap.label}：{gap.title}。{gap.detail}")
    for s in b.chains:
        for missing in s.gaps.missing:
            _para(doc, f"{s.chain.name}：{missing}。", 12)

    n += 1
    _para(doc, f"{_cn(n)}、会商议定事项落实情况", 16, True, HEADING_FONT, indent=False)
    if not b.decisions:
        _para(doc, "本季度无会商议定事项。")
    else:
        rows = []
        for d in b.decisions:
            tasks: list[FollowUpTask | None] = list(d.tasks) or [None]
            for t in tasks:
                rows.append(
                    [
                        d.meeting.title,
                        d.decision.content,
                        d.decision.lead_office,
                        t.title if t else "（未分派）",
                        f"{t.due_date:%Y-%m-%d}" if t and t.due_date else "—",
                        meetings.status_label(t, b.as_of) if t else "—",
                    ]
                )
        _table(doc, ["会议", "议定事项", "牵头部门", "督办任务", "时限", "状态"], rows)
    _para(
        doc,
        "数据来源：平台按日汇总的统计数据"
        + (f"（截至 {b.refreshed_to:%Y年%m月%d日}）" if b.refreshed_to else "（未生成）")
        + "，由各类记录自动计算，不含人工填报。",
        10.5,
        indent=False,
    )
    doc.save(str(out) if isinstance(out, Path) else out)


# --- Excel -------------------------------------------------------------------------------------


def write_xlsx(b: Briefing, out: Path | io.BytesIO) -> None:
    """Write the figures (city and per chain) and the record lists behind them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "全市指标"
    header = ["指标键", "指标", "单位", "类型", "本季度", "上季度", "环比", "上年同期", "同比"]
    ws.append(header)
    for r in b.rows:
        ws.append(
            [
                r.key,
                r.label,
                r.unit,
                r.kind,
                float(r.now),
                float(r.previous),
                r.qoq,
                float(r.last_year),
                r.yoy,
            ]
        )
    per_chain = wb.create_sheet("分链指标")
    per_chain.append(["产业链", "指标键", "指标", "单位", "本季度", "上季度", "上年同期"])
    for s in b.chains:
        for r in s.rows:
            per_chain.append(
                [
                    s.chain.name,
                    r.key,
                    r.label,
                    r.unit,
                    float(r.now),
                    float(r.previous),
                    float(r.last_year),
                ]
            )
    for name, rows in b.records.items():
        sheet = wb.create_sheet(name)
        for row in rows:
            sheet.append(row)
    gap_sheet = wb.create_sheet("短板预警")
    gap_sheet.append(["产业链", "类型", "短板", "规模", "相关记录"])
    for s in b.chains:
        for g in s.gaps.gaps:
            gap_sheet.append(
                [s.chain.name, g.label, g.title, g.size, "、".join(r["title"] for r in g.records)]
            )
    dec = wb.create_sheet("议定事项")
    dec.append(["会议", "会议日期", "议定事项", "牵头部门", "督办任务", "承办人", "时限", "状态"])
    for d in b.decisions:
        for t in list[FollowUpTask | None](d.tasks) or [None]:
            who = t.assignee_user if t else None
            dec.append(
                [
                    d.meeting.title,
                    d.meeting.held_on.isoformat(),
                    d.decision.content,
                    d.decision.lead_office,
                    t.title if t else "",
                    (who.display_name or who.username) if who else "",
                    t.due_date.isoformat() if t and t.due_date else "",
                    meetings.status_label(t, b.as_of) if t else "",
                ]
            )
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    wb.properties.title = b.title
    wb.save(out)


def write(session: Session, year: int, quarter: int, fmt: str, out: Path | io.BytesIO) -> Briefing:
    """Collect the quarter and write it as docx or xlsx."""
    if fmt not in FORMATS:
        raise BriefingError("格式应为 docx 或 xlsx")
    b = collect(session, year, quarter, every_chain_figure=fmt == "xlsx")
    (write_docx if fmt == "docx" else write_xlsx)(b, out)
    return b


def download(
    session: Session, user: User | None, year: int, quarter: int, fmt: str
) -> tuple[bytes, str]:
    """The briefing file for the office's download button, and its file name."""
    require(user, "briefing.download")
    buffer = io.BytesIO()
    b = write(session, year, quarter, fmt, buffer)
    return buffer.getvalue(), f"{b.title}.{fmt}"


def default_quarter(today: date | None = None) -> tuple[int, int]:
    """The last complete quarter before today (what a briefing usually covers)."""
    return meetings.last_quarter(today or figures.city_today())
