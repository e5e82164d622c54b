"""Deterministic fictional names for the demo city's sample people and companies."""

from __future__ import annotations

import hashlib
import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊"
    "帆帅旭宁婷雪琳晨阳岩峰博文欣悦瑞晓海涵睿哲源清昊然子怡嘉轩思雨泽宏志远"
)

# Stems for sample company names per chain; combined with a city-neutral prefix.
COMPANY_PREFIXES = [
    "海岳",
    "蓝湾",
    "崂峰",
    "琴岛",
    "胶澳",
    "金沙",
    "鳌山",
    "云溪",
    "珠山",
    "明湖",
    "青峦",
    "东港",
]
CHAIN_COMPANY_STEMS: dict[str, list[str]] = {
    "marine_equipment": ["海洋装备", "船舶重工", "海工科技", "深蓝装备", "船用动力"],
    "marine_biomedicine": ["海洋生物", "海洋药业", "蓝色生物科技", "海洋健康"],
    "modern_fishery": ["海洋渔业", "水产科技", "海珍品养殖", "渔业装备"],
    "marine_resources": ["油气装备", "勘探技术", "地质工程", "测绘信息"],
    "integrated_circuits": ["微电子", "芯片科技", "半导体", "集成电路设计"],
    "new_display": ["光电科技", "显示技术", "激光科技", "光学器件"],
    "virtual_reality": ["虚拟现实", "数字视觉", "元境科技", "三维交互"],
    "artificial_intelligence": ["智能科技", "数据智能", "视觉智能", "智算科技"],
    "industrial_internet": ["工业互联", "软件科技", "通信技术", "物联科技"],
    "smart_home_appliances": ["智能家电", "电器科技", "智慧家居", "制冷科技"],
    "new_energy_vehicles": ["新能源汽车", "动力电池", "电驱科技", "智能网联"],
    "rail_transit": ["轨道装备", "轨道交通科技", "车辆部件", "轨道检测"],
    "aerospace": ["航空科技", "无人机", "空天信息", "航空部件"],
    "new_materials": ["新材料", "复合材料", "特种合金", "涂层科技"],
    "fine_chemicals": ["化工科技", "橡胶科技", "精细化学", "催化材料"],
    "new_energy": ["新能源", "风电科技", "氢能科技", "储能技术"],
    "energy_saving_environment": ["环保科技", "水务科技", "生态环境", "节能技术"],
    "medicine_devices": ["医疗器械", "制药", "中药科技", "医学诊断"],
    "smart_manufacturing": ["智能装备", "机器人", "数控科技", "自动化"],
    "food_beverage": ["食品", "饮品", "发酵科技", "营养健康"],
    "textiles_apparel": ["纺织", "服饰", "纤维科技", "印染科技"],
    "modern_agriculture": ["种业", "农业科技", "农机装备", "生态农业"],
    "green_building": ["建设科技", "建材科技", "智能建造", "建筑设计"],
    "modern_logistics": ["物流科技", "港航服务", "供应链管理", "国际物流"],
}
COMPANY_SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司"]


def rng_for(*parts: object) -> random.Random:
    """A random generator seeded from the given parts, so every run gives the same city."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def key(text: str) -> str:
    """A short stable key for a name (10 hex digits), for natural keys that must fit a column."""
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def person_name(*seed: object) -> str:
    """A plausible Chinese personal name, fixed for the seed."""
    rng = rng_for("person", *seed)
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def company_stem(chain_code: str, index: int) -> str:
    """The business word in the name of a chain's index-th sample company (e.g. 种业)."""
    stems = CHAIN_COMPANY_STEMS.get(chain_code, ["科技"])
    return stems[index % len(stems)]


def company_name(chain_code: str, index: int) -> str:
    """A fictional company name on a chain (unique per chain code and index)."""
    prefix = COMPANY_PREFIXES[(index * 5 + len(chain_code)) % len(COMPANY_PREFIXES)]
    stem = company_stem(chain_code, index)
    suffix = COMPANY_SUFFIXES[index % len(COMPANY_SUFFIXES)]
    return f"青岛{prefix}{stem}{suffix}（示例）"


def phone(*seed: object) -> str:
    """A fictional contact number in the reserved-looking 0532-8xxx format."""
    rng = rng_for("phone", *seed)
    return f"0532-8{rng.randrange(0, 10**6):06d}"
