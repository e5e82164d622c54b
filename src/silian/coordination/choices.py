"""Choice fields of coordination records."""

from silian.core.choices import Choices

POLICY_KINDS = Choices(
    ("pilot_platform", "中试平台支持"),
    ("salary_subsidy", "薪酬补贴"),
    ("headhunting", "猎头引才补贴"),
    ("achievement_transfer", "成果转化奖补"),
    ("other", "其他"),
)
SUBSIDY_STATUS = Choices(
    ("draft", "草稿"),
    ("submitted", "待审核"),
    ("approved", "已批准"),
    ("rejected", "未通过"),
    ("paid", "已拨付"),
)
PROJECT_STATUS = Choices(
    ("signed", "已签约"), ("building", "建设中"), ("opened", "已投产"), ("cancelled", "已终止")
)
COMMON_TECH_STATUS = Choices(("planned", "立项"), ("running", "攻关中"), ("done", "已验收"))
