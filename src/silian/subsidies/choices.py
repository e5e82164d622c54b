"""Choice fields of policies and subsidy applications."""

from silian.core.choices import Choices

POLICY_KINDS = Choices(
    ("pilot_platform", "中试平台支持"),
    ("salary_subsidy", "薪酬补贴"),
    ("headhunting", "猎头引才补贴"),
    ("training", "培训补贴"),
    ("achievement_transfer", "成果转化奖补"),
    ("other", "其他"),
)
# How a policy turns the facts of an application into an amount (see docs/subsidies.md).
FORMULAS = Choices(
    ("percentage", "按比例"),  # rate % × the fact (salary, fee, booking, investment …)
    ("per_person", "按人定额"),  # a fixed amount × persons
    ("fixed", "定额"),  # a fixed amount per application
)
SUBSIDY_STATUS = Choices(
    ("draft", "草稿"),
    ("submitted", "待审核"),
    ("returned", "已退回"),
    ("approved", "已批准"),
    ("rejected", "未通过"),
    ("paid", "已拨付"),
)
# Statuses whose amount counts against the organisation's cap for the year.
COUNTED_STATUSES = ("approved", "paid")
# Organisation kinds a policy may be open to.
ORG_KINDS = Choices(
    ("enterprise", "企业"),
    ("university", "高校"),
    ("institute", "科研院所"),
    ("platform", "平台"),
)
