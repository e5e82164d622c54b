"""Choice fields of platforms and bookings."""

from silian.core.choices import Choices

PLATFORM_KINDS = Choices(("pilot", "中试平台"), ("poc", "概念验证中心"))
PLATFORM_STATUS = Choices(("active", "运营中"), ("building", "建设中"), ("suspended", "暂停服务"))
SERVICE_KINDS = Choices(
    ("equipment", "设备共享"),
    ("testing", "检验检测"),
    ("small_batch", "小批量试制"),
    ("poc_funding", "概念验证资助"),
)
BOOKING_STATUS = Choices(
    ("requested", "待确认"),
    ("approved", "已确认"),
    ("rejected", "已拒绝"),
    ("completed", "已完成"),
    ("cancelled", "已取消"),
)
# Bookings that hold capacity on their days: confirmed ones and those already carried out.
HOLDING_STATUSES = ("approved", "completed")
OPEN_STATUSES = ("requested", "approved")
