"""Choice fields of events."""

from silian.core.choices import Choices

EVENT_KINDS = Choices(("roadshow", "月度路演"), ("showcase", "季度汇演"), ("selection", "年度优选"))
EVENT_STATUS = Choices(
    ("planned", "筹备中"), ("open", "报名中"), ("held", "已举办"), ("cancelled", "已取消")
)
