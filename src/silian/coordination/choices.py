"""Choice fields of coordination records."""

from silian.core.choices import Choices

PROJECT_STATUS = Choices(
    ("signed", "已签约"), ("building", "建设中"), ("opened", "已投产"), ("cancelled", "已终止")
)
