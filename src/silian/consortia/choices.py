"""Choice fields of innovation consortia, common-technology projects and co-built institutes."""

from silian.core.choices import Choices

# The lead enterprise is the consortium's own column; these are the other members' parts.
MEMBER_PARTS = Choices(
    ("core", "核心成员"),
    ("research", "研发单位"),
    ("application", "应用验证单位"),
    ("support", "支撑服务单位"),
)
COMMON_TECH_STATUS = Choices(("planned", "立项"), ("running", "攻关中"), ("done", "已验收"))
# What contributes a partner brings to a co-built institute.
CONTRIBUTION_KINDS = Choices(
    ("funding", "资金"),
    ("site", "场地"),
    ("equipment", "设备"),
    ("talent", "人才团队"),
    ("technology", "技术成果"),
    ("other", "其他"),
)
