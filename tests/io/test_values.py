"""Cell values as offices write them: dates, maturity, IP, transfer modes, regions, yes/no."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from silian.io.values import (
    CellError,
    choice,
    choices_list,
    parse_date,
    parse_ip,
    parse_maturity,
    parse_region,
    parse_stage,
    yes_no,
)


@pytest.mark.parametrize(
    "value",
    [
        "2026-07-03",
        "2026/7/3",
        "2026.7.3",
        "2026年7月3日",
        "2026年7月3号",
        "２０２６年７月３日",
        "20260703",
        "2026-07-03 00:00:00",
        46206,
        datetime(2026, 7, 3, 0, 0),
        date(2026, 7, 3),
    ],
)
def test_dates(value: object) -> None:
    assert parse_date(value) == date(2026, 7, 3)


@pytest.mark.parametrize(
    ("value", "reason"), [("2026.2.30", "不存在"), ("2026年7月", "缺少日"), ("明年", "无法识别")]
)
def test_bad_dates_are_refused(value: str, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (6, (6, None)),
        ("TRL6", (6, None)),
        ("６级", (6, None)),
        ("六级", (6, None)),
        ("实验室阶段", (4, "lab")),
        ("小试", (5, "small_pilot")),
        ("中试阶段", (6, "pilot")),
        ("小批量试产", (8, "pilot")),
        ("产业化", (9, "industrial")),
        ("已产业化", (9, "industrial")),
        ("已量产", (9, "industrial")),
        ("6（中试）", (6, "pilot")),
        ("已完成中试验证", (6, "pilot")),
    ],
)
def test_maturity(value: object, expected: tuple[int, str | None]) -> None:
    assert parse_maturity(value) == expected


@pytest.mark.parametrize("value", ["差不多了", 12, 4.5, "已完成中试，正在小批量试产", "6-7"])
def test_unreadable_maturity_is_refused(value: object) -> None:
    with pytest.raises(CellError):
        parse_maturity(value)


def test_stage_words_give_a_trl() -> None:
    assert parse_stage("中试") == ("pilot", 6) and parse_stage(9) == ("industrial", 9)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("发明专利（已授权）", ("invention_patent", "已授权", [])),
        ("发明专利(申请中)", ("invention_patent", "申请中", [])),
        ("已授权发明专利2项", ("invention_patent", "已授权", [])),
        ("实用新型", ("utility_patent", "", [])),
        ("软著", ("software_copyright", "", [])),
        ("专有技术", ("know_how", "", [])),
        ("发明专利 ZL202110123456.7", ("invention_patent", "", ["ZL202110123456.7"])),
        ("发明专利1项、实用新型2项", ("invention_patent", "", [])),
        ("无", ("other", "无", [])),
    ],
)
def test_ip_types_keep_their_status(value: str, expected: tuple[str, str, list[str]]) -> None:
    assert parse_ip(value) == expected


def test_transfer_modes() -> None:
    assert choices_list("transfer_modes", "转让、作价入股") == ["transfer", "equity"]
    assert choices_list("transfer_modes", "技术服务/技术许可") == ["service", "license"]
    assert choices_list("transfer_modes", "转让和许可等") == ["transfer", "license"]
    assert choices_list("transfer_modes", "合作开发(共建平台)") == ["co_development"]
    assert len(choices_list("transfer_modes", "均可")) == 4
    with pytest.raises(CellError, match="可选值"):
        choices_list("transfer_modes", "赠送")
    with pytest.raises(CellError, match="转化方式"):
        choice("trade_type", "作价入股")


def test_regions_yes_no_and_choices() -> None:
    assert parse_region("黄岛区") == parse_region("西海岸新区") == "370211"
    assert parse_region("370212") == parse_region("崂山") == "370212"
    with pytest.raises(CellError):
        parse_region("火星区")
    assert yes_no("是") and yes_no("√") and not yes_no("否") and not yes_no("N")
    assert choice("confidentiality", "是") == "confidential"
    assert choice("confidentiality", "否") == "public"
    assert choice("stage", "pilot") == "pilot"
