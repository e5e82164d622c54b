"""The column spec of import/export files: one ordered list of columns per kind of record.

docs/import-format.md shows these tables; a test fails when the two drift apart. Regenerate the
tables with `python -m silian.io.columns docs/import-format.md`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from annotated_types import MaxLen
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from silian.achievements.choices import (
    ACHIEVEMENT_STATUS,
    IP_TYPES,
    ORIGINS,
    STAGES,
    TRADE_TYPES,
    TRANSFER_MODES,
)
from silian.achievements.schemas import LABELS as ACHIEVEMENT_LABELS
from silian.achievements.schemas import AchievementIn
from silian.core.choices import Choices
from silian.demands.choices import CONFIDENTIALITY, DEMAND_STATUS, LIST_TYPES
from silian.demands.schemas import LABELS as DEMAND_LABELS
from silian.demands.schemas import DemandIn
from silian.io import synonyms
from silian.io.reader import ROW_NUMBER

KINDS = (
    "achievements",
    "demands",
    "investment-projects",
    "named-classes",
    "talent-needs",
    "subsidy-applications",
)
KIND_LABELS = {
    "achievements": "科技成果",
    "demands": "技术需求",
    "investment-projects": "招商引资项目",
    "named-classes": "冠名班",
    "talent-needs": "人才需求",
    "subsidy-applications": "补贴申请",
}
SOURCE_REF_HEADER = "外部编号"
ORG_HEADER = "单位名称"
STATUS_HEADER = "状态"
NEGOTIABLE = "面议"
LIST_SEPARATOR = "、"


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, the record field behind it and how to read it.

    kind is one of text, int, money, date, choice, choices (several choice labels), list,
    people (names, each perhaps with its unit in brackets),
    org (unit name), chain (industry chain name or code), ref (外部编号), status (export only),
    trl (a TRL or a maturity word), stage, ip (type with its status), region (district).
    """

    header: str
    field: str
    kind: str
    meaning: str
    example: str = ""
    required: bool = False
    max_length: int | None = None
    max_items: int | None = None
    choices: Choices | None = None
    default: str = ""
    export_only: bool = False
    # unit columns: the record's relationship holding the unit, and the kind of unit it must be.
    relation: str = ""
    unit_kind: str = ""

    def accepted(self) -> str:
        """Accepted values in words, for the docs and the template."""
        if self.kind in ("choice", "choices", "status"):
            assert self.choices is not None
            labels = LIST_SEPARATOR.join(label for _, label in self.choices)
            text = f"{labels}"
            if self.kind == "choices":
                text = f"可多选，用顿号分隔：{labels}"
            if self.default:
                text += f"；留空为“{self.default}”"
            return text
        if self.kind in ("int", "trl"):
            text = "1–9 的整数（也接受 TRL6、6级、六级"
            if self.kind == "trl":
                text += "，以及实验室阶段、小试、中试、小批量试产、产业化等阶段词"
            return text + "）" + (f"；留空为 {self.default}" if self.default else "；可留空")
        if self.kind == "stage":
            return (
                "实验室阶段、小试、中试、产业化（也接受 中试阶段、小批量试产、已产业化 等）；"
                f"留空时按成熟度推断，都没有为“{self.default}”"
            )
        if self.kind == "ip":
            return (
                "发明专利、实用新型专利、外观设计专利、软件著作权、技术秘密、植物新品种、其他；"
                "状态可写在括号中，如 发明专利（已授权）"
                + (f"；留空为“{self.default}”" if self.default else "")
            )
        if self.kind == "region":
            return "区县名称（如 黄岛区、西海岸新区）或 6 位行政区划代码"
        if self.kind == "money":
            return (
                "金额，单位元；也可写 50万、1.2亿、一百万；列名带单位（如 价格（万元））时"
                "不带单位的数字按该单位；留空或填 面议、协商、议价 表示面议"
            )
        if self.kind == "date":
            return "日期，YYYY-MM-DD（也接受 2026/7/3、2026.7.3、2026年7月3日 和 Excel 日期单元格）"
        if self.kind == "list":
            return f"多个用顿号、逗号、分号或空格分隔，最多 {self.max_items} 个"
        if self.kind == "people":
            return (
                f"姓名，多个用顿号、逗号、分号、空格或换行分隔，最多 {self.max_items} 人，"
                "每个姓名最多 30 字；单位可写在姓名后的括号中，如 王海（滨海大学）；末尾的“等”忽略"
            )
        if self.kind in ("org", "unit"):
            return "与平台上的单位名称完全一致"
        if self.kind == "needs":
            return (
                "每项为 专业名称或专业代码、年份、人数，项之间用分号分隔，"
                "如 智能控制技术 2027 40；460306 2028 20"
            )
        if self.kind == "bool":
            return "是 或 否；留空为否"
        if self.kind == "year":
            return "2000–2100 的年份"
        if self.kind == "count":
            return "非负整数"
        if self.kind == "policy":
            return "与平台上的政策名称完全一致"
        if self.kind == "project":
            return "与平台上的招商引资项目名称完全一致；可留空"
        if self.kind == "chain":
            return "产业链名称或代码，须为平台已配置的产业链；可留空"
        if self.kind == "ref":
            return f"最多 {self.max_length} 个字符，文件内不得重复；已存在则更新该条记录"
        if self.max_length:
            return f"文本，最多 {self.max_length} 个字符"
        return "文本"


