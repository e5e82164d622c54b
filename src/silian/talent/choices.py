"""Choice fields of the talent chain."""

from silian.core.choices import Choices

TALENT_GRADES = Choices(
    ("A", "A类（顶尖人才）"),
    ("B", "B类（领军人才）"),
    ("C", "C类（高层次人才）"),
    ("D", "D类（骨干人才）"),
    ("E", "E类（青年人才）"),
)
TALENT_NEED_STATUS = Choices(("open", "招聘中"), ("filled", "已满足"), ("closed", "已关闭"))
TALENT_PROJECT_STATUS = Choices(
    ("applying", "申报中"),
    ("approved", "已认定"),
    ("running", "实施中"),
    ("closed", "已结项"),
    ("rejected", "未通过"),
)
TALENT_RIGHTS = Choices(("self_recommend", "自主荐才权"), ("salary_grading", "按薪定才权"))
