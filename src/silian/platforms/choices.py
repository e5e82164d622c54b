"""Choice fields of platforms and bookings."""

from silian.core.choices import Choices

PLATFORM_KINDS = Choices(("pilot", "中试平台"), ("poc", "概念验证中心"))
PLATFORM_STATUS = Choices(("active", "运营中"), ("building", "建设中"), ("suspended", "暂停服务"))
BOOKING_STATUS = Choices(
    ("requested", "待确认"),
    ("approved", "已确认"),
    ("rejected", "已拒绝"),
    ("completed", "已完成"),
    ("cancelled", "已取消"),
)
