"""Choice fields of challenges, bids and their evaluation."""

from silian.core.choices import Choices

CHALLENGE_STATUS = Choices(
    ("draft", "待发布"),
    ("bidding", "揭榜中"),
    ("evaluating", "评审中"),
    ("awarded", "已定榜"),
    ("contracted", "已签约"),
    ("in_progress", "攻关中"),
    ("accepted", "已验收"),
    ("closed", "已关闭"),
)
IP_TERMS = Choices(
    ("solver_keeps", "揭榜方保留知识产权"),
    ("buyer_acquires", "发榜方取得知识产权"),
    ("shared_licence", "双方共有或许可使用"),
    ("open", "开放共享"),
)
FEEDBACK_REASONS = Choices(
    ("technical", "技术方案不够成熟"),
    ("indicators", "指标未达要求"),
    ("cost", "报价偏高"),
    ("schedule", "进度不满足要求"),
    ("team", "团队能力或经验不足"),
    ("evidence", "成熟度证据不足"),
    ("other", "其他"),
)
