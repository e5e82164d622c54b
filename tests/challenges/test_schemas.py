"""Challenge settings read money as people write it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from silian.challenges.schemas import ChallengeIn

BASE = {"bidding_deadline": "2027-01-01", "criteria": [{"name": "技术方案", "weight": 100}]}


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [("80万", 800000), ("300000", 300000), ("1.2亿", 120000000), ("面议", 0), ("", 0), (None, 0)],
)
def test_prize_accepts_yuan_wan_yi_and_negotiable(typed: str | None, yuan: int) -> None:
    assert ChallengeIn.model_validate(BASE | {"prize": typed}).prize == Decimal(yuan)


def test_prize_that_is_not_an_amount_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        ChallengeIn.model_validate(BASE | {"prize": "看情况"})
    assert caught.value.errors()[0]["loc"] == ("prize",)
    assert "无法识别的金额" in caught.value.errors()[0]["msg"]


def test_negative_prize_is_refused() -> None:
    with pytest.raises(ValidationError):
        ChallengeIn.model_validate(BASE | {"prize": "-5万"})
