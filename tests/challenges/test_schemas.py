"""Challenge settings and bids read money as people write it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from silian.challenges.schemas import BidIn, ChallengeIn

BID = {"team_name": "膜材料攻关团队", "proposal": "采用抗污染改性膜与在线清洗相结合的方案。"}
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


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [("75万", Decimal(750000)), ("680000", Decimal(680000)), ("1.2亿", Decimal(120000000))],
)
def test_bid_quote_accepts_yuan_wan_and_yi(typed: str, yuan: Decimal) -> None:
    assert BidIn.model_validate(BID | {"amount": typed}).amount == yuan


@pytest.mark.parametrize("typed", ["", "面议", None])
def test_blank_or_negotiable_bid_quote_is_no_amount(typed: str | None) -> None:
    assert BidIn.model_validate(BID | {"amount": typed}).amount is None


def test_bid_quote_that_is_not_an_amount_or_negative_is_named() -> None:
    for typed in ("看情况", "-5万"):
        with pytest.raises(ValidationError) as caught:
            BidIn.model_validate(BID | {"amount": typed})
        assert caught.value.errors()[0]["loc"] == ("amount",)
