"""Cell values as offices write them, read into what the schemas store; unreadable ones refused.

Each reader takes a raw cell (text, number, date or bool from openpyxl or CSV) and returns the
value for the schema, or raises CellError with a Chinese reason naming what was written. Nothing
is guessed: a value that matches none of the words below is refused with the accepted ones.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from silian.achievements.choices import IP_TYPES, ORIGINS, STAGES, TRADE_TYPES, TRANSFER_MODES
from silian.core.choices import Choices
from silian.core.money import MoneyError, is_negotiable, parse_money
from silian.demands.choices import CONFIDENTIALITY, LIST_TYPES
from silian.io.synonyms import fold

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_EPOCH = date(1899, 12, 30)


class CellError(ValueError):
    """A cell that cannot be read; str() is the Chinese reason."""


def blank(value: Any) -> bool:
    """True for an empty cell."""
    return value is None or (isinstance(value, str) and not value.strip())


def number_text(value: float | int) -> str:
    """12.0 → '12', 12.5 → '12.5'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def text(value: Any) -> str:
    """A cell as the text a person sees."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    out = str(value).strip()
    # Undo the quote our CSV export puts before text that looks like a formula.
    if len(out) > 1 and out[0] == "'" and out[1] in _FORMULA_START:
        out = out[1:]
    return out


def people(value: Any) -> str:
    """A cell of people (完成人) as one line: names typed on separate lines of the cell
    (Alt+Enter) or separated by tabs become 、-separated, which the schema then splits."""
    return "、".join(line.strip() for line in re.split(r"[\r\n\t]+", text(value)) if line.strip())


# ---------------------------------------------------------------- yes / no

YES = ("是", "有", "Y", "YES", "TRUE", "√", "✓", "对", "需要", "要")
NO = ("否", "无", "N", "NO", "FALSE", "×", "✗", "X", "不", "不需要", "没有")


def yes_no(value: Any) -> bool:
    """是/否、有/无、Y/N、√/× and true/false as a bool."""
    if isinstance(value, bool):
        return value
    word = fold(text(value)).upper()
    if word in YES or word == "1":
        return True
    if word in NO or word == "0":
        return False
    raise CellError(f"“{text(value)}”不是是/否，请填写“是”或“否”")


# ---------------------------------------------------------------- dates

_YMD = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"^(.+?)[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_YM = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


def parse_date(value: Any) -> date:
    """2026-07-03, 2026/7/3, 2026.7.3, 2026年7月3日, 20260703, Excel dates and serial numbers."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:  # an Excel serial day number (1954–2119)
            return _EXCEL_EPOCH + timedelta(days=int(value))
        value = number_text(value)
    raw = text(value)
    timed = _TIME.match(raw)
    word = fold(timed.group(1) if timed else raw).replace("号", "日")
    found = _YMD.match(word) or _COMPACT.match(word)
    if found:
        year, month, day = (int(x) for x in found.groups())
        try:
            return date(year, month, day)
        except ValueError:
            raise CellError(f"日期“{raw}”不存在") from None
    if _YM.match(word):
        raise CellError(f"日期“{raw}”缺少日，请写完整日期（如 2026年7月3日）")
    raise CellError(f"无法识别的日期“{raw}”，请写作 2026-07-03、2026年7月3日 或 2026.7.3")


# ---------------------------------------------------------------- money


def parse_amount(value: Any, unit: Decimal) -> Decimal | None:
    """An amount in 元 (None for 面议) from a money cell; unit is the column's unit."""
    try:
        return parse_money(value, unit)
    except MoneyError as exc:
        raise CellError(str(exc)) from None


# ---------------------------------------------------------------- maturity