def _limits(model: type[BaseModel], field: str) -> int | None:
    for item in model.model_fields[field].metadata:
        if isinstance(item, MaxLen):
            return int(item.max_length)
    return None


def _default(model: type[BaseModel], field: str, choices: Choices | None) -> str:
    value: Any = model.model_fields[field].default
    if value is None or value is PydanticUndefined or value == "" or isinstance(value, list):
        return ""
    return choices.label(str(value)) if choices is not None else str(value)


def _column(
    model: type[BaseModel],
    labels: dict[str, str],
    field: str,
    kind: str,
    meaning: str,
    example: str = "",
    *,
    required: bool = False,
    choices: Choices | None = None,
) -> Column:
    limit = _limits(model, field)
    list_like = kind in ("list", "choices", "people")
    return Column(
        header=labels[field],
        field=field,
        kind=kind,
        meaning=meaning,
        example=example,
        required=required,
        max_length=None if list_like else limit,
        max_items=limit if list_like else None,
        choices=choices,
        default=_default(model, field, choices),
    )


def _ref(noun: str) -> Column:
    return Column(
        header=SOURCE_REF_HEADER,
        field="source_ref",
        kind="ref",
        meaning=f"来源系统中的{noun}编号；再次导入同一编号时更新而不重复创建",
        example="QDU-2024-001" if noun == "成果" else "HX-XQ-2025-017",
        max_length=64,
    )


def _org(noun: str) -> Column:
    return Column(
        header=ORG_HEADER,
        field="organization_id",
        kind="org",
        meaning=f"{noun}所属单位；用 --org 指定或以单位账号导入时可省略",
        example="青岛大学" if noun == "成果" else "青岛海洋装备有限公司（示例）",
        required=True,
    )


def _status(choices: Choices) -> Column:
    return Column(
        header=STATUS_HEADER,
        field="status",
        kind="status",
        meaning="导出时写出当前状态；导入时忽略（导入的记录为草稿，--publish 时为已发布）",
        example=choices.label("published"),
        choices=choices,
        export_only=True,
    )


