"""`hazardbot import units|enterprises FILE`: the registry from CSV or XLSX.

Re-importing updates rows instead of duplicating them (units by name; enterprises by 统一社会信用代码,
or by name + town when the code is blank). Bad rows are reported by their row number in the file and
do not stop the good ones.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.domain import INDUSTRIES, RISK_TIER_WORDS, SECTORS, UNIT_KIND_WORDS, canonical_industry, parse_sectors
from storage.models import Enterprise, Unit

UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("单位名称", "名称", "单位", "name"),
    "kind": ("类型", "单位类型", "kind"),
    "industries": ("负责行业领域", "行业领域", "industries"),
    "leader": ("负责人", "leader"),
    "leader_phone": ("负责人电话", "电话", "leader_phone"),
}
ENTERPRISE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "企业（项目）", "企业(项目)", "名称", "name"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
    "industry": ("所属行业领域", "行业领域", "行业", "industry"),
    "town": ("乡镇", "所属乡镇", "乡镇（街道）", "镇街", "town"),
    "department": ("监管部门", "行业主管部门", "department"),
    "risk_tier": ("风险等级", "行业类别", "是否高危", "risk_tier"),
    "head_name": ("主要负责人", "head_name"),
    "head_phone": ("主要负责人电话", "负责人电话", "head_phone"),
    "liaison_leader": ("挂点领导", "liaison_leader"),
    "liaison_leader_phone": ("挂点领导电话", "liaison_leader_phone"),
    "cadre": ("责任干部", "cadre"),
    "cadre_phone": ("责任干部电话", "cadre_phone"),
    "employees": ("从业人数", "员工人数", "employees"),
    "sector": ("细分行业", "子行业", "行业细分", "细分领域", "sector"),
}
REQUIRED = {"units": ("name", "kind"), "enterprises": ("name", "industry", "town")}
# Industries treated as 高危行业 when the file leaves the tier blank (monthly self-checks).
HIGH_RISK_INDUSTRIES = frozenset({"危险化学品", "烟花爆竹", "非煤矿山", "城镇燃气"})
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SPLIT = re.compile(r"[、,，;；/\s]+")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, or a required column is missing)."""


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"共 {self.total} 行：新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}，"
                f"出错 {len(self.errors)}")


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015 check digit: catches most typos in a 统一社会信用代码."""
    if len(code) != 18 or any(ch not in _CREDIT_CHARS for ch in code):
        return False
    total = sum(_CREDIT_CHARS.index(ch) * w for ch, w in zip(code[:17], _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The non-empty rows with their row numbers as a spreadsheet shows them."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        raw = _csv_rows(path)
    else:
        raise ImportFileError(f"不支持的文件类型 {path.suffix}：请用 .csv 或 .xlsx")
    rows = [(number, [_cell(c) for c in cells]) for number, cells in raw]
    rows = [(number, cells) for number, cells in rows if any(cells)]
    if not rows:
        raise ImportFileError("文件是空的：第一行应为列名")
    return rows


def split_header(rows: list[tuple[int, list[str]]], columns: dict[str, tuple[str, ...]]
                 ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header is the first row naming at least two known columns: sheets often carry a title above it."""
    aliases = {alias.lower() for names in columns.values() for alias in names}
    for i, (_, cells) in enumerate(rows[:10]):
        if sum(1 for c in cells if c.lower() in aliases) >= 2:
            return cells, rows[i + 1:]
    return rows[0][1], rows[1:]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel turns 从业人数 and phone numbers into floats
    return str(value).replace("\u3000", " ").strip()


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK by default
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("无法识别文件编码：请另存为 UTF-8 的 CSV")
    yield from enumerate(csv.reader(text.splitlines()), 1)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise ImportFileError(f"无法读取 Excel 文件：{exc}") from None
    try:
        for number, cells in enumerate(wb.worksheets[0].iter_rows(values_only=True), 1):
            yield number, list(cells)
    finally:
        wb.close()


def _map_header(header: list[str], columns: dict[str, tuple[str, ...]], kind: str,
                report: ImportReport) -> dict[str, int]:
    lookup = {alias.lower(): key for key, aliases in columns.items() for alias in aliases}
    mapping: dict[str, int] = {}
    for index, name in enumerate(header):
        key = lookup.get(name.strip().lower())
        if key is None:
            if name:
                report.ignored_columns.append(name)
        elif key not in mapping:
            mapping[key] = index
    missing = [columns[k][0] for k in REQUIRED[kind] if k not in mapping]
    if missing:
        raise ImportFileError(f"缺少必需的列：{'、'.join(missing)}（见 README 的列说明）")
    return mapping


def _record(cells: list[str], mapping: dict[str, int]) -> dict[str, str]:
    return {key: (cells[i] if i < len(cells) else "") for key, i in mapping.items()}


def _phone(value: str, label: str) -> str:
    cleaned = re.sub(r"[\s()（）]", "", value)
    if cleaned and not _PHONE.match(cleaned):
        raise ValueError(f"{label}「{value}」不是有效的电话号码")
    return cleaned


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


Progress = Callable[[int], None]


