"""Choice fields of an achievement."""

from silian.core.choices import Choices

ACHIEVEMENT_STATUS = Choices(
    ("draft", "草稿"),
    ("submitted", "待审核"),
    ("returned", "已退回"),
    ("published", "已发布"),
    ("withdrawn", "已撤回"),
)
STAGES = Choices(
    ("lab", "实验室阶段"),
    ("small_pilot", "小试"),
    ("pilot", "中试"),
    ("industrial", "产业化"),
)
IP_TYPES = Choices(
    ("invention_patent", "发明专利"),
    ("utility_patent", "实用新型专利"),
    ("design_patent", "外观设计专利"),
    ("software_copyright", "软件著作权"),
    ("know_how", "技术秘密"),
    ("new_variety", "植物新品种"),
    ("other", "其他"),
)
TRANSFER_MODES = Choices(
    ("transfer", "转让"),
    ("license", "许可"),
    ("equity", "作价投资"),
    ("co_development", "合作开发"),
    ("service", "技术服务"),
)
TRADE_TYPES = Choices(("listing", "挂牌"), ("tender", "招标"), ("auction", "拍卖"))
ORIGINS = Choices(("original", "原始创新"), ("absorbed", "引进消化吸收"), ("secondary", "二次开发"))
SOURCE_CHANNELS = Choices(
    ("self", "自主发布"),
    ("university_repository", "高校成果库"),
    ("roadshow", "路演征集"),
    ("broker", "经纪人推荐"),
    ("import", "批量导入"),
)
