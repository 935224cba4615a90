"""Codes, industries and hazard level found in a message (dates live in dates.py, names in names.py)."""
from __future__ import annotations

import re

# -- hazard numbers: YH-202611-0007 ----------------------------------------------------------------
# Tolerates lower case, a missing or doubled dash, spaces and full-width forms (already folded by NFKC).
_SEP = r"[\s_\-—–~·.]*"
_HAZARD = re.compile(rf"(?<![a-z0-9])yh{_SEP}(20\d{{2}})(0[1-9]|1[0-2]){_SEP}(\d{{1,4}})(?!\d)", re.IGNORECASE)


def hazard_numbers(normalized: str) -> list[str]:
    seen: list[str] = []
    for m in _HAZARD.finditer(normalized):
        number = f"YH-{m.group(1)}{m.group(2)}-{int(m.group(3)):04d}"
        if number not in seen:
            seen.append(number)
    return seen


# -- tip receipt codes: 7KQ2-M9XD-4TRA-P6WN-3CHJ ---------------------------------------------------
# Crockford base32: no I, L, O, U. Crockford reads I/L as 1 and O as 0, which is what a person copying a
# code by eye gets wrong; U stays invalid.
_CROCKFORD = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_CROCKFORD_FIX = str.maketrans({"I": "1", "L": "1", "O": "0"})
_RECEIPT = re.compile(r"(?<![a-z0-9])([a-z0-9]{4}(?:[\s\-—–_]{1,2}[a-z0-9]{4}){3,})(?![a-z0-9])", re.IGNORECASE)
_RECEIPT_UNDASHED = re.compile(r"(?<![a-z0-9])([a-z0-9]{16}|[a-z0-9]{20}|[a-z0-9]{24})(?![a-z0-9])", re.IGNORECASE)


def _receipt(raw: str) -> str | None:
    chars = re.sub(r"[\s\-—–_]", "", raw).upper().translate(_CROCKFORD_FIX)
    if len(chars) % 4 or len(chars) < 16 or not set(chars) <= _CROCKFORD:
        return None
    # A run of 16+ letters is an English word or a pinyin string, not a code: real codes mix digits in.
    if not any(c.isdigit() for c in chars) or chars.isdigit():
        return None
    return "-".join(chars[i:i + 4] for i in range(0, len(chars), 4))


def receipt_codes(normalized: str) -> list[str]:
    found: list[str] = []
    for pattern in (_RECEIPT, _RECEIPT_UNDASHED):
        for m in pattern.finditer(normalized):
            code = _receipt(m.group(1))
            if code and code not in found:
                found.append(code)
    return found


def strip_codes(normalized: str) -> str:
    """The text without codes, so pinyin-initial expansion and keyword rules never read inside one."""
    text = _HAZARD.sub(" ", normalized)
    text = _RECEIPT.sub(" ", text)
    return _RECEIPT_UNDASHED.sub(" ", text)


# -- industries ----------------------------------------------------------------------------------
# Canonical names are storage.domain.INDUSTRIES (the dispatch table's order); synonyms are what people say.
INDUSTRY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "道路交通": ("道路交通", "交通安全", "交警", "酒驾", "超载"),
    "道路运输": ("道路运输", "货运", "客运", "危货运输", "运输公司", "物流公司", "大货车", "客车"),
    "公路工程": ("公路工程", "公路施工", "修路"),
    "房屋市政工程": ("房屋市政工程", "房屋市政", "建设施工", "建筑施工", "建筑工地", "工地", "在建项目", "房建",
                   "市政工程", "脚手架", "塔吊", "深基坑", "高支模"),
    "自建房": ("自建房", "经营性自建房", "农村自建房", "民房"),
    "危险化学品": ("危险化学品", "危化品", "危化", "化工厂", "化工企业", "化工", "化学品", "加油站", "加气站", "液氨"),
    "烟花爆竹": ("烟花爆竹", "烟花", "鞭炮", "爆竹", "炮仗"),
    "消防": ("消防", "火灾隐患", "消防通道", "灭火器", "生命通道", "疏散通道"),
    "工贸": ("工贸", "工矿商贸", "冶金", "有色", "建材", "轻工", "纺织", "烟草", "粉尘涉爆", "涉爆粉尘", "粉尘"),
    "城镇燃气": ("城镇燃气", "燃气", "液化气", "煤气", "天然气", "气瓶", "液化石油气"),
    "特种设备": ("特种设备", "电梯", "锅炉", "压力容器", "起重机械", "叉车", "行车", "压力管道", "游乐设施"),
    "文化旅游": ("文化旅游", "文旅", "旅游", "景区", "民宿", "歌厅", "ktv", "网吧", "剧本杀"),
    "非煤矿山": ("非煤矿山", "矿山", "采石场", "尾矿库", "非煤"),
    "农业机械": ("农业机械", "农机", "拖拉机", "收割机"),
    "农业有限空间": ("农业有限空间", "沼气池", "化粪池", "窖池"),
    "能源": ("能源", "光伏", "电站", "水电站"),
    "校园": ("校园", "学校", "幼儿园", "中小学", "培训机构"),
    "体育项目": ("体育项目", "体育场馆", "游泳池", "健身房"),
    "城市运行": ("城市运行", "城市运行安全", "地下管网", "路灯", "广告牌"),
}
# Longer words that contain a synonym but name no industry: 可燃气体 (a gas detector in any plant) is not 燃气.
_NOT_INDUSTRY = ("可燃气体", "可燃气", "燃气泄漏报警器")
_INDUSTRY_OF: dict[str, str | None] = {word: canonical for canonical, words in INDUSTRY_SYNONYMS.items() for word in words}
_INDUSTRY_OF.update({word: None for word in _NOT_INDUSTRY})
_INDUSTRY_RE = re.compile("|".join(sorted(map(re.escape, _INDUSTRY_OF), key=len, reverse=True)))


def industries(normalized: str) -> list[str]:
    found: list[str] = []
    for m in _INDUSTRY_RE.finditer(normalized):
        canonical = _INDUSTRY_OF[m.group(0)]
        if canonical is not None and canonical not in found:
            found.append(canonical)
    return found


# -- hazard level --------------------------------------------------------------------------------
# "一般" alone is also "usually": only count it next to a hazard word.
_LEVEL = re.compile(r"重大(?:事故)?(?:隐患|风险|问题)?|一般(?:性)?(?:的)?(?:隐患|问题)")


def level(normalized: str) -> str | None:
    m = _LEVEL.search(normalized)
    if m is None:
        return None
    return "重大" if m.group(0).startswith("重大") else "一般"


def vocabulary() -> list[str]:
    """Words the tokenizer must keep whole (added to our jieba instance)."""
    return [w for w, c in _INDUSTRY_OF.items() if c is not None and len(w) > 1 and not w.isascii()]