def import_units(session: Session, path: Path, progress: Progress | None = None) -> ImportReport:
    report = ImportReport()
    header, rows = split_header(read_rows(path), UNIT_COLUMNS)
    mapping = _map_header(header, UNIT_COLUMNS, "units", report)
    existing = {u.name: u for u in session.scalars(select(Unit))}
    seen: dict[str, int] = {}
    for number, cells in rows:
        report.total += 1
        rec = _record(cells, mapping)
        try:
            name = rec["name"]
            if not name:
                raise ValueError("单位名称为空")
            if name in seen:
                raise ValueError(f"与第 {seen[name]} 行的单位重名")
            kind = UNIT_KIND_WORDS.get(rec.get("kind", "").strip().lower())
            if kind is None:
                raise ValueError(f"类型「{rec.get('kind', '')}」无效：应为 乡镇、街道、园区 或 部门")
            industries = []
            for word in _SPLIT.split(rec.get("industries", "")):
                if not word:
                    continue
                canonical = canonical_industry(word)
                if canonical is None:
                    raise ValueError(f"行业领域「{word}」不认识；可用：{'、'.join(INDUSTRIES)}")
                industries.append(canonical)
            values = dict(kind=kind, industries=industries, leader=rec.get("leader", ""),
                          leader_phone=_phone(rec.get("leader_phone", ""), "负责人电话"))
        except ValueError as exc:
            report.errors.append(RowError(number, str(exc)))
        else:
            seen[name] = number
            unit = existing.get(name)
            if unit is None:
                unit = Unit(name=name, **values)
                session.add(unit)
                existing[name] = unit
                report.created += 1
            elif _apply(unit, values):
                report.updated += 1
            else:
                report.unchanged += 1
        if progress:
            progress(1)
    session.flush()
    return report


def import_enterprises(session: Session, path: Path, progress: Progress | None = None) -> ImportReport:
    report = ImportReport()
    header, rows = split_header(read_rows(path), ENTERPRISE_COLUMNS)
    mapping = _map_header(header, ENTERPRISE_COLUMNS, "enterprises", report)
    units = {u.name: u for u in session.scalars(select(Unit))}
    by_code: dict[str, Enterprise] = {}
    by_name: dict[tuple[str, int], Enterprise] = {}
    for ent in session.scalars(select(Enterprise)):
        if ent.credit_code:
            by_code[ent.credit_code] = ent
        by_name[(ent.name, ent.town_id)] = ent
    seen: dict[str, int] = {}
    for number, cells in rows:
        report.total += 1
        rec = _record(cells, mapping)
        try:
            values, key = _enterprise_values(rec, units)
            if key in seen:
                raise ValueError(f"与第 {seen[key]} 行是同一家企业")
        except ValueError as exc:
            report.errors.append(RowError(number, str(exc)))
        else:
            seen[key] = number
            code = values["credit_code"]
            found = by_code.get(code) if code else None
            found = found or by_name.get((values["name"], values["town_id"]))
            if found is None:
                ent = Enterprise(**values)
                session.add(ent)
                report.created += 1
            else:
                ent = found
                if _apply(ent, values):
                    report.updated += 1
                else:
                    report.unchanged += 1
            if code:
                by_code[code] = ent
            by_name[(values["name"], values["town_id"])] = ent
        if progress:
            progress(1)
    session.flush()
    return report


def _enterprise_values(rec: dict[str, str], units: dict[str, Unit]) -> tuple[dict[str, Any], str]:
    name = rec["name"]
    if not name:
        raise ValueError("企业名称为空")
    if len(name) > 200:
        raise ValueError("企业名称超过 200 字")
    code = rec.get("credit_code", "").upper().replace(" ", "")
    if code and not credit_code_valid(code):
        raise ValueError(f"统一社会信用代码「{rec.get('credit_code')}」无效（应为 18 位且校验位正确）")
    industry = canonical_industry(rec["industry"])
    if industry is None:
        raise ValueError(f"所属行业领域「{rec['industry']}」不认识；可用：{'、'.join(INDUSTRIES)}")
    town = units.get(rec["town"])
    if town is None or town.kind != "town":
        raise ValueError(f"乡镇「{rec['town']}」不在单位表中，请先导入单位")
    department = _department(rec.get("department", ""), industry, units)
    tier_word = rec.get("risk_tier", "").strip()
    if tier_word:
        tier = RISK_TIER_WORDS.get(tier_word.lower())
        if tier is None:
            raise ValueError(f"风险等级「{tier_word}」无效：应为 高危 或 其他")
    else:
        tier = "high" if industry in HIGH_RISK_INDUSTRIES else "other"
    employees_text = rec.get("employees", "")
    employees: int | None = None
    if employees_text:
        if not employees_text.isdecimal():
            raise ValueError(f"从业人数「{employees_text}」应为非负整数")
        employees = int(employees_text)
    values: dict[str, Any] = dict(
        name=name, credit_code=code or None, industry=industry, town_id=town.id,
        department_id=department.id if department else None, risk_tier=tier,
        head_name=rec.get("head_name", ""), head_phone=_phone(rec.get("head_phone", ""), "主要负责人电话"),
        liaison_leader=rec.get("liaison_leader", ""),
        liaison_leader_phone=_phone(rec.get("liaison_leader_phone", ""), "挂点领导电话"),
        cadre=rec.get("cadre", ""), cadre_phone=_phone(rec.get("cadre_phone", ""), "责任干部电话"),
        employees=employees,
    )
    if "sector" in rec:  # a file without the column leaves what an earlier import recorded
        sectors, unknown = parse_sectors(rec["sector"])
        if unknown:
            raise ValueError(f"细分行业「{'、'.join(unknown)}」不认识；可用：{'、'.join(SECTORS)}")
        values["sector"] = "、".join(sectors)
    return values, code or f"{name}\x1f{town.id}"


def _department(name: str, industry: str, units: dict[str, Unit]) -> Unit | None:
    """The named department, or the one department whose industries include this one.

    No match leaves it empty: the town then answers for the enterprise (属地兜底)."""
    if name:
        unit = units.get(name)
        if unit is None or unit.kind != "department":
            raise ValueError(f"监管部门「{name}」不在单位表中，请先导入单位")
        return unit
    candidates = [u for u in units.values() if u.kind == "department" and industry in (u.industries or [])]
    return candidates[0] if len(candidates) == 1 else None
