"""Choice fields of demands and bids."""

from silian.core.choices import Choices

DEMAND_STATUS = Choices(
    ("draft", "草稿"),
    ("submitted", "待审核"),
    ("returned", "已退回"),
    ("published", "揭榜中"),
    ("closed", "已截止"),
    ("awarded", "已揭榜"),
    ("withdrawn", "已撤回"),
)
LIST_TYPES = Choices(("enterprise", "企业榜"), ("government", "政府榜"))
CONFIDENTIALITY = Choices(
    ("public", "公开"),
    ("summary_only", "仅公开摘要"),
    ("confidential", "保密（签署保密协议后可见）"),
)
BID_STATUS = Choices(
    ("submitted", "已提交"),
    ("shortlisted", "入围"),
    ("awarded", "中榜"),
    ("rejected", "未入选"),
    ("withdrawn", "已撤回"),
)
