"""Choice fields of training programmes and enrolments."""

from silian.core.choices import Choices

PROGRAMME_STATUS = Choices(
    ("open", "报名中"),
    ("closed", "已截止"),
    ("cancelled", "已取消"),
)
ENROLMENT_STATUS = Choices(
    ("enrolled", "已报名"),
    ("completed", "已结业"),
    ("withdrawn", "已退出"),
)
# Enrolments that hold a seat and count as trainees.
SEATED_STATUSES = ("enrolled", "completed")