def _achievement_columns() -> list[Column]:
    m, lb = AchievementIn, ACHIEVEMENT_LABELS

    def c(*args: Any, **kw: Any) -> Column:
        return _column(m, lb, *args, **kw)

    return [
        _ref("成果"),
        c("title", "text", "成果名称", "海水淡化用石墨烯复合膜", required=True),
        _org("成果"),
        c(
            "summary",
            "text",
            "面向需求方的非保密简介（不少于10字）",
            "一种通量高、耐污染的复合膜……",
            required=True,
        ),
        c("keywords", "list", "关键词", "石墨烯、海水淡化、膜分离"),
        c("inventors", "people", "成果完成人（发明人），单位写在括号中", "王海（滨海大学）、李娜"),
        c("discipline", "text", "学科名称", "材料科学与工程"),
        c("chain_id", "chain", "所属产业链", "新材料"),
        c("trl", "trl", "技术成熟度 TRL", "6"),
        c("stage", "stage", "所处阶段", "中试", choices=STAGES),
        c("ip_type", "ip", "知识产权形式", "发明专利（已授权）", choices=IP_TYPES),
        c("ip_status", "text", "知识产权的法律状态", "已授权"),
        c("patent_numbers", "list", "专利申请号或授权号", "ZL202110123456.7"),
        c("transfer_modes", "choices", "可接受的转化方式", "转让、许可", choices=TRANSFER_MODES),
        c("price", "money", "意向价格（元）", "1200000"),
        c("trade_type", "choice", "交易方式", "挂牌", choices=TRADE_TYPES),
        c("application_field", "text", "应用领域", "海水淡化、工业废水处理"),
        c("indicators", "text", "主要技术指标", "水通量 ≥ 45 L/(m²·h)"),
        c("innovations", "text", "创新点", "二维材料层间距可控"),
        c("advantages", "text", "相对现有技术的优势", "能耗降低 20%"),
        c("markets", "text", "市场前景", "沿海城市供水"),
        c("contact_name", "text", "联系人", "张老师"),
        c("contact_phone", "text", "联系电话", "0532-85950000"),
        c("origin", "choice", "成果来源", "原始创新", choices=ORIGINS),
        c("funding_programme", "text", "资助项目", "国家自然科学基金"),
        c("registered_on", "date", "单位登记成果的日期", "2026-07-03"),
        _status(ACHIEVEMENT_STATUS),
    ]


def _demand_columns() -> list[Column]:
    m, lb = DemandIn, DEMAND_LABELS

    def c(*args: Any, **kw: Any) -> Column:
        return _column(m, lb, *args, **kw)

    return [
        _ref("需求"),
        c("title", "text", "需求名称", "深远海养殖网箱防腐涂层", required=True),
        _org("需求"),
        c(
            "list_type",
            "choice",
            "榜单类型（政府榜仅政府部门可导入）",
            "企业榜",
            choices=LIST_TYPES,
        ),
        c("region_code", "region", "所在区市", "370211"),
        c(
            "public_summary",
            "text",
            "公开摘要；非公开需求必填（不少于10字）",
            "征集长效防腐涂层方案",
        ),
        c(
            "problem",
            "text",
            "需求描述（不少于10字）",
            "网箱在海水中三年内腐蚀严重……",
            required=True,
        ),
        c("background", "text", "背景", "企业年产网箱 200 套"),
        c("current_solutions", "text", "现有方案及不足", "环氧涂层，寿命短"),
        c("wanted_outcome", "text", "期望成果", "耐蚀寿命 ≥ 8 年的涂层工艺"),
        c("indicators_must", "text", "必须达到的指标", "盐雾试验 ≥ 3000 h"),
        c("indicators_nice", "text", "期望达到的指标", "单价不高于现有方案"),
        c("keywords", "list", "关键词", "防腐涂层、海洋装备"),
        c("chain_id", "chain", "所属产业链", "海洋装备"),
        c("discipline", "text", "学科名称", "材料科学与工程"),
        c("wanted_trl", "int", "期望技术成熟度 TRL", "7"),
        c("budget", "money", "预算或榜额（元）", "500000"),
        c("deadline", "date", "揭榜截止日期", "2025-12-31"),
        c("registered_on", "date", "企业填报需求的日期", "2025-06-30"),
        c("confidentiality", "choice", "保密要求", "公开", choices=CONFIDENTIALITY),
        c("ip_terms", "text", "知识产权约定", "成果归企业所有"),
        c("eligibility", "text", "揭榜条件", "具有涂层研发经验的高校或企业"),
        c("contact_name", "text", "联系人", "李经理"),
        c("contact_phone", "text", "联系电话", "13800000000"),
        _status(DEMAND_STATUS),
    ]


