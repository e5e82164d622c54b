"""Every column name offices actually use, per record type, mapped to one field: the one table.

The canonical header of each column (columns.py) is always accepted; the names below are the
other spellings met in real registration sheets (成果登记表、需求征集表). Headers are compared
after normalise_header: full-width characters folded, spaces, `*` and bracketed notes removed, so
“意向价格（万元）”, “意向价格(万元)*” and “意向价格” are the same column (the unit in the
brackets is read separately). Add a spelling here and every importer, the CLI and the web
upload understand it; `--map 列名=字段` handles a one-off.
"""

from __future__ import annotations

import re
import unicodedata

#: Columns that only number the rows of a sheet; always skipped, never data.
ROW_NUMBER_HEADERS = ("序号", "行号", "编号序号", "No", "NO.", "No.", "序", "顺序号")

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "achievements": {
        "source_ref": (
            "成果编号",
            "登记编号",
            "登记号",
            "成果登记号",
            "项目编号",
            "编号",
            "外部编码",
        ),
        "title": (
            "成果名称",
            "科技成果名称",
            "项目名称",
            "成果名",
            "技术名称",
            "名称",
            "成果项目名称",
        ),
        "organization_id": (
            "单位名称",
            "单位",
            "完成单位",
            "第一完成单位",
            "所属单位",
            "成果所属单位",
            "持有单位",
            "成果持有单位",
            "申报单位",
            "填报单位",
            "依托单位",
            "学校",
            "院校名称",
            "高校名称",
            "成果完成单位",
            "所在单位",
            "第一单位",
            "成果单位",
            "单位名称(全称)",
        ),
        "summary": (
            "成果简介",
            "简介",
            "成果介绍",
            "成果摘要",
            "内容简介",
            "项目简介",
            "技术简介",
            "成果描述",
            "成果内容",
            "摘要",
            "主要内容",
            "成果内容简介",
            "成果简要介绍",
            "项目内容",
            "技术内容",
        ),
        "keywords": ("关键词", "关键字", "主题词"),
        "inventors": (
            "完成人",
            "主要完成人",
            "成果完成人",
            "发明人",
            "完成人员",
            "主要完成人员",
            "发明人/设计人",
            "主要发明人",
            "完成人及单位",
            "项目完成人",
        ),
        "discipline": (
            "学科",
            "所属学科",
            "学科领域",
            "学科分类",
            "一级学科",
            "学科门类",
            "所属学科领域",
            "学科方向",
        ),
        "chain_id": ("所属产业链", "产业链", "对应产业链", "所属产业", "重点产业链"),
        "trl": (
            "技术成熟度",
            "成熟度",
            "TRL",
            "成熟度等级",
            "技术成熟度等级",
            "技术就绪度",
            "技术就绪水平",
            "技术成熟度(TRL)",
            "成熟度(TRL)",
            "TRL等级",
        ),
        "stage": (
            "所处阶段",
            "阶段",
            "成果阶段",
            "研发阶段",
            "技术阶段",
            "成果所处阶段",
            "项目阶段",
            "转化阶段",
            "成熟程度",
        ),
        "ip_type": (
            "知识产权类型",
            "知识产权",
            "知识产权形式",
            "知识产权情况",
            "产权类型",
            "专利类型",
            "成果形式",
            "知识产权类别",
            "知识产权类型及状态",
            "知识产权形式及状态",
            "专利情况",
        ),
        "ip_status": ("知识产权状态", "专利状态", "授权状态", "法律状态"),
        "patent_numbers": (
            "专利号",
            "专利申请号",
            "专利授权号",
            "授权号",
            "申请号",
            "知识产权编号",
            "专利号/申请号",
        ),
        "transfer_modes": (
            "转化方式",
            "成果转化方式",
            "拟转化方式",
            "意向转化方式",
            "合作方式",
            "意向合作方式",
            "转让方式",
            "交易模式",
            "转移转化方式",
            "拟合作方式",
            "合作模式",
            "转化形式",
        ),
        "price": (
            "意向价格",
            "转让价格",
            "价格",
            "参考价格",
            "交易价格",
            "挂牌价格",
            "期望价格",
            "报价",
            "意向金额",
            "转让金额",
            "金额",
            "价格(元)",
            "交易金额",
            "转化价格",
            "许可价格",
            "成果价格",
        ),
        "trade_type": ("交易方式", "交易类型", "挂牌方式"),
        "application_field": ("应用领域", "应用范围", "适用领域", "应用行业", "应用场景"),
        "indicators": (
            "技术指标",
            "主要技术指标",
            "性能指标",
            "关键技术指标",
            "主要性能指标",
            "技术参数",
            "主要技术参数",
        ),
        "innovations": ("创新点", "技术创新点", "主要创新点", "技术创新", "创新性"),
        "advantages": ("竞争优势", "技术优势", "优势", "成果优势"),
        "markets": (
            "市场前景",
            "市场分析",
            "市场应用前景",
            "市场前景分析",
            "应用前景",
            "市场应用",
            "经济社会效益",
        ),
        # The lead researcher is the person an enterprise contacts when no 联系人 column exists.
        "contact_name": (
            "联系人",
            "联系人姓名",
            "成果联系人",
            "负责人",
            "项目负责人",
            "成果负责人",
            "负责人姓名",
        ),
        "contact_phone": (
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "联系方式",
            "联系人电话",
            "联系人手机",
            "手机号码",
            "联系手机",
            "电话号码",
        ),
        "origin": ("成果来源", "来源"),
        "funding_programme": (
            "资助项目",
            "项目来源",
            "资助来源",
            "基金项目",
            "依托项目",
            "支撑项目",
            "项目资助",
        ),
        "registered_on": (
            "登记日期",
            "填报日期",
            "登记时间",
            "填报时间",
            "申报日期",
            "登记时间",
            "入库日期",
            "录入日期",
        ),
        "status": ("状态",),
    },
    "investment-projects": {
        "name": ("项目名称", "招商项目名称", "招商引资项目名称", "项目"),
        "organization_id": ("投资企业", "企业名称", "投资方", "签约企业", "项目单位"),
        "chain_id": ("产业链", "所属产业链", "产业链名称"),
        "region_code": ("所在区市", "区市", "落地区市", "项目地点"),
        "opening_date": ("投产日期", "投产时间", "预计投产日期", "计划投产时间"),
        "investment": ("投资额", "总投资", "投资总额", "计划投资"),
        "talent_needs": ("人才需求", "分专业人才需求", "用人需求", "专业人才需求"),
        "status": ("项目状态", "状态", "进展"),
        "description": ("项目简介", "简介", "项目概况", "备注"),
    },
    "named-classes": {
        "name": ("冠名班名称", "班级名称", "冠名班", "订单班名称"),
        "organization_id": ("办学院校", "院校名称", "学校", "学校名称", "院校"),
        "enterprise_id": ("冠名企业", "合作企业", "企业名称", "订单企业"),
        "major_name": ("专业", "专业名称"),
        "students": ("在读学生数", "学生数", "人数", "学生人数", "在读人数"),
        "graduation_year": ("毕业年份", "毕业时间", "届别", "毕业届"),
        "investment_project_id": ("关联招商引资项目", "招商项目", "服务项目", "对接项目"),
    },
    "talent-needs": {
        "source_ref": ("需求编号", "岗位编号", "编号"),
        "position": ("岗位", "岗位名称", "职位", "职位名称", "招聘岗位"),
        "organization_id": ("单位名称", "需求单位", "用人单位", "招聘单位", "单位"),
        "headcount": ("需求人数", "人数", "招聘人数", "岗位人数"),
        "salary_min": ("年薪下限", "最低年薪", "薪酬下限"),
        "salary_max": ("年薪上限", "最高年薪", "薪酬上限"),
        "major": ("专业要求", "专业", "所需专业"),
        "requirements": ("任职要求", "岗位要求", "要求"),
        "chain_id": ("产业链", "所属产业链"),
        "co_shared": ("共引共享", "共引共享岗位", "是否共引共享"),
        "host_organization_id": ("岗位所在高校/院所", "持岗单位", "岗位所在单位"),
        "scene_organization_id": ("提供产业场景的企业", "场景企业", "派驻企业"),
        "deadline": ("截止日期", "截止时间", "有效期至"),
        "status": ("状态",),
    },
    "subsidy-applications": {
        "policy_id": ("政策", "政策名称", "补贴政策", "申请政策"),
        "organization_id": ("申请单位", "单位名称", "单位", "企业名称"),
        "year": ("年度", "申请年度", "年份"),
        "fact_amount": ("计算依据金额", "年薪", "猎头费", "费用", "预约金额", "金额"),
        "persons": ("人数", "人员数", "引进人数"),
        "reason": ("申请理由", "理由", "说明", "备注"),
        "amount": ("核定金额", "补贴金额", "申请金额"),
        "computation": ("计算过程",),
        "status": ("状态", "审核状态"),
    },
    "demands": {
        "source_ref": ("需求编号", "项目编号", "编号", "登记编号", "外部编码"),
        "title": (
            "需求名称",
            "技术需求名称",
            "需求标题",
            "难题名称",
            "技术难题名称",
            "项目名称",
            "名称",
        ),
        "organization_id": (
            "单位名称",
            "企业名称",
            "需求单位",
            "需求企业",
            "单位",
            "提出单位",
            "发布单位",
            "填报单位",
            "申报单位",
            "需求单位名称",
            "企业全称",
            "单位全称",
            "需求方",
        ),
        "list_type": ("榜单类型", "榜单", "榜单类别"),
        "region_code": (
            "所在区市",
            "所在区",
            "区市",
            "所属区市",
            "所在区县",
            "所属区域",
            "区域",
            "区(市)",
            "所在区(市)",
            "企业所在区市",
            "所属区(市)",
        ),
        "public_summary": ("公开摘要", "摘要", "需求摘要"),
        "problem": (
            "需求描述",
            "需求内容",
            "需求详情",
            "技术难题描述",
            "难题描述",
            "问题描述",
            "需求简介",
            "具体需求",
            "需求概述",
            "技术需求描述",
            "主要内容",
            "拟解决的问题",
            "拟解决的关键技术问题",
            "关键技术问题",
            "技术难题",
            "需求难题",
            "主要技术需求",
            "技术需求内容",
        ),
        "background": ("背景", "需求背景", "项目背景"),
        "current_solutions": ("现有方案", "现有方案及不足", "现有技术", "现有解决方案"),
        "wanted_outcome": (
            "期望成果",
            "预期目标",
            "预期成果",
            "期望目标",
            "期望效果",
            "预期效果",
            "期望达到的目标",
        ),
        "indicators_must": ("必须达到的指标", "技术指标", "主要技术指标", "关键指标"),
        "indicators_nice": ("期望达到的指标", "期望指标"),
        "keywords": ("关键词", "关键字"),
        "chain_id": ("所属产业链", "产业链", "对应产业链", "所属产业", "重点产业链"),
        "discipline": ("学科", "所属学科", "学科领域"),
        "wanted_trl": (
            "期望成熟度",
            "期望技术成熟度",
            "期望TRL",
            "技术成熟度要求",
            "成熟度要求",
            "成熟度",
            "TRL",
        ),
        "budget": (
            "预算/榜额",
            "预算",
            "榜额",
            "预算金额",
            "资金预算",
            "经费预算",
            "投入资金",
            "拟投入资金",
            "拟投入经费",
            "悬赏金额",
            "意向金额",
            "合作金额",
            "金额",
            "拟投入研发经费",
            "投入经费",
            "研发投入",
            "需求金额",
        ),
        "deadline": (
            "截止日期",
            "截止时间",
            "截至日期",
            "揭榜截止日期",
            "有效期",
            "需求有效期",
            "有效期至",
            "需求截止日期",
            "揭榜截止时间",
            "征集截止日期",
        ),
        "registered_on": ("填报日期", "登记日期", "填报时间", "发布日期", "提出日期"),
        "confidentiality": ("保密要求", "是否保密", "保密", "保密级别", "公开程度"),
        "ip_terms": ("知识产权约定", "知识产权归属", "知识产权"),
        "eligibility": ("揭榜条件", "合作条件", "对揭榜方要求", "揭榜方要求"),
        "contact_name": ("联系人", "联系人姓名", "负责人", "项目负责人", "需求负责人"),
        "contact_phone": (
            "联系电话",
            "电话",
            "手机",
            "手机号",
            "联系方式",
            "联系人电话",
            "手机号码",
            "联系手机",
            "电话号码",
        ),
        "status": ("状态",),
    },
}

