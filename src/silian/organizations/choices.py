"""Kinds of organisation."""

from silian.core.choices import Choices

ORG_KINDS = Choices(
    ("university", "高校"),
    ("institute", "科研院所/新型研发机构"),
    ("enterprise", "企业"),
    ("office", "政府部门"),
    ("platform", "平台载体"),
)