#: Maturity words (成熟度/所处阶段) → (TRL, stage), after removing 阶段/完成/已.
MATURITY_WORDS: dict[str, tuple[int, str]] = {
    "基础研究": (1, "lab"),
    "理论研究": (1, "lab"),
    "原理": (1, "lab"),
    "概念": (2, "lab"),
    "方案设计": (2, "lab"),
    "原理验证": (3, "lab"),
    "研究": (3, "lab"),
    "研发": (3, "lab"),
    "实验室": (4, "lab"),
    "实验室研究": (4, "lab"),
    "实验室验证": (4, "lab"),
    "实验": (4, "lab"),
    "小试": (5, "small_pilot"),
    "样品": (5, "small_pilot"),
    "样机": (5, "small_pilot"),
    "原型": (5, "small_pilot"),
    "原理样机": (5, "small_pilot"),
    "中试": (6, "pilot"),
    "工程样机": (6, "pilot"),
    "工程化": (6, "pilot"),
    "工程化验证": (6, "pilot"),
    "示范应用": (7, "pilot"),
    "应用示范": (7, "pilot"),
    "试用": (7, "pilot"),
    "小批量试产": (8, "pilot"),
    "小批量生产": (8, "pilot"),
    "小批量": (8, "pilot"),
    "试生产": (8, "pilot"),
    "试产": (8, "pilot"),
    "批量试制": (8, "pilot"),
    "定型": (8, "pilot"),
    "产业化": (9, "industrial"),
    "规模化生产": (9, "industrial"),
    "规模化应用": (9, "industrial"),
    "规模生产": (9, "industrial"),
    "批量生产": (9, "industrial"),
    "量产": (9, "industrial"),
    "推广应用": (9, "industrial"),
    "成熟应用": (9, "industrial"),
    "已应用": (9, "industrial"),
    "商业化": (9, "industrial"),
}
_CHINESE_DIGITS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_TRL = re.compile(r"^(?:TRL|第)?[-:]?([1-9一二三四五六七八九])(?:级)?$", re.I)


def stage_for_trl(trl: int) -> str:
    """The stage a TRL implies: 1–4 lab, 5 small pilot, 6–8 pilot, 9 industrial."""
    if trl <= 4:
        return "lab"
    if trl == 5:
        return "small_pilot"
    if trl <= 8:
        return "pilot"
    return "industrial"


def _maturity_word(word: str) -> tuple[int, str] | None:
    word = word.strip("()")
    for candidate in (
        word,
        re.sub(r"(阶段|完成|已完成|结束|水平)$", "", word),
        re.sub(r"^(已|处于|完成|正在|进入)", "", re.sub(r"(阶段|完成|水平)$", "", word)),
    ):
        if candidate in MATURITY_WORDS:
            return MATURITY_WORDS[candidate]
    stage = STAGES.value_for(word)
    if stage is not None:
        return {"lab": 4, "small_pilot": 5, "pilot": 6, "industrial": 9}[stage], stage
    return None


def _contained_maturity(word: str) -> tuple[int, str] | None:
    """The one maturity a longer phrase names (已完成中试验证 → 中试); None if none or several."""
    found = [w for w in MATURITY_WORDS if len(w) >= 2 and w in word]
    longest = [w for w in found if not any(w != o and w in o for o in found)]
    levels = {MATURITY_WORDS[w] for w in longest}
    return levels.pop() if len(levels) == 1 else None


