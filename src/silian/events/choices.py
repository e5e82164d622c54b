"""Choice fields of events."""

from silian.core.choices import Choices

EVENT_KINDS = Choices(("roadshow", "月度路演"), ("showcase", "季度汇演"), ("selection", "年度优选"))
EVENT_STATUS = Choices(
    ("planned", "筹备中"),
    ("open_for_entries", "征集中"),
    ("scheduled", "已排期"),
    ("held", "已举办"),
    ("closed", "已结束"),
)
ENTRY_STATUS = Choices(("pending", "待审核"), ("approved", "已入选"), ("rejected", "未入选"))
LEAD_STATUS = Choices(("open", "待跟进"), ("converted", "已转为对接"))