_BRACKETS = re.compile(r"[(\[【{][^()\[\]【】{}]*[)\]】}]")
_UNIT_TAIL = re.compile(r"(单位)?[:/]?(人民币)?(亿元|万元|千元|元)$")


def fold(text: str) -> str:
    """Full-width letters, digits and punctuation as ASCII; spaces and line breaks removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def normalise_header(text: str) -> str:
    """A header as typed by a person, without spaces, `*` or 必填 marks (brackets kept)."""
    text = fold(text).replace("：", ":")
    text = text.strip("*").replace("(必填)", "").replace("(选填)", "").replace("必填", "")
    return text.strip("*")


def header_keys(text: str) -> list[str]:
    """Keys to look a header up by, most specific first: as typed, without notes, without unit."""
    full = normalise_header(text)
    keys = [full]
    base = _BRACKETS.sub("", full).strip("*:")
    if base and base not in keys:
        keys.append(base)
    bare = _UNIT_TAIL.sub("", base).strip("*:/")
    if bare and bare not in keys:
        keys.append(bare)
    return keys


def index(kind: str, canonical: dict[str, str]) -> dict[str, str]:
    """Normalised header → field for kind, from canonical headers (field → header) and SYNONYMS."""
    out: dict[str, str] = {}
    for field, header in canonical.items():
        for key in header_keys(header):
            out.setdefault(key, field)
    for field, names in SYNONYMS[kind].items():
        for name in names:
            for key in header_keys(name):
                out.setdefault(key, field)
    return out


def is_row_number(text: str) -> bool:
    """True for a header that only numbers rows (序号)."""
    key = normalise_header(text)
    return key in {normalise_header(h) for h in ROW_NUMBER_HEADERS}
