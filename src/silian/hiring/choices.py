"""Choice fields of hiring: application stages and channels, recommendation status."""

from silian.core.choices import Choices

APPLICATION_STATUS = Choices(
    ("applied", "已申请"),
    ("shortlisted", "已入围"),
    ("interviewed", "已面试"),
    ("offered", "已发录用意向"),
    ("hired", "已录用"),
    ("declined", "未录用"),
    ("withdrawn", "已撤回"),
)
# Stages an application still counts towards the need's headcount in: it may still be hired.
LIVE_STATUSES = ("applied", "shortlisted", "interviewed", "offered")
APPLICATION_CHANNELS = Choices(
    ("self", "本人申请"),
    ("broker", "经纪人推荐"),
    ("enterprise", "企业自主荐才"),
)
RECOMMENDATION_STATUS = Choices(
    ("submitted", "待确认"),
    ("confirmed", "已确认"),
    ("rejected", "未确认"),
)
