"""`hazardbot export …`: the records as JSON, CSV or XLSX."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.dispatch import DispatchTable
from storage.domain import cn_day
from storage.models import Enterprise, SelfCheckRun, Unit

if TYPE_CHECKING:
    from handlers.forms.catalog import FormCatalog

SELFCHECK_COLUMNS = ("自查编号", "周期", "企业（项目）", "统一社会信用代码", "乡镇", "所属行业领域", "状态", "提交时间",
                     "题号", "检查项", "回答", "是否隐患", "隐患等级", "依据")


class ExportError(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    month: str | None = None  # YYYY-MM
    unit: str | None = None


def periods_for_month(month: str) -> list[str]:
    """The run periods that cover a month: the month itself and its quarter."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        date(year, mon, 1)
    except ValueError:
        raise ExportError(f"月份格式应为 YYYY-MM，例如 2026-06（收到：{month}）") from None
    return [f"{year}-{mon:02d}", f"{year}-Q{(mon - 1) // 3 + 1}"]


def selfcheck_runs(session: Session, filters: Filters) -> list[SelfCheckRun]:
    query = select(SelfCheckRun).join(Enterprise).where(SelfCheckRun.status == "submitted")
    if filters.month:
        query = query.where(SelfCheckRun.period.in_(periods_for_month(filters.month)))
    if filters.unit:
        unit = session.scalars(select(Unit).where(Unit.name == filters.unit)).one_or_none()
        if unit is None:
            raise ExportError(f"没有名为「{filters.unit}」的单位")
        query = query.where(or_(Enterprise.town_id == unit.id, Enterprise.department_id == unit.id))
    return list(session.scalars(query.order_by(SelfCheckRun.period, Enterprise.name)))


def selfcheck_records(runs: Iterable[SelfCheckRun], forms: FormCatalog, tz: ZoneInfo) -> list[dict[str, Any]]:
    # Here, not at the top: the forms bring the date parser and its numerals (cn2an); the other exports
    # and the commands that only import them start without.
    from handlers.forms.answers import display

    out = []
    for run in runs:
        ent = run.enterprise
        questionnaire = forms.compose(list(run.form_ids))
        items = []
        # Notices were shown, not asked: they are no answer of the enterprise's.
        for n, item in enumerate((i for i in questionnaire.items if i.id in run.answers and i.asks), 1):
            value = run.answers[item.id]
            hazard = bool(item.hazard_when) and value in item.hazard_when
            items.append({"n": n, "id": item.id, "question": item.text, "answer": display(item, value),
                          "value": value, "hazard": hazard, "level": item.level if hazard else None,
                          "clause": item.clause})
        out.append({
            "id": run.id, "period": run.period, "enterprise": ent.name, "credit_code": ent.credit_code or "",
            "town": ent.town.name, "industry": ent.industry, "status": run.status,
            "submitted_at": run.submitted_at.astimezone(tz).isoformat(timespec="minutes") if run.submitted_at else None,
            "forms": list(run.form_ids), "items": items,
        })
    return out


