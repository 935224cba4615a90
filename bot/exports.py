"""`hazardbot export …`: the records as JSON, CSV or XLSX."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handlers.forms.answers import display
from handlers.forms.catalog import FormCatalog
from storage.models import Enterprise, SelfCheckRun, Unit

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


def write(records: list[dict[str, Any]], fmt: str, out: Path | None, title: str) -> str | None:
    """JSON and CSV go to `out` or are returned as text; XLSX needs a file."""
    if fmt == "json":
        text = json.dumps(records, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(SELFCHECK_COLUMNS)
        writer.writerows(_flat(records))
        text = buf.getvalue()
    elif fmt == "xlsx":
        if out is None:
            raise ExportError("XLSX 需要用 --output 指定文件")
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        wb = Workbook()
        ws = wb.active
        ws.title = "自查记录"
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(SELFCHECK_COLUMNS))
        ws["A1"].font, ws["A1"].alignment = Font(bold=True, size=14), Alignment(horizontal="center")
        ws.append(list(SELFCHECK_COLUMNS))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in _flat(records):
            ws.append(row)
        for col, width in zip("ABCDEFGHIJKLMN", (8, 10, 28, 22, 12, 14, 8, 18, 6, 48, 16, 8, 8, 40)):
            ws.column_dimensions[col].width = width
        ws.freeze_panes = "A3"
        wb.save(out)
        return None
    else:
        raise ExportError(f"不支持的格式 {fmt}：json、csv 或 xlsx")
    if out is not None:
        out.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        return None
    return text
