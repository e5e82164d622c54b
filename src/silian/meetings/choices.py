"""Choice fields of joint meetings, decisions and follow-up tasks."""

from silian.core.choices import Choices

# Overdue is not a stored status: a task is overdue while it is not done after its due date.
TASK_STATUS = Choices(("open", "未开始"), ("in_progress", "推进中"), ("done", "已办结"))
OVERDUE_LABEL = "已逾期"

# Records a decision or an agenda item may concern: kind → (label, page URL pattern).
RECORD_KINDS: dict[str, tuple[str, str]] = {
    "chain": ("产业链", "/chains/{id}"),
    "demand": ("技术需求榜单", "/demands/{id}"),
    "achievement": ("科技成果", "/achievements/{id}"),
    "talent_need": ("人才需求", "/talent-needs/{id}"),
    "investment_project": ("招商引资项目", "/investment-projects/{id}"),
    "named_class": ("冠名班", "/education/named-classes/{id}"),
    "organization": ("单位", "/organizations/{id}"),
}
DEFAULT_OFFICES = ("市委人才办", "市教育局", "市科学技术局")
