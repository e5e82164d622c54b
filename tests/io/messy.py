"""Office-style registration sheets, messy as offices keep them, built with openpyxl for tests.

成果登记表: a merged title and subtitle above the header, a filling note, blank rows, a 序号
column, a two-row header (联系人 over 姓名/电话), the office's own column names, prices in 万元,
Chinese and dotted dates, full-width digits, maturity words, IP types with their status, 作价入股
and 技术服务, 面议 and 一百万, a unit name merged down several rows, an unknown column (备注),
a note under the table, and four bad rows of different kinds. GOOD holds what each good row must
become; BAD names each bad row (as the sheet shows it), its column and a word of the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook

UNI = "青岛海滨大学"
UNI2 = "青岛理工测试学院"
ENT = "青岛深蓝装备有限公司"

HEADERS = [
    "序号",
    "成果名称",
    "完成单位",
    "成果简介",
    "所属学科",
    "成熟度",
    "知识产权",
    "转化方式",
    "意向价格（万元）",
    "登记日期",
    "联系人",  # merged over 姓名 / 电话 in the row below
    None,
    "备注",
]
SUB_HEADERS = [None, None, None, None, None, None, None, None, None, None, "姓名", "电话", None]


@dataclass
class Good:
    """What a good row must be stored as."""

    row: int
    title: str
    org: str
    trl: int
    stage: str
    ip_type: str
    ip_status: str
    modes: list[str]
    price: Decimal | None
    registered_on: date
    discipline: str
    contact_name: str
    contact_phone: str


SUMMARY = "面向海洋装备的关键技术，已在企业开展应用验证，性能稳定可靠。"


def _rows() -> tuple[list[tuple[int, list[Any]]], list[Good], dict[int, tuple[str, str]]]:
    """(sheet rows by row number, good rows, bad rows → (column, reason word))."""
    rows: list[tuple[int, list[Any]]] = []
    good: list[Good] = []
    bad: dict[int, tuple[str, str]] = {}

    def add(number: int, cells: list[Any], expect: Good | None = None) -> None:
        rows.append((number, cells))
        if expect is not None:
            good.append(expect)

    # Data starts at row 6 (title 1, subtitle 2, note 3, header 4, sub-header 5).
    add(
        6,
        [
            1,
            "深海耐压壳体轻量化设计",
            UNI,
            SUMMARY,
            "船舶与海洋工程",
            "中试阶段",
            "发明专利（已授权）",
            "转让、作价入股",
            "１２０",
            "2026年7月3日",
            "王老师",
            "0532-85950001",
            "重点推荐",
        ],
        Good(
            6,
            "深海耐压壳体轻量化设计",
            UNI,
            6,
            "pilot",
            "invention_patent",
            "已授权",
            ["transfer", "equity"],
            Decimal("1200000"),
            date(2026, 7, 3),
            "船舶与海洋工程",
            "王老师",
            "0532-85950001",
        ),
    )
    # Row 7's 完成单位 is merged down from row 6 (same unit).
    add(
        7,
        [
            2,
            "海水淡化膜抗污染涂层",
            None,
            SUMMARY,
            "材料科学与工程",
            "小批量试产",
            "发明专利(申请中)",
            "技术服务",
            "面议",
            "2026.7.3",
            "李老师",
            13800000002,
            "",
        ],
        Good(
            7,
            "海水淡化膜抗污染涂层",
            UNI,
            8,
            "pilot",
            "invention_patent",
            "申请中",
            ["service"],
            None,
            date(2026, 7, 3),
            "材料科学与工程",
            "李老师",
            "13800000002",
        ),
    )
    add(8, [None] * 13)  # a blank line between entries
    add(
        9,
        [
            3,
            "船用燃料电池热管理系统",
            UNI2,
            SUMMARY,
            "动力工程",
            "TRL７",
            "实用新型",
            "许可/合作开发",
            35.5,
            datetime(2026, 6, 30),
            "赵工",
            "０５３２－８０００００03",  # full-width digits and dash
            "",
        ],
        Good(
            9,
            "船用燃料电池热管理系统",
            UNI2,
            7,
            "pilot",
            "utility_patent",
            "",
            ["license", "co_development"],
            Decimal("355000"),
            date(2026, 6, 30),
            "动力工程",
            "赵工",
            "0532-80000003",
        ),
    )
    add(
        10,
        [
            4,
            "水下机器人视觉定位软件",
            UNI2,
            SUMMARY,
            "计算机科学与技术",
            "实验室阶段",
            "软件著作权",
            "转让",
            "一百万",
            "２０２６年５月１日",
            "钱老师",
            "",
            "",
        ],
        Good(
            10,
            "水下机器人视觉定位软件",
            UNI2,
            4,
            "lab",
            "software_copyright",
            "",
            ["transfer"],
            Decimal("1000000"),
            date(2026, 5, 1),
            "计算机科学与技术",
            "钱老师",
            "",
        ),
    )
    add(
        11,
        [
            5,
            "海洋生物酶制剂规模化制备",
            UNI,
            SUMMARY,
            "生物工程",
            "产业化",
            "技术秘密",
            "作价投资、许可",
            "0.8亿",
            "2026/04/15",
            "孙老师",
            "",
            "",
        ],
        Good(
            11,
            "海洋生物酶制剂规模化制备",
            UNI,
            9,
            "industrial",
            "know_how",
            "",
            ["equity", "license"],
            Decimal("80000000"),
            date(2026, 4, 15),
            "生物工程",
            "孙老师",
            "",
        ),
    )
    # Bad row 12: a maturity nobody can read.
    add(
        12,
        [
            6,
            "海上风电叶片监测",
            UNI,
            SUMMARY,
            "电气工程",
            "差不多成熟了",
            "发明专利",
            "转让",
            "50",
            "2026.3.1",
            "周老师",
            "",
            "",
        ],
    )
    bad[12] = ("成熟度", "成熟度")
    # Bad row 13: a date that does not exist.
    add(
        13,
        [
            7,
            "港口起重机防摇控制",
            UNI,
            SUMMARY,
            "控制科学与工程",
            "小试",
            "发明专利",
            "许可",
            "30",
            "2026.2.30",
            "吴老师",
            "",
            "",
        ],
    )
    bad[13] = ("登记日期", "不存在")
    add(14, [None] * 13)
    # Bad row 15: a price range is not one amount.
    add(
        15,
        [
            8,
            "船体焊缝智能检测",
            UNI2,
            SUMMARY,
            "机械工程",
            "中试",
            "发明专利",
            "转让",
            "50-80",
            "2026.3.2",
            "郑老师",
            "",
            "",
        ],
    )
    bad[15] = ("意向价格（万元）", "金额")
    # Bad row 16: no summary at all.
    add(
        16,
        [
            9,
            "深远海养殖网箱防腐",
            UNI2,
            None,
            "材料科学与工程",
            "中试",
            "发明专利",
            "转让",
            "20",
            "2026.3.3",
            "冯老师",
            "",
            "",
        ],
    )
    bad[16] = ("成果简介", "必填")
    add(
        17,
        [
            10,
            "海洋牧场水质在线监测仪",
            UNI2,
            SUMMARY,
            "环境科学与工程",
            5,
            "发明专利 ZL202110123456.7",
            "技术转让，技术许可",
            "200000元",
            46174,
            "陈老师",
            "",
            "",
        ],
        Good(
            17,
            "海洋牧场水质在线监测仪",
            UNI2,
            5,
            "small_pilot",
            "invention_patent",
            "",
            ["transfer", "license"],
            Decimal("200000"),
            date(2026, 6, 1),
            "环境科学与工程",
            "陈老师",
            "",
        ),
    )
    add(18, [11, None, None, None, None, None, None, None, None, None, None, None, None])
    return rows, good, bad


ROWS, GOOD, BAD = _rows()


def build_achievements(path: Path) -> Path:
    """The messy 成果登记表 as an .xlsx file."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "成果登记"
    width = len(HEADERS)
    sheet.append(["青岛市高校科技成果登记表（2026年第三季度）"] + [None] * (width - 1))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.append(["填报单位（盖章）：科技处        填报日期：2026年7月10日"] + [None] * (width - 1))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.append(["填表说明：价格单位为万元；成熟度可填写阶段；带*为必填"] + [None] * (width - 1))
    sheet.append(HEADERS)
    sheet.append(SUB_HEADERS)
    # Headers without a sub-heading span both header rows; 联系人 spans 姓名 and 电话.
    for column, header in enumerate(HEADERS, start=1):
        if header and header != "联系人":
            sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    sheet.merge_cells(start_row=4, start_column=11, end_row=4, end_column=12)
    for number, cells in ROWS:
        for column, value in enumerate(cells, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    sheet.merge_cells(start_row=6, start_column=3, end_row=7, end_column=3)
    sheet.cell(row=20, column=1, value="注：1. 价格单位为万元；2. 本表由各单位科技处汇总。")
    sheet.merge_cells(start_row=20, start_column=1, end_row=20, end_column=width)
    sheet.cell(row=21, column=1, value="填表人：张三")
    workbook.save(path)
    return path


DEMAND_HEADERS = [
    "企业名称",
    "需求名称",
    "需求内容",
    "拟投入资金（万元）",
    "截止时间",
    "是否保密",
    "公开摘要",
    "所在区",
    "期望成熟度",
    "填报日期",
    "合作方式",
]


def build_demands(path: Path) -> Path:
    """A 需求征集表 with a title, synonyms, 万元, Chinese dates and an unknown 合作方式 column."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["2026年企业技术需求征集表"])
    sheet.append([])
    sheet.append(DEMAND_HEADERS)
    problem = "需要耐蚀寿命八年以上的网箱涂层工艺，满足深远海养殖的使用要求。"
    sheet.append(
        [
            ENT,
            "深远海网箱防腐涂层",
            problem,
            "２００",
            "2026年12月31日",
            "否",
            None,
            "西海岸新区",
            "中试",
            "2026.7.3",
            "合作开发",
        ]
    )
    sheet.append(
        [
            ENT,
            "船用传感器国产化",
            problem,
            "协商",
            "2027.6.30",
            "是",
            "征集船用传感器国产化替代方案",
            "黄岛区",
            "TRL8",
            "2026年7月4日",
            "技术转让",
        ]
    )
    workbook.save(path)
    return path
