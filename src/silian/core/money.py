"""Money as people write it (300000、50万、1.2亿元、一百万、面议) read into 元, and shown in 万元.

One parser for every money field: web forms, the API and spreadsheet imports. Amounts are
stored in 元; a bare number is in the caller's unit (元 by default, 万元 for a column headed
“价格（万元）”); a unit written in the value itself (万、万元、亿、亿元、元、千元) always wins.
Anything that cannot be read unambiguously (ranges, two numbers, stray words) is refused with a
Chinese message rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator

YUAN = Decimal(1)
WAN = Decimal(10_000)
YI = Decimal(100_000_000)

#: Unit words in a value or a column header, and what one of them is worth in 元.
UNITS: dict[str, Decimal] = {
    "亿元": YI,
    "亿": YI,
    "万元": WAN,
    "万": WAN,
    "千元": Decimal(1000),
    "元": YUAN,
}
#: Words meaning “price to be agreed”: stored as no amount (面议).
NEGOTIABLE_WORDS = (
    "面议",
    "协商",
    "议价",
    "面谈",
    "商议",
    "待议",
    "可议",
    "待定",
    "协议价",
    "协议价格",
    "双方协商",
    "协商确定",
    "价格面议",
    "协商定价",
)
_ROUGHLY = ("大约", "大概", "约", "左右", "上下", "人民币", "RMB", "rmb", "￥", "¥")
_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "两": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CHINESE = re.compile(r"^[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿点]+$")
_MIXED = re.compile(r"^(\d+(?:\.\d+)?)([十拾百佰千仟])$")


class MoneyError(ValueError):
    """A money value that cannot be read; the message is Chinese and names the value."""


def normalise_text(value: str) -> str:
    """Full-width digits, letters and punctuation as their ASCII forms, spaces removed."""
    text = unicodedata.normalize("NFKC", value)
    return re.sub(r"\s+", "", text)


def is_negotiable(text: str) -> bool:
    """True when text says the amount is to be agreed (面议、协商、议价 …)."""
    return normalise_text(text) in NEGOTIABLE_WORDS


def unit_in(text: str) -> Decimal | None:
    """The money unit named in a column header, e.g. 意向价格（万元） → 10000; None if none."""
    text = normalise_text(text)
    inside = re.findall(r"[(\[]([^()\[\]]*)[)\]]", text)
    for part in [*inside, text]:
        part = part.replace("单位:", "").replace("单位", "").replace("人民币", "")
        for word in ("亿元", "万元", "千元", "元"):
            if part == word or part.endswith(word):
                return UNITS[word]
    return None


def _chinese_integer(text: str) -> Decimal:
    """一百五十 → 150, 三千二百万 → 32000000 (也接受大写数字); MoneyError if malformed."""
    total = Decimal(0)
    for big, size in (("亿", YI), ("万", WAN)):
        if big in text:
            head, _, text = text.partition(big)
            if big in text or not head:
                raise MoneyError("bad")
            total += _chinese_integer(head) * size
    section = 0
    digit: int | None = None
    for char in text:
        if char in _DIGITS:
            if digit is not None and digit != 0:
                raise MoneyError("bad")  # 两个数字相连（如“一二”）含义不明
            digit = _DIGITS[char]
        elif char in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[char]
            digit = None
        else:
            raise MoneyError("bad")
    section += digit or 0
    return total + section


def _chinese_number(text: str) -> Decimal:
    if "点" in text:
        whole, _, fraction = text.partition("点")
        if not fraction or any(c not in _DIGITS for c in fraction):
            raise MoneyError("bad")
        decimals = "".join(str(_DIGITS[c]) for c in fraction)
        return _chinese_integer(whole or "零") + Decimal("0." + decimals)
    return _chinese_integer(text)


def _amount(text: str) -> Decimal:
    """A number written in digits, Chinese numerals or both (1.5千, 3千万, 一百万)."""
    if _NUMBER.match(text):
        return Decimal(text)
    mixed = _MIXED.match(text)
    if mixed:
        return Decimal(mixed.group(1)) * _SMALL_UNITS[mixed.group(2)]
    if _CHINESE.match(text):
        return _chinese_number(text)
    raise MoneyError("bad")


def parse_money(value: Any, unit: Decimal = YUAN) -> Decimal | None:
    """value as an amount in 元, None for blank or 面议; MoneyError if it cannot be read.

    unit is what a bare number means (YUAN, WAN or YI): a column headed 价格（万元） passes WAN.
    """
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise MoneyError(f"无法识别的金额“{value}”")
        return None
    if isinstance(value, Decimal | int | float):
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise MoneyError(f"无法识别的金额“{value}”")
        return amount * unit
    original = str(value).strip()
    text = normalise_text(original)
    if not text:
        return None
    if text in NEGOTIABLE_WORDS:
        return None
    # Notes in brackets (含税、可议) do not change the amount written outside them.
    text = re.sub(r"\([^()]*\)", "", text) or text
    for word in _ROUGHLY:
        text = text.replace(word, "")
    text = text.replace(",", "").replace("，", "")
    if text.endswith("整"):
        text = text[:-1]
    scale = unit
    if text.endswith("元"):
        text = text[:-1]
        scale = YUAN
        if text.endswith("千"):
            text, scale = text[:-1], Decimal(1000)
    if text[-1:] in ("万", "亿") and not re.search("[万亿]", text[:-1]):
        scale = WAN if text[-1] == "万" else YI
        text = text[:-1]
    elif re.search("[万亿]", text):
        scale = YUAN  # 一亿五千万: the units are written out in full
    try:
        amount = _amount(text)
    except (MoneyError, InvalidOperation):
        raise MoneyError(
            f"无法识别的金额“{original}”：请填写数字，可带单位 元、万元 或 亿元"
            "（如 300000、50万、1.2亿），价格待定请填“面议”"
        ) from None
    result = amount * scale
    if result != result.quantize(Decimal("0.01")):
        result = result.quantize(Decimal("0.01"))
    return result


def money_field(value: Any) -> Any:
    """Pydantic before-validator: any accepted spelling of an amount, as 元 (None for 面议)."""
    if isinstance(value, str | int | float | Decimal) or value is None:
        return parse_money(value)
    return value


#: An optional amount in 元 that accepts 300000、50万、1.2亿、一百万 and 面议 on input.
Money = Annotated[Decimal | None, BeforeValidator(money_field)]


def format_money_input(value: Any) -> str:
    """An amount in 元 as a person would type it back into a form: 1000000 → 100万."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return str(value)
    if amount and amount % YI == 0:
        return f"{_plain(amount / YI)}亿"
    if amount >= WAN and (amount * 100) % WAN == 0:
        return f"{_plain(amount / WAN)}万"
    return _plain(amount)


def format_money(value: Any) -> str:
    """An amount in 元 for display in 万元 (None or 0: 面议)."""
    if value is None or value == "" or value == 0:
        return "面议"
    amount = Decimal(str(value))
    if amount >= YI:
        return f"{_plain(round(amount / YI, 2))}亿元"
    if amount >= WAN:
        return f"{_plain(round(amount / WAN, 2))}万元"
    return f"{_plain(amount)}元"


def _plain(amount: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 100.00 → 100, 1.50 → 1.5."""
    text = f"{amount.normalize():f}"
    return text


#: A required amount in 元 (contracts, payments): the same spellings; 面议 or blank is refused.
Amount = Annotated[Decimal, BeforeValidator(money_field)]
