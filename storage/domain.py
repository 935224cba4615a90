"""Domain vocabulary shared by import, binding and the conversations."""
from __future__ import annotations

import re
from datetime import date

ROLES = ("enterprise_head", "safety_officer", "staff", "admin")
ROLE_LABELS = {
    "enterprise_head": "企业主要负责人",
    "safety_officer": "企业安全管理员",
    "staff": "镇街/部门工作人员",
    "admin": "管理员",
}
ENTERPRISE_ROLES = frozenset({"enterprise_head", "safety_officer"})
STAFF_ROLES = frozenset({"staff", "admin"})

# The hazard ledger's statuses; storage.ledger holds the transitions between them.
DRAFT, FIXED_AT_ONCE, OPEN, IN_PROGRESS, CLAIMED, CLOSED = "草稿", "即查即改", "待整改", "整改中", "已整改待核查", "已销号"
# Not yet verified closed: what deadlines, overdue lists and 挂牌督办 are about.
OPEN_STATES = (OPEN, IN_PROGRESS, CLAIMED)
# Rectified as the campaign counts it: verified closed by staff, or fixed on the spot.
RECTIFIED_STATES = (CLOSED, FIXED_AT_ONCE)
LEVELS = ("重大", "一般")
MAJOR = "重大"
SOURCES = ("企业自查", "部门检查", "举报")


def status_predicate(column: str, statuses: tuple[str, ...]) -> str:
    """`column IN ('a', 'b')` as SQL text with literal values: the partial indexes are declared with it, and
    queries must use the same text for the planner to prove such an index applies to a prepared statement."""
    return f"{column} IN ({', '.join(repr(s) for s in statuses)})"


UNIT_KINDS = {"town": "乡镇/街道/园区", "department": "部门"}
UNIT_KIND_WORDS = {
    "town": "town", "乡镇": "town", "镇": "town", "街道": "town", "园区": "town", "乡": "town",
    "乡镇/街道/园区": "town", "department": "department", "部门": "department", "dept": "department",
}

RISK_TIERS = {"high": "高危行业", "other": "其他行业"}
RISK_TIER_WORDS = {
    "high": "high", "高危": "high", "高危行业": "high", "高风险": "high", "是": "high",
    "other": "other", "其他": "other", "其他行业": "other", "一般": "other", "否": "other", "": "other",
}

# Industries (行业领域) named by the campaign plans; the order is the one the dispatch table uses.
INDUSTRIES = (
    "道路交通", "道路运输", "公路工程", "房屋市政工程", "自建房", "危险化学品", "烟花爆竹", "消防", "工贸",
    "城镇燃气", "特种设备", "文化旅游", "非煤矿山", "农业机械", "农业有限空间", "能源", "校园", "体育项目",
    "城市运行", "其他",
)
# What people call the industries, in chat and in the registry files alike (one list for both).
INDUSTRY_ALIASES = {
    "建设施工": "房屋市政工程", "建筑施工": "房屋市政工程", "建筑": "房屋市政工程", "房屋市政": "房屋市政工程",
    "工地": "房屋市政工程", "建筑工地": "房屋市政工程", "施工工地": "房屋市政工程", "市政工程": "房屋市政工程",
    "住建": "房屋市政工程",
    "危化": "危险化学品", "危化品": "危险化学品", "化工": "危险化学品", "加油站": "危险化学品", "化工厂": "危险化学品",
    "燃气": "城镇燃气", "加气站": "城镇燃气", "液化气站": "城镇燃气", "煤气": "城镇燃气", "天然气": "城镇燃气",
    "旅游": "文化旅游", "文旅": "文化旅游", "景区": "文化旅游", "学校": "校园", "矿山": "非煤矿山",
    "交通": "道路交通", "运输": "道路运输", "物流": "道路运输", "工矿商贸": "工贸", "工厂": "工贸", "商贸": "工贸",
    "鞭炮": "烟花爆竹", "电梯": "特种设备", "锅炉": "特种设备", "起重机": "特种设备",
}