def _flat(records: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for r in records:
        for it in r["items"]:
            rows.append([r["id"], r["period"], r["enterprise"], r["credit_code"], r["town"], r["industry"], "已提交",
                         r["submitted_at"] or "", it["n"], it["question"], it["answer"], "是" if it["hazard"] else "",
                         it["level"] or "", it["clause"]])
    return rows


def _text(records: list[dict[str, Any]], fmt: str, out: Path | None, header: Any, rows: list[list[Any]]) -> str | None:
    """JSON (the records) or CSV (header + rows), written to `out` or returned as text."""
    if fmt == "json":
        text = json.dumps(records, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        raise ExportError(f"不支持的格式 {fmt}：json、csv 或 xlsx")
    if out is not None:
        out.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")  # BOM: Excel opens it as UTF-8
        return None
    return text


def _need_file(out: Path | None) -> Path:
    if out is None:
        raise ExportError("XLSX 需要用 --output 指定文件")
    return out


def write(records: list[dict[str, Any]], fmt: str, out: Path | None, title: str) -> str | None:
    """JSON and CSV go to `out` or are returned as text; XLSX needs a file."""
    if fmt != "xlsx":
        return _text(records, fmt, out, SELFCHECK_COLUMNS, _flat(records))
    out = _need_file(out)
    from openpyxl import Workbook

    from .sheets import as_day, body_row, header_row, print_setup, set_widths, title_row

    wb = Workbook()
    ws = _sheet(wb)
    ws.title = "自查记录"
    set_widths(ws, (8, 10, 24, 20, 11, 12, 8, 17, 6, 44, 14, 8, 8, 30))
    title_row(ws, title, len(SELFCHECK_COLUMNS))
    header_row(ws, SELFCHECK_COLUMNS)
    for row in _flat(records):
        row[7] = as_day(row[7][:10]) if row[7] else None  # 提交时间: the day, as a date
        body_row(ws, row, centred=frozenset({1, 2, 7, 9, 12, 13}))
    print_setup(ws, landscape=True, title_rows="2:2")
    ws.freeze_panes = "A3"
    wb.save(out)
    return None


# -- the hazard list (隐患清单) and the ledger ----------------------------------------------------------

# The official 重大隐患（重点隐患）清单 (000 附件2, 002 附件2): nine columns, as the forms print them.
HAZARD_COLUMNS = ("序号", "乡镇/部门", "企业（项目）", "所属行业领域", "重大隐患（重点隐患）描述", "整改措施",
                  "挂牌督办文件名称及文号", "整改期限", "整改进展")
# The general list of any level: the same, with the number staff look a hazard up by and its level.
LEDGER_COLUMNS = ("序号", "隐患编号", "乡镇/部门", "企业（项目）", "所属行业领域", "隐患等级", "隐患描述", "整改措施",
                  "挂牌督办文件名称及文号", "整改期限", "整改进展")
# The detailed export adds the rest of the 五落实 and the record's dates.
DETAIL_COLUMNS = ("来源", "状态", "责任人", "资金（万元）", "应急预案", "停用设备/区域", "发现日期", "销号日期")


@dataclass(frozen=True)
class HazardFilters:
    month: str | None = None
    unit: str | None = None
    level: str | None = None
    since: date | None = None  # found on or after this day
    until: date | None = None  # found on or before this day


def hazard_records(session: Session, filters: HazardFilters, tz: ZoneInfo) -> list[dict[str, Any]]:
    from storage.ledger import DRAFT
    from storage.models import Hazard
    from storage.periods import local_range

    query = select(Hazard).join(Enterprise, Hazard.enterprise_id == Enterprise.id).where(Hazard.status != DRAFT)
    if filters.level:
        if filters.level not in ("重大", "一般"):
            raise ExportError("--level 只能是 重大 或 一般")
        query = query.where(Hazard.level == filters.level)
    if filters.month:
        periods_for_month(filters.month)  # validates the format
        year, mon = (int(x) for x in filters.month.split("-"))
        last = (date(year + mon // 12, mon % 12 + 1, 1) - date.resolution)
        lo, hi = local_range(date(year, mon, 1), last, tz)
        query = query.where(Hazard.found_at >= lo, Hazard.found_at < hi)
    if filters.since is not None:
        query = query.where(Hazard.found_at >= local_range(filters.since, filters.since, tz)[0])
    if filters.until is not None:
        query = query.where(Hazard.found_at < local_range(filters.until, filters.until, tz)[1])
    if filters.unit:
        unit = session.scalars(select(Unit).where(Unit.name == filters.unit)).one_or_none()
        if unit is None:
            raise ExportError(f"没有名为「{filters.unit}」的单位")
        query = query.where(or_(Hazard.town_id == unit.id, Hazard.department_id == unit.id))
    return as_records(session, list(session.scalars(query.order_by(Hazard.found_at, Hazard.id))), tz)


def as_records(session: Session, hazards: list[Any], tz: ZoneInfo) -> list[dict[str, Any]]:
    """Hazards as the lists print them, with each one's latest progress note."""
    from storage.models import HazardEvent

    last_notes: dict[int, str] = {}
    if hazards:
        for hazard_id, note in session.execute(
                select(HazardEvent.hazard_id, HazardEvent.note)
                .where(HazardEvent.hazard_id.in_([h.id for h in hazards]), HazardEvent.note != "")
                .order_by(HazardEvent.id)):
            last_notes[hazard_id] = note
    out = []
    for hz in hazards:
        ent = hz.enterprise
        unit_name = ent.town.name + (f"/{ent.department.name}" if ent.department else "")
        progress = hz.status + (f"：{last_notes[hz.id]}" if hz.id in last_notes else "")
        supervision = f"{hz.supervision_level}挂牌督办 {hz.supervision_doc}".strip() if hz.supervision_level else ""
        out.append({
            "number": hz.number, "unit": unit_name, "enterprise": ent.name, "industry": ent.industry,
            "description": hz.description, "measures": hz.measures, "supervision": supervision,
            "deadline": hz.deadline or ("即查即改" if hz.fixed_on_spot else ""), "progress": progress,
            "level": hz.level, "source": hz.source, "status": hz.status, "responsible": hz.responsible,
            "funds_wan": hz.funds_wan, "plan": hz.plan, "clause": hz.clause,
            "equipment_stopped": hz.equipment_stopped,
            "found_at": hz.found_at.astimezone(tz).isoformat(timespec="minutes"),
            "closed_at": hz.closed_at.astimezone(tz).isoformat(timespec="minutes") if hz.closed_at else None,
        })
    return out


def _hazard_row(n: int, r: dict[str, Any], *, major: bool, detailed: bool) -> list[Any]:
    from .sheets import as_day

    deadline = as_day(r["deadline"])
    if major:
        return [n, r["unit"], r["enterprise"], r["industry"], r["description"], r["measures"], r["supervision"],
                deadline, r["progress"]]
    row = [n, r["number"], r["unit"], r["enterprise"], r["industry"], r["level"], r["description"], r["measures"],
           r["supervision"], deadline, r["progress"]]
    if detailed:
        stopped = {True: "已停用", False: "未停用"}.get(r["equipment_stopped"], "")
        row += [r["source"], r["status"], r["responsible"], r["funds_wan"], r["plan"], stopped,
                as_day(r["found_at"][:10]), as_day((r["closed_at"] or "")[:10])]
    return row


def write_hazards(records: list[dict[str, Any]], fmt: str, out: Path | None, title: str, filled_by: str,
                  filled_on: date, *, major: bool = False, detailed: bool = False) -> str | None:
    if fmt == "xlsx":
        hazard_sheet(records, title, filled_by, filled_on, major=major, detailed=detailed).save(_need_file(out))
        return None
    header = [*LEDGER_COLUMNS, *DETAIL_COLUMNS]
    rows = [[("" if v is None else v.isoformat() if isinstance(v, date) else v)
             for v in _hazard_row(n, r, major=False, detailed=True)] for n, r in enumerate(records, 1)]
    return _text(records, fmt, out, header, rows)


def hazard_sheet(records: list[dict[str, Any]], title: str, filled_by: str, filled_on: date, *, major: bool = True,
                 detailed: bool = False, filler: str = "", phone: str = "") -> Any:
    """The 隐患清单 as a clerk prints it: the title, 填报单位/填报人/联系电话/填报时间, the columns of the official
    form (major) or of the general list (with 隐患编号 and level; detailed: the whole 五落实), rows as tall as
    their text, 整改期限 as dates and 资金 as numbers, landscape A4 one page wide with the header on every page."""
    from openpyxl import Workbook

    from .sheets import body_row, header_row, print_setup, set_widths, title_row

    columns = HAZARD_COLUMNS if major else (*LEDGER_COLUMNS, *(DETAIL_COLUMNS if detailed else ()))
    widths: tuple[float, ...] = ((6, 14, 22, 12, 36, 30, 22, 13, 24) if major else
                                 (6, 15, 14, 20, 11, 7, 32, 28, 20, 13, 22) + ((8, 11, 10, 9, 20, 9, 13, 13) if detailed else ()))
    wb = Workbook()
    ws = _sheet(wb)
    ws.title = "重大隐患清单" if major else "隐患台账"
    set_widths(ws, widths)
    width = len(columns)
    title_row(ws, title, width)
    labels = [f"填报单位（盖章）：{filled_by}", f"填报人：{filler}", f"联系电话：{phone}", f"填报时间：{cn_day(filled_on)}"]
    bounds = [round(width * k / 4) for k in range(5)]
    ws.append([])
    for label, lo, hi in zip(labels, bounds, bounds[1:], strict=False):
        ws.cell(2, lo + 1, label)
        ws.merge_cells(start_row=2, start_column=lo + 1, end_row=2, end_column=hi)
    ws.row_dimensions[2].height = 22
    header_row(ws, columns)
    money = columns.index("资金（万元）") + 1 if "资金（万元）" in columns else None
    centred = frozenset({1, 2} if not major else {1}) | frozenset(
        {columns.index("隐患等级") + 1} if "隐患等级" in columns else set())
    for n, r in enumerate(records, 1):
        body_row(ws, _hazard_row(n, r, major=major, detailed=detailed), centred=centred,
                 formats={money: "0.00"} if money else None)
    print_setup(ws, landscape=True, title_rows="3:3")
    ws.freeze_panes = "A4"
    return wb


# -- tips (no sender data exists to export) --------------------------------------------------------

TIP_COLUMNS = ("编号", "受理日期", "状态", "举报内容", "地点", "涉及企业", "行业", "承办单位", "办结日期", "核查结果",
               "奖励（元）", "照片（张）")


def tip_records(session: Session) -> list[dict[str, Any]]:
    from sqlalchemy import func

    from storage.models import Tip, TipPhoto

    photos = dict(session.execute(select(TipPhoto.tip_id, func.count()).group_by(TipPhoto.tip_id)).all())
    out = []
    for tip in session.scalars(select(Tip).order_by(Tip.id)):
        where = tip.where_text or (f"{tip.latitude:.5f},{tip.longitude:.5f}" if tip.latitude is not None else "")
        out.append({
            "number": tip.number, "received_on": tip.received_on, "status": tip.status, "what": tip.what,
            "where": where, "enterprise": tip.enterprise.name if tip.enterprise else tip.enterprise_text,
            "industry": tip.industry, "unit": tip.unit.name if tip.unit else "", "decided_on": tip.decided_on or "",
            "outcome": tip.outcome_note, "reward_yuan": tip.reward_yuan, "photos": photos.get(tip.id, 0),
        })
    return out


def write_tips(records: list[dict[str, Any]], fmt: str, out: Path | None) -> str | None:
    rows = [list(r.values()) for r in records]
    if fmt != "xlsx":
        return _text(records, fmt, out, TIP_COLUMNS, rows)
    from openpyxl import Workbook

    wb = Workbook()
    ws = _sheet(wb)
    ws.title = "举报登记"
    ws.append(list(TIP_COLUMNS))
    for row in rows:
        ws.append(row)
    wb.save(_need_file(out))
    return None


# -- the monthly dispatch table (调度表) -------------------------------------------------------------

TO_FILL = "FFF2CC"  # parts nobody has entered yet: a pale yellow that prints as light grey


def dispatch_rows(table: DispatchTable) -> list[list[Any]]:
    """One row per indicator, for JSON and CSV: 项目, 序号, 指标, 数值 (as the form reads it; empty: not yet entered)."""
    return [[title, c.number, c.label, c.value if c.value is not None else ""] for title, c in table.cells]


def dispatch_records(table: DispatchTable) -> list[dict[str, Any]]:
    """The rows with each part's figure as a number and where it came from (records, entered, missing)."""
    return [{"section": title, "number": c.number, "label": c.label, "value": c.value or "",
             "parts": [{"key": p.part.key, "value": p.value, "origin": p.origin} for p in c.parts]}
            for title, c in table.cells]


def write_dispatch(table: DispatchTable, fmt: str, out: Path | None, title: str, notes: list[str]) -> str | None:
    if fmt == "xlsx":
        dispatch_sheet(table, title, notes).save(_need_file(out))
        return None
    return _text(dispatch_records(table), fmt, out, ("项目", "序号", "指标", "数值"), dispatch_rows(table))


def dispatch_sheet(table: DispatchTable, title: str, notes: list[str]) -> Any:
    """The form's layout: two indicators to a row, the section's name merged down the left, the unit and the
    day under the title and the form's notes below. Each indicator has two value columns: one figure spans
    both, a figure and its amount or its "其中" take one each — numbers stay numbers a clerk can add up,
    and the number format prints the "其中". Parts nobody entered yet are yellow; a label ending in "*" is a
    figure the system computed from the records that staff may correct (the notes say so). Portrait A4."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    from .sheets import BODY, BOX, CENTRE, WRAP, fit_row, print_setup, set_widths, title_row

    wb = Workbook()
    ws = _sheet(wb)
    ws.title = "调度表"
    set_widths(ws, (9, 4.5, 27, 8, 8, 4.5, 27, 8, 8))
    to_fill = PatternFill("solid", fgColor=TO_FILL)
    title_row(ws, title, 9)
    ws.append([f"{table.layout.unit_label}：{table.unit}", "", "", "", "", f"时间：{cn_day(table.filled_on)}"])
    ws.merge_cells("A2:E2")
    ws.merge_cells("F2:I2")
    ws.row_dimensions[2].height = 22
    for section, cells in table.sections:
        first = ws.max_row + 1
        for left, right in zip(cells[::2], [*cells[1::2], None], strict=False):
            r = ws.max_row + 1
            ws.cell(r, 1, section if r == first else None)
            for start, cell in ((2, left), (6, right)):
                for col in range(start, start + 4):
                    ws.cell(r, col).border, ws.cell(r, col).font = BOX, BODY
                if cell is None:
                    continue
                adjustable = any(p.part.adjustable for p in cell.parts)
                ws.cell(r, start, cell.number).alignment = CENTRE
                ws.cell(r, start + 1, cell.label + ("*" if adjustable else "")).alignment = WRAP
                for offset, pv in enumerate(cell.parts):
                    target = ws.cell(r, start + 2 + offset)
                    target.value = ("是" if pv.value else "否") if pv.part.kind == "yesno" and pv.value is not None \
                        else (int(pv.value) if pv.part.kind == "count" and pv.value is not None else pv.value)
                    target.alignment = CENTRE
                    if pv.part.prefix:
                        target.number_format = f'"{pv.part.prefix.strip()} "General'
                    if pv.origin == "missing":
                        target.fill = to_fill
                if len(cell.parts) == 1:
                    ws.merge_cells(start_row=r, start_column=start + 2, end_row=r, end_column=start + 3)
            ws.cell(r, 1).border, ws.cell(r, 1).font, ws.cell(r, 1).alignment = BOX, BODY, CENTRE
            fit_row(ws, r, minimum=36)
        ws.merge_cells(start_row=first, start_column=1, end_row=ws.max_row, end_column=1)
    ws.append([])
    for n, text in enumerate(["注：", *notes]):
        line = text if n == 0 else f"{n}. {text}"
        ws.append([line])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=9)
        ws.cell(ws.max_row, 1).alignment = WRAP
        ws.cell(ws.max_row, 1).font = BODY
        fit_row(ws, ws.max_row, minimum=18, merged_widths={1: 102})
    print_setup(ws, landscape=False)
    return wb


def _sheet(wb: Any) -> Any:
    """The workbook's first sheet: a new Workbook always has one."""
    ws = wb.active
    assert ws is not None
    return ws
