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

from storage.dispatch import FORM_NOTES, DispatchTable
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
        for n, item in enumerate((i for i in questionnaire.items if i.id in run.answers), 1):
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
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = _sheet(wb)
    ws.title = "自查记录"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(SELFCHECK_COLUMNS))
    ws["A1"].font, ws["A1"].alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    ws.append(list(SELFCHECK_COLUMNS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in _flat(records):
        ws.append(row)
    for col, width in zip("ABCDEFGHIJKLMN", (8, 10, 28, 22, 12, 14, 8, 18, 6, 48, 16, 8, 8, 40), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    wb.save(out)
    return None


# -- the hazard list (隐患清单) ---------------------------------------------------------------------

HAZARD_COLUMNS = ("序号", "乡镇/部门", "企业（项目）", "所属行业领域", "隐患描述", "整改措施", "挂牌督办文件名称及文号",
                  "整改期限", "整改进展")


@dataclass(frozen=True)
class HazardFilters:
    month: str | None = None
    unit: str | None = None
    level: str | None = None
    since: date | None = None  # found on or after this day
    until: date | None = None  # found on or before this day


def hazard_records(session: Session, filters: HazardFilters, tz: ZoneInfo) -> list[dict[str, Any]]:
    from storage.ledger import DRAFT
    from storage.models import Hazard, HazardEvent
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
    hazards = list(session.scalars(query.order_by(Hazard.found_at, Hazard.id)))
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
            "found_at": hz.found_at.astimezone(tz).isoformat(timespec="minutes"),
            "closed_at": hz.closed_at.astimezone(tz).isoformat(timespec="minutes") if hz.closed_at else None,
        })
    return out


def _hazard_rows(records: list[dict[str, Any]]) -> list[list[Any]]:
    return [[n, r["unit"], r["enterprise"], r["industry"], r["description"], r["measures"], r["supervision"],
             r["deadline"], r["progress"]] for n, r in enumerate(records, 1)]


def write_hazards(records: list[dict[str, Any]], fmt: str, out: Path | None, title: str, filled_by: str,
                  filled_on: date) -> str | None:
    if fmt == "xlsx":
        hazard_sheet(records, title, filled_by, filled_on).save(_need_file(out))
        return None
    rows = [[*row, r["number"], r["level"], r["source"], r["status"]] for row, r in zip(_hazard_rows(records), records, strict=True)]
    return _text(records, fmt, out, [*HAZARD_COLUMNS, "隐患编号", "等级", "来源", "状态"], rows)


def hazard_sheet(records: list[dict[str, Any]], title: str, filled_by: str, filled_on: date) -> Any:
    """The official 隐患清单 layout: title, 填报单位/时间, the nine columns, printable on landscape A4."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = _sheet(wb)
    ws.title = "隐患清单"
    width = len(HAZARD_COLUMNS)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(name="方正小标宋简体", size=18)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 36
    ws.append([f"填报单位（盖章）：{filled_by}"] + [""] * 5 + [f"填报时间：{cn_day(filled_on)}"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    ws.merge_cells(start_row=2, start_column=7, end_row=2, end_column=width)
    ws.append(list(HAZARD_COLUMNS))
    for cell in ws[3]:
        cell.font = Font(name="黑体", size=11, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = box
    for row in _hazard_rows(records):
        ws.append(row)
        for cell in ws[ws.max_row]:
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            cell.border = box
            cell.font = Font(name="仿宋_GB2312", size=11)
    for col, w in zip("ABCDEFGHI", (6, 14, 22, 12, 36, 30, 22, 12, 24), strict=True):
        ws.column_dimensions[col].width = w
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
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

TO_FILL = "FFF2CC"  # the cells staff fill in by hand: a pale yellow that prints as light grey


def dispatch_rows(table: DispatchTable) -> list[list[Any]]:
    """One row per indicator, for JSON and CSV: 项目, 序号, 指标, 数值 (empty: fill in by hand)."""
    return [[title, c.number, c.label, c.value if c.value is not None else ""]
            for title, cells in table.sections for c in cells]


def write_dispatch(table: DispatchTable, fmt: str, out: Path | None, title: str) -> str | None:
    if fmt == "xlsx":
        dispatch_sheet(table, title).save(_need_file(out))
        return None
    rows = dispatch_rows(table)
    records = [dict(zip(("section", "number", "label", "value"), row, strict=True)) for row in rows]
    return _text(records, fmt, out, ("项目", "序号", "指标", "数值"), rows)


def dispatch_sheet(table: DispatchTable, title: str) -> Any:
    """The form's layout: two indicators to a row (序号, 指标, 数值 twice), the section's name merged down
    the left, 单位 and 时间 under the title and the form's notes below; printable on portrait A4."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    ws = _sheet(wb)
    ws.title = "调度表"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    body = Font(name="仿宋_GB2312", size=11)
    wrap = Alignment(vertical="center", wrap_text=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    to_fill = PatternFill("solid", fgColor=TO_FILL)

    ws.append([title])
    ws.merge_cells("A1:G1")
    ws["A1"].font = Font(name="方正小标宋简体", size=18)
    ws["A1"].alignment = centre
    ws.row_dimensions[1].height = 40
    day = table.as_of
    ws.append([f"单位：{table.unit}", "", "", "", f"时间：{cn_day(day)}"])
    ws.merge_cells("A2:D2")
    ws.merge_cells("E2:G2")
    for title_text, cells in table.sections:
        first = ws.max_row + 1
        for left, right in zip(cells[::2], [*cells[1::2], None], strict=False):
            row = [title_text if ws.max_row + 1 == first else "", left.number, left.label, left.value]
            row += [right.number, right.label, right.value] if right else ["", "", ""]
            ws.append(row)
            r = ws.max_row
            ws.row_dimensions[r].height = 42
            for col in range(1, 8):
                cell = ws.cell(r, col)
                cell.border, cell.font = box, body
                cell.alignment = centre if col in (1, 2, 4, 5, 7) else wrap
            for col, ind in ((4, left), (7, right)):
                if ind is not None and ind.value is None:
                    ws.cell(r, col).fill = to_fill
        ws.merge_cells(start_row=first, start_column=1, end_row=ws.max_row, end_column=1)
    ws.append([])
    since = cn_day(table.since) if table.since else "有记录以来"
    notes = ["注：", *(f"{n}. {text}" for n, text in enumerate(FORM_NOTES, 1)),
             f"本表由系统按{since}至{cn_day(day)}的记录生成；"
             f"黄色单元格（{table.by_hand} 项）系统没有数据，请核实后手工填写，系统数值也请核对。"]
    for text in notes:
        ws.append([text])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=7)
        ws.cell(ws.max_row, 1).alignment = wrap
        ws.cell(ws.max_row, 1).font = Font(name="仿宋_GB2312", size=10)
        ws.row_dimensions[ws.max_row].height = 30 if len(text) > 50 else 18
    for letter, width in zip("ABCDEFG", (10, 5, 30, 10, 5, 30, 10), strict=True):
        ws.column_dimensions[letter].width = width
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return wb


def _sheet(wb: Any) -> Any:
    """The workbook's first sheet: a new Workbook always has one."""
    ws = wb.active
    assert ws is not None
    return ws
