"""Choice fields of the education chain."""

from silian.core.choices import Choices

CONSORTIUM_KINDS = Choices(("city", "市域产教联合体"), ("industry", "行业产教融合共同体"))
DISCIPLINE_SOURCES = Choices(("csl", "CSL学科"), ("nsfc", "国家自然科学基金学科代码"))
MAJOR_LEVELS = Choices(
    ("undergraduate", "本科"), ("vocational", "高职专科"), ("graduate", "研究生")
)
CONSORTIUM_PARTS = Choices(("lead", "牵头单位"), ("deputy", "副理事长单位"), ("member", "成员单位"))