# Sub-industries (细分行业) and the registry's notes on what a site has: they preselect the first, screening
# question of each checklist bank (the person confirms or changes it), so only what applies is asked.
SECTORS = (
    "冶金", "有色", "建材", "机械", "轻工", "纺织", "烟草", "商贸",  # 工贸 (应急管理部令第10号 第二条)
    "危化生产", "危化经营", "危化使用", "加油站",
    "管道燃气", "燃气厂站", "加气站", "瓶装燃气",  # 燃气经营 types
    "施工项目",
    "烟花爆竹生产", "烟花爆竹批发", "烟花爆竹零售",
    "粉尘涉爆", "涉氨制冷", "有限空间作业", "金属冶炼",
)
SECTOR_ALIASES = {
    "钢铁": "冶金", "炼钢": "冶金", "炼铁": "冶金", "焦化": "冶金", "铝加工": "有色", "有色金属": "有色", "铜加工": "有色",
    "水泥": "建材", "玻璃": "建材", "陶瓷": "建材", "机械制造": "机械", "机加工": "机械", "汽车零部件": "机械",
    "食品": "轻工", "造纸": "轻工", "酿酒": "轻工", "家具": "轻工", "印染": "纺织", "服装": "纺织",
    "卷烟": "烟草", "批发零售": "商贸", "商场": "商贸", "超市": "商贸", "仓储物流": "商贸",
    "化工生产": "危化生产", "危险化学品生产": "危化生产", "化工厂": "危化生产",
    "危化品经营": "危化经营", "危险化学品经营": "危化经营",
    "危险化学品使用": "危化使用", "燃气公司": "管道燃气", "管道气": "管道燃气",
    "储配站": "燃气厂站", "门站": "燃气厂站", "气化站": "燃气厂站", "CNG加气站": "加气站", "LNG加气站": "加气站",
    "液化气站": "瓶装燃气", "液化石油气供应站": "瓶装燃气", "瓶装气": "瓶装燃气", "充装站": "瓶装燃气",
    "工地": "施工项目", "建筑工地": "施工项目", "在建项目": "施工项目", "施工": "施工项目",
    "烟花爆竹零售点": "烟花爆竹零售", "烟花爆竹经营（零售）": "烟花爆竹零售", "烟花爆竹经营（批发）": "烟花爆竹批发",
    "粉尘": "粉尘涉爆", "涉爆粉尘": "粉尘涉爆", "液氨制冷": "涉氨制冷", "涉氨": "涉氨制冷", "有限空间": "有限空间作业",
}
_SECTOR_SPLIT = re.compile(r"[、,，;；/\s]+")


def parse_sectors(text: str) -> tuple[list[str], list[str]]:
    """The canonical sectors a registry cell names, and the words it did not recognise."""
    found: list[str] = []
    unknown: list[str] = []
    for word in (w for w in _SECTOR_SPLIT.split(text.strip()) if w):
        canonical = word if word in SECTORS else SECTOR_ALIASES.get(word) or SECTOR_ALIASES.get(word.upper())
        if canonical is None:
            unknown.append(word)
        elif canonical not in found:
            found.append(canonical)
    return found, unknown


def sector_words(sector: str) -> set[str]:
    """The canonical sectors an enterprise is registered with, as a bank's options name them. Not their
    aliases: an alias is often a narrower kind (CNG加气站 of 加气站), which the registry did not say."""
    return set(parse_sectors(sector)[0])


def cn_day(day: date) -> str:
    """A day as the official documents write it: 2026年6月10日."""
    return f"{day.year}年{day.month}月{day.day}日"


def industry_words(industry: str) -> tuple[str, ...]:
    """Every alias of one industry."""
    return tuple(word for word, target in INDUSTRY_ALIASES.items() if target == industry)


def canonical_industry(word: str) -> str | None:
    word = word.strip()
    if word in INDUSTRIES:
        return word
    return INDUSTRY_ALIASES.get(word)


def record_number_in(prefix: str, text: str) -> tuple[str, re.Match[str]] | None:
    """The first record number such as YH-202606-0007 (prefix "YH") or JB-202606-0003 in what a person typed,
    in its canonical form (upper case, dashes restored), with the match for removing it from the text."""
    m = re.search(rf"{prefix}-?\d{{6}}-?\d{{4}}", text, re.IGNORECASE)
    if m is None:
        return None
    digits = re.sub(r"\D", "", m.group(0))
    return f"{prefix}-{digits[:6]}-{digits[6:]}", m