def _investment_columns() -> list[Column]:
    from silian.coordination.choices import PROJECT_STATUS
    from silian.coordination.schemas import LABELS as PROJECT_LABELS
    from silian.coordination.schemas import InvestmentProjectIn

    m, lb = InvestmentProjectIn, PROJECT_LABELS

    def c(*args: Any, **kw: Any) -> Column:
        return _column(m, lb, *args, **kw)

    return [
        c(
            "name",
            "text",
            "项目名称；与已有项目同名时更新该项目",
            "智能家电产业园三期",
            required=True,
        ),
        Column(
            header=lb["organization_id"],
            field="organization_id",
            kind="unit",
            meaning="投资企业（平台上的企业单位）",
            example="青岛示例智能家电有限公司",
            relation="organization",
            unit_kind="enterprise",
        ),
        c("chain_id", "chain", "所属产业链", "智能家电"),
        c("region_code", "region", "项目所在区市", "黄岛区"),
        c("opening_date", "date", "计划或实际投产日期", "2027-09-01"),
        c("investment", "money", "投资额（元）", "3亿"),
        c(
            "talent_needs",
            "needs",
            "分专业人才需求",
            "电气自动化技术 2027 60；智能控制技术 2027 40",
        ),
        c("status", "choice", "项目状态", "已签约", choices=PROJECT_STATUS),
        c("description", "text", "项目简介", "智能家电产业链招商引资项目"),
    ]


def _class_columns() -> list[Column]:
    from silian.education.schemas import CLASS_LABELS, NamedClassIn

    m, lb = NamedClassIn, CLASS_LABELS

    def c(*args: Any, **kw: Any) -> Column:
        return _column(m, lb, *args, **kw)

    return [
        c(
            "name",
            "text",
            "冠名班名称；同一院校同名时更新该班",
            "海尔智能控制冠名班",
            required=True,
        ),
        Column(
            header=lb["university_id"],
            field="organization_id",
            kind="org",
            meaning="办学院校；以院校账号导入时可省略",
            example="青岛职业技术学院",
            required=True,
        ),
        Column(
            header=lb["enterprise_id"],
            field="enterprise_id",
            kind="unit",
            meaning="冠名企业（平台上的企业单位）",
            example="青岛示例智能家电有限公司",
            required=True,
            relation="enterprise",
            unit_kind="enterprise",
        ),
        c("major_name", "text", "专业名称", "智能控制技术", required=True),
        c("students", "count", "在读学生数", "45"),
        c("graduation_year", "year", "毕业年份", "2027", required=True),
        c("investment_project_id", "project", "服务的招商引资项目", "智能家电产业园三期"),
    ]


def _need_columns() -> list[Column]:
    from silian.talent.choices import TALENT_NEED_STATUS
    from silian.talent.schemas import NEED_LABELS, TalentNeedIn

    m, lb = TalentNeedIn, NEED_LABELS

    def c(*args: Any, **kw: Any) -> Column:
        return _column(m, lb, *args, **kw)

    return [
        _ref("人才需求"),
        c("position", "text", "岗位名称", "海工结构工程师", required=True),
        _org("人才需求"),
        c("headcount", "count", "需求人数（正整数）", "3", required=True),
        c("salary_min", "money", "年薪下限（元）", "25万"),
        c("salary_max", "money", "年薪上限（元）", "40万"),
        c("major", "text", "专业要求", "船舶与海洋工程"),
        c("requirements", "text", "任职要求", "硕士及以上，三年以上海工结构设计经验"),
        c("chain_id", "chain", "所属产业链", "海洋装备"),
        Column(
            header=lb["co_shared"],
            field="co_shared",
            kind="bool",
            meaning="共引共享岗位（高校院所持岗、企业提供场景）",
            example="否",
        ),
        Column(
            header=lb["host_organization_id"],
            field="host_organization_id",
            kind="unit",
            meaning="共引共享岗位所在的高校或院所",
            example="中国海洋大学",
            relation="host",
        ),
        Column(
            header=lb["scene_organization_id"],
            field="scene_organization_id",
            kind="unit",
            meaning="共引共享岗位提供产业场景的企业",
            example="青岛海洋装备有限公司（示例）",
            relation="scene",
            unit_kind="enterprise",
        ),
        c("deadline", "date", "截止日期", "2027-06-30"),
        _status(TALENT_NEED_STATUS),
    ]


