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
    ("recommended", "已推荐"),
    ("contacted", "已联系"),
    ("negotiating", "洽谈中"),
    ("signed", "已签约"),
    ("implemented", "已实施"),
    ("failed", "未成交"),
)
# Stages a deal is still being worked in (counted against a broker's capacity).
ACTIVE_DEAL_STAGES = ("recommended", "contacted", "negotiating")
DEAL_CHANNELS = Choices(
    ("university_centre", "高校—市技术转移中心"),
    ("achievements_platform", "好成果发布平台"),
    ("marine_market", "海洋科技大市场"),
    ("broker", "经纪人主动撮合"),
    ("challenge", "揭榜挂帅"),
)
FAIL_REASONS = Choices(
    ("price", "价格未谈拢"),
    ("maturity", "技术成熟度不足"),
    ("ip", "知识产权问题"),
    ("fit", "需求与成果不匹配"),
    ("funding", "资金不到位"),
    ("unresponsive", "对方无回应"),
    ("other", "其他"),
)
TRADE_MODES = Choices(
    ("transfer", "转让"),
    ("license", "许可"),
    ("equity", "作价投资"),
    ("co_development", "合作开发"),
    ("service", "技术服务"),
)
CONTRACT_STATUS = Choices(
    ("signed", "已签订"), ("registered", "已认定登记"), ("performing", "履行中"), ("done", "已验收")
)

FEEDBACK_VERDICTS = Choices(
    ("useful", "有用"),
    ("not_useful", "无用"),
    ("contacted", "已联系"),
)
