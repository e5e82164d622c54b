"""Roles a user can hold: core vocabulary, shared by accounts and the permission table."""

from silian.core.choices import Choices

ROLES = Choices(
    ("office", "政府部门"),
    ("university", "高校院所"),
    ("enterprise", "企业"),
    ("broker", "技术经纪人"),
    ("expert", "专家人才"),
    ("platform", "平台载体"),
)