def _subsidy_columns() -> list[Column]:
    from silian.subsidies.choices import SUBSIDY_STATUS
    from silian.subsidies.schemas import ApplicationIn

    lb = {
        "year": "申请年度",
        "fact_amount": "计算依据金额（元）",
        "persons": "人数",
        "reason": "申请理由",
    }

    def c(*args: Any, **kw: Any) -> Column:
        return _column(ApplicationIn, lb, *args, **kw)

    return [
        Column(
            header="政策名称",
            field="policy_id",
            kind="policy",
            meaning="所申请的政策",
            example="人才薪酬补贴（示例）",
            required=True,
            relation="policy",
        ),
        Column(
            header="申请单位",
            field="organization_id",
            kind="org",
            meaning="申请单位；以单位账号导入时可省略",
            example="青岛海洋装备有限公司（示例）",
            required=True,
        ),
        c("year", "year", "申请年度", "2026", required=True),
        c("fact_amount", "money", "年薪、猎头费、预约金额等计算依据", "30万"),
        c("persons", "count", "人数（按人计的政策）", "2"),
        c("reason", "text", "申请理由", "引进海工结构工程师 2 名"),
        Column(
            header="核定金额（元）",
            field="amount",
            kind="money",
            meaning="按政策计算的补贴金额；导出时写出，导入时重新计算",
            example="60000",
            export_only=True,
        ),
        Column(
            header="计算过程",
            field="computation",
            kind="text",
            meaning="补贴金额的计算过程；导出时写出，导入时忽略",
            example="年薪 30万元 × 20% = 6万元",
            export_only=True,
        ),
        _status(SUBSIDY_STATUS),
    ]


COLUMNS: dict[str, list[Column]] = {
    "achievements": _achievement_columns(),
    "demands": _demand_columns(),
    "investment-projects": _investment_columns(),
    "named-classes": _class_columns(),
    "talent-needs": _need_columns(),
    "subsidy-applications": _subsidy_columns(),
}


def columns_for(kind: str) -> list[Column]:
    """Columns of kind ('achievements' or 'demands'), in file order."""
    return COLUMNS[kind]


@cache
def _header_index(kind: str) -> dict[str, str]:
    canonical = {c.field: c.header for c in columns_for(kind)}
    return synonyms.index(kind, canonical)


def match_header(kind: str, header: str) -> str | None:
    """The field a header names for kind (by synonym), ROW_NUMBER for 序号, or None."""
    if synonyms.is_row_number(header):
        return ROW_NUMBER
    found = _header_index(kind)
    for key in synonyms.header_keys(header):
        if key in found:
            return found[key]
    return None


def resolve_target(kind: str, target: str) -> Column | None:
    """The column a user's --map target names: a field name, a header or any synonym of it."""
    target = target.strip()
    by_field = {c.field: c for c in columns_for(kind) if not c.export_only}
    if target in by_field:
        return by_field[target]
    name = match_header(kind, target)
    return by_field.get(name) if name else None


def by_field(kind: str) -> dict[str, Column]:
    """Columns of kind keyed by field name."""
    return {c.field: c for c in columns_for(kind)}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(kind: str) -> str:
    """The Markdown table of kind's columns, as docs/import-format.md shows it."""
    lines = [
        "| 列名 | 也认作 | 含义 | 必填 | 可接受的值 | 示例 |",
        "|---|---|---|---|---|---|",
    ]
    for col in columns_for(kind):
        required = "是" if col.required else ("仅导出" if col.export_only else "否")
        aliases = "、".join(
            n for n in synonyms.SYNONYMS[kind].get(col.field, ()) if n != col.header
        )
        cells = (col.header, aliases, col.meaning, required, col.accepted(), col.example)
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return "\n".join(lines)


def marker(kind: str) -> tuple[str, str]:
    """Start and end markers around kind's generated table in the docs."""
    return f"<!-- columns:{kind} -->", f"<!-- /columns:{kind} -->"


def update_docs(text: str) -> str:
    """text with every generated table replaced by the current spec."""
    for kind in KINDS:
        start, end = marker(kind)
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
        block = f"{start}\n{render_markdown(kind)}\n{end}"
        text = pattern.sub(block.replace("\\", "\\\\"), text)
    return text


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/import-format.md")
    target.write_text(update_docs(target.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {target}")