def parse_maturity(value: Any) -> tuple[int, str | None]:
    """(TRL, stage or None) from 6, 'TRL6', '6级', '六级', or a word like 中试阶段 / 小批量试产."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 9:
            return int(value), None
        raise CellError(f"技术成熟度“{number_text(value)}”应为 1–9 的整数")
    raw = text(value)
    word = fold(raw).upper().replace("TRL", "TRL")
    found = _TRL.match(word)
    if found:
        digit = found.group(1)
        return (int(digit) if digit.isdigit() else _CHINESE_DIGITS[digit]), None
    named = _maturity_word(fold(raw))
    if named is not None:
        return named
    bracket = _IP_STATUS.match(fold(raw))
    if bracket:
        # 6（中试）/ TRL6(中试阶段) / 中试(TRL6): a level and a word for the same thing.
        outer, inner = bracket.group(1), bracket.group(2)
        parts: list[tuple[int, str | None] | None] = []
        for part in (outer, inner):
            try:
                parts.append(parse_maturity(part))
            except CellError:
                parts.append(None)
        levels = [p for p in parts if p is not None]
        if levels:
            trl = next((p[0] for p in levels if p[1] is None), levels[0][0])
            stage = next((p[1] for p in levels if p[1] is not None), None)
            return trl, stage
    contained = _contained_maturity(fold(raw))
    if contained is not None:
        return contained
    raise CellError(
        f"无法识别的成熟度“{raw}”：请填写 1–9 的 TRL 等级，或实验室阶段、小试、中试、"
        "小批量试产、产业化等阶段"
    )


def parse_stage(value: Any) -> tuple[str, int]:
    """(stage, TRL it implies) from 中试、中试阶段、小批量试产、产业化 … or a TRL number."""
    trl, stage = parse_maturity(value)
    return (stage or stage_for_trl(trl)), trl


# ---------------------------------------------------------------- choices with synonyms

_CHOICE_WORDS: dict[str, dict[str, str]] = {
    "ip_type": {
        "发明": "invention_patent",
        "发明专利": "invention_patent",
        "国家发明专利": "invention_patent",
        "授权发明专利": "invention_patent",
        "专利": "invention_patent",
        "国际专利": "invention_patent",
        "PCT专利": "invention_patent",
        "实用新型": "utility_patent",
        "实用新型专利": "utility_patent",
        "外观设计": "design_patent",
        "外观专利": "design_patent",
        "外观设计专利": "design_patent",
        "软件著作权": "software_copyright",
        "计算机软件著作权": "software_copyright",
        "软著": "software_copyright",
        "软件著作权登记": "software_copyright",
        "著作权": "software_copyright",
        "技术秘密": "know_how",
        "专有技术": "know_how",
        "非专利技术": "know_how",
        "技术诀窍": "know_how",
        "植物新品种": "new_variety",
        "植物新品种权": "new_variety",
        "新品种": "new_variety",
        "集成电路布图设计": "other",
        "其他": "other",
        "其它": "other",
    },
    "transfer_modes": {
        "转让": "transfer",
        "技术转让": "transfer",
        "专利转让": "transfer",
        "成果转让": "transfer",
        "所有权转让": "transfer",
        "许可": "license",
        "技术许可": "license",
        "专利许可": "license",
        "许可使用": "license",
        "独占许可": "license",
        "排他许可": "license",
        "普通许可": "license",
        "实施许可": "license",
        "专利实施许可": "license",
        "许可实施": "license",
        "作价投资": "equity",
        "作价入股": "equity",
        "技术入股": "equity",
        "入股": "equity",
        "股权合作": "equity",
        "作价出资": "equity",
        "合作开发": "co_development",
        "联合开发": "co_development",
        "合作研发": "co_development",
        "技术开发": "co_development",
        "委托开发": "co_development",
        "产学研合作": "co_development",
        "技术服务": "service",
        "技术咨询": "service",
        "技术服务与咨询": "service",
        "技术咨询服务": "service",
        "技术培训": "service",
    },
    "trade_type": {"挂牌": "listing", "挂牌交易": "listing", "竞价": "auction"},
    "origin": {
        "自主研发": "original",
        "自主创新": "original",
        "原创": "original",
        "引进": "absorbed",
        "引进消化": "absorbed",
        "消化吸收再创新": "absorbed",
        "集成创新": "secondary",
        "二次创新": "secondary",
    },
    "list_type": {"企业": "enterprise", "政府": "government"},
    "confidentiality": {
        "不保密": "public",
        "否": "public",
        "无": "public",
        "公开发布": "public",
        "完全公开": "public",
        "部分公开": "summary_only",
        "摘要公开": "summary_only",
        "仅摘要公开": "summary_only",
        "保密": "confidential",
        "是": "confidential",
        "需保密": "confidential",
        "需要保密": "confidential",
        "不公开": "confidential",
    },
}
CHOICES: dict[str, Choices] = {
    "ip_type": IP_TYPES,
    "transfer_modes": TRANSFER_MODES,
    "trade_type": TRADE_TYPES,
    "origin": ORIGINS,
    "list_type": LIST_TYPES,
    "confidentiality": CONFIDENTIALITY,
    "stage": STAGES,
}


def choice(field: str, value: Any, choices: Choices | None = None) -> str:
    """The stored value of a choice cell, by label, code or one of the words above (choices:
    the column's own, for fields not in CHOICES)."""
    choices = choices or CHOICES[field]
    raw = text(value)
    word = fold(raw)
    found = choices.value_for(raw) or choices.value_for(word)
    if found is not None:
        return found
    for label_value, label in choices:
        if fold(label) == word or fold(label).split("(")[0] == word:
            return label_value
    extra = _CHOICE_WORDS.get(field, {})
    if word in extra:
        return extra[word]
    if field == "trade_type" and _transfer_word(word):
        raise CellError(
            f"“{raw}”是转化方式而不是交易方式（挂牌、招标、拍卖）：请把这一列映射为“转化方式”"
        )
    accepted = "、".join(label for _, label in choices)
    raise CellError(f"无法识别的取值“{raw}”，可选值：{accepted}")


def _transfer_word(word: str) -> bool:
    return word in _CHOICE_WORDS["transfer_modes"] or TRANSFER_MODES.value_for(word) is not None


_ANY_MODE = ("均可", "不限", "皆可", "以上均可", "方式不限", "均可接受")
_MODE_SPLIT = re.compile(r"[,，、;；/\\\s]+|(?<=[^\s])(?:和|及|或)(?=[^\s])")


def choices_list(field: str, value: Any) -> list[str]:
    """Several choice words (转让、许可/作价入股) as stored values, in order, no repeats."""
    out: list[str] = []
    whole = re.sub(r"\([^()]*\)", "", fold(text(value)))
    if field == "transfer_modes" and whole in _ANY_MODE:
        return [v for v in TRANSFER_MODES.values if v != "service"]
    for part in _MODE_SPLIT.split(whole):
        part = part.removesuffix("等").removesuffix("方式").strip("()")
        if not part or part in ("等", "其他"):
            continue
        found = choice(field, part)
        if found not in out:
            out.append(found)
    return out


_IP_STATUS = re.compile(r"^(.*?)[(\[]([^()\[\]]+)[)\]]$")
_PATENT_NUMBER = re.compile(r"((?:ZL|CN)?\d{8,13}\.?[\dX]?)", re.I)
_STATUS_WORDS = ("已授权", "授权", "申请中", "已受理", "受理", "实审", "实质审查", "已公开", "公开")


def parse_ip(value: Any) -> tuple[str, str, list[str]]:
    """(ip_type, status, patent numbers) from 发明专利（已授权）, 发明专利 ZL…, 授权发明专利."""
    raw = text(value)
    word = fold(raw)
    status = ""
    found = _IP_STATUS.match(word)
    if found:
        word, status = found.group(1), found.group(2)
    numbers = [n.upper() for n in _PATENT_NUMBER.findall(word)]
    for number in numbers:
        word = re.sub(re.escape(number), "", word, flags=re.I)
    word = word.strip(":：,，、 ")
    if "," in word or "、" in word or ";" in word:
        # Several kinds (发明专利、实用新型): the first one listed is the record's type.
        word = re.split(r"[,、;]", word)[0]
    word = re.sub(r"\d+(项|件|个|篇)$", "", word)
    # 已授权发明专利 / 发明专利已授权 / 授权发明专利: the status written around the type.
    for status_word in _STATUS_WORDS:
        if word.startswith(status_word) and len(word) > len(status_word):
            rest = word[len(status_word) :]
            if _ip_type_or_none(rest) is not None:
                status = status or status_word
                word = rest
                break
        if word.endswith(status_word) and len(word) > len(status_word):
            rest = word[: -len(status_word)]
            if _ip_type_or_none(rest) is not None:
                status = status or status_word
                word = rest
                break
    found_type = _ip_type_or_none(word)
    if found_type is None and word in ("无", "暂无", "没有", "/"):
        return "other", "无", numbers
    if found_type is None:
        raise CellError(
            f"无法识别的知识产权类型“{raw}”，可选值："
            + "、".join(label for _, label in IP_TYPES)
            + "（状态可写在括号中，如 发明专利（已授权））"
        )
    return found_type, status[:20], numbers


def _ip_type_or_none(word: str) -> str | None:
    try:
        return choice("ip_type", word)
    except CellError:
        return None


def negotiable(value: Any) -> bool:
    """True when a money cell says 面议."""
    return isinstance(value, str) and is_negotiable(value)


# ---------------------------------------------------------------- regions

_REGION_ALIASES = {"西海岸新区": "黄岛区", "青岛西海岸新区": "黄岛区"}


def parse_region(value: Any) -> str:
    """A county-level division code from 370211, 黄岛区, 西海岸新区 or 山东省青岛市黄岛区."""
    from silian.reference.data import region_name, regions

    raw = text(value)
    word = fold(raw)
    names = regions()
    if word.isdigit():
        if len(word) == 6 and word in names:
            return word
        raise CellError(f"行政区划代码“{raw}”不存在")
    word = _REGION_ALIASES.get(word, word)
    counties = {c: n for c, n in names.items() if len(c) == 6}
    exact = [c for c, n in counties.items() if region_name(c) == word]
    if len(exact) == 1:
        return exact[0]
    found = [c for c, n in counties.items() if n == word or region_name(c).endswith(word)]
    if not found and not word.endswith(("区", "市", "县")):
        found = [c for c, n in counties.items() if n in (word + "区", word + "市", word + "县")]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise CellError(
            f"区县名称“{raw}”不唯一，请写完整名称（如 山东省青岛市黄岛区）或行政区划代码"
        )
    raise CellError(f"无法识别的区县“{raw}”，请填写区县名称或 6 位行政区划代码")
