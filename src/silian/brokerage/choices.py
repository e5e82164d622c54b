"""Choice fields of brokerage."""

from silian.core.choices import Choices

MATCH_STATUS = Choices(
    ("suggested", "待处理"),
    ("useful", "有用"),
    ("not_useful", "无用"),
    ("contacted", "已联系"),
    ("converted", "已转为对接"),
)
DEAL_STAGES = Choices(
    ("introduced", "已引荐"),
    ("negotiating", "洽谈中"),
    ("contracting", "合同拟定"),
    ("signed", "已签约"),
    ("paying", "履约付款"),
    ("completed", "已完成"),
    ("closed", "已终止"),
)
TRADE_MODES = Choices(
    ("transfer", "转让"),
    ("license", "许可"),
    ("equity", "作价投资"),
    ("co_development", "合作开发"),
    ("service", "技术服务"),
)
CONTRACT_STATUS = Choices(
    ("signed", "已签订"), ("registered", "已认定登记"), ("performing", "履行中"), ("done", "已履行")
)

FEEDBACK_VERDICTS = Choices(
    ("useful", "有用"),
    ("not_useful", "无用"),
    ("contacted", "已联系"),
)
