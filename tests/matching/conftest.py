"""Shared fixtures: a private resource cache and a small hand-made corpus."""

from __future__ import annotations

from typing import Any

import pytest

from silian.matching.classify import DisciplineClassifier, load_csldcp

CORPUS: list[dict[str, Any]] = [
    {
        "id": "achievement:1",
        "kind": "achievement",
        "title": "锂离子电池高镍正极材料的制备方法",
        "keywords": ["锂离子电池", "正极材料"],
        "text": "提出一种高镍三元正极材料的共沉淀制备工艺，提高了电池循环寿命和能量密度。",
        "disciplines": ["材料科学与工程"],
        "trl": 7,
        "price": 500000,
        "region": "370200",
    },
    {
        "id": "achievement:2",
        "kind": "achievement",
        "title": "养殖废水生物处理技术",
        "keywords": ["养殖废水", "生物处理"],
        "text": "针对规模化养猪场粪污，采用厌氧发酵与人工湿地组合工艺，出水达到排放标准。",
        "disciplines": ["环境科学与工程"],
        "trl": 5,
        "price": 2000000,
        "region": "370100",
    },
    {
        "id": "achievement:3",
        "kind": "achievement",
        "title": "针灸结合吞咽训练治疗脑卒中后吞咽障碍",
        "keywords": ["针灸", "吞咽障碍", "脑卒中"],
        "text": "观察针刺配合康复训练对中风后吞咽困难患者的疗效，总有效率明显提高。",
        "disciplines": ["中医学/中药学"],
        "trl": 6,
    },
    {
        "id": "talent:1",
        "kind": "talent",
        "title": "张教授 电化学储能专家",
        "keywords": ["锂电池", "储能"],
        "text": "长期从事锂离子电池电极材料与储能系统研究。",
        "disciplines": ["材料科学与工程"],
    },
    {
        "id": "achievement:4",
        "kind": "achievement",
        "title": "玉米秸秆饲料化利用技术",
        "keywords": ["秸秆", "青贮饲料"],
        "text": "以玉米秸秆为原料进行青贮发酵，提高反刍动物饲料利用率。",
        "disciplines": ["畜牧学/兽医学"],
        "status": "draft",
    },
]


@pytest.fixture()
def corpus() -> list[dict[str, Any]]:
    """A few records of different kinds (fresh copies)."""
    return [dict(d) for d in CORPUS]


@pytest.fixture(scope="session")
def small_classifier() -> DisciplineClassifier:
    """A discipline classifier trained on a slice of CSLDCP (fast, for tests)."""
    texts, labels = load_csldcp(("train_few_all.json",))
    return DisciplineClassifier.train(texts[:700], labels[:700])
