"""调度表: this month's figures in the unit's layout, the ones to fill in (last month's value shown beside
each), a preview of the form and its Excel file; and the 重大隐患（重点隐患）清单 with its Excel file."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from storage.dispatch import MISSING, form_notes, form_title, number_text, table_for
from storage.dispatch_entries import EntryError, parse_value, save_entries, to_fill
from storage.dispatch_layouts import Part, layout_for, report_month
from storage.models import Unit
from storage.periods import Period, period_of

from ..downloads import major_list_workbook
from ..exports import HazardFilters, dispatch_sheet, hazard_records
from . import bp
from .auth import db, services, unit_choice, viewer
from .hazards import xlsx

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _month(unit: Unit | None) -> Period:
    raw = request.values.get("month", "")
    if _MONTH.match(raw):
        return period_of("month", date.fromisoformat(raw + "-01"))
    svc = services()
    return report_month(layout_for(svc.config.campaign.layout, unit), svc.now().date())


def _table(unit: Unit | None) -> Any:
    svc = services()
    scope, _ = unit_choice()
    return table_for(db(), svc.config, scope, today=svc.now().date(), month=_month(unit))


@bp.get("/dispatch")
def dispatch(error: str = "", typed: dict[str, str] | None = None) -> Any:
    svc = services()
    scope, unit = unit_choice()
    table = _table(unit)
    fill = to_fill(db(), table.layout, unit, table.month.key, only_missing=False) if unit is not None else []
    current = {pv.part.key: pv for _, cell in table.cells for pv in cell.parts}
    months = [period_of("month", date(y, m, 1)) for y, m in _recent_months(svc.now().date(), 6)]
    units = list(db().scalars(select(Unit).order_by(Unit.kind.desc(), Unit.name))) if viewer().admin else []
    return render_template("dispatch.html", table=table, title=form_title(svc.config, table),
                           notes=form_notes(svc.config, table), fill=fill, current=current, unit=unit, scope=scope,
                           months=months, units=units, error=error, typed=typed or {}, number_text=number_text,
                           missing=MISSING, saved=request.args.get("saved", ""))


def _recent_months(today: date, n: int) -> list[tuple[int, int]]:
    out = []
    for back in range(n):
        y, m = divmod(today.year * 12 + today.month - 1 - back, 12)
        out.append((y, m + 1))
    return out


@bp.post("/dispatch")
def dispatch_save() -> Any:
    """Save the figures typed into the form: an emptied box clears that month's entry."""
    svc = services()
    scope, unit = unit_choice()
    if unit is None:
        abort(400, "请先选择单位。")
    month = _month(unit)
    layout = layout_for(svc.config.campaign.layout, unit)
    typed = {k[2:]: v for k, v in request.form.items() if k.startswith("v:")}
    values: dict[str, float | None] = {}
    parts: dict[str, Part] = {i.part.key: i.part for i in to_fill(db(), layout, unit, month.key, only_missing=False)}
    try:
        for key, text in typed.items():
            if key not in parts:
                raise EntryError("表单里有本单位不填的项目，请刷新页面。")
            values[key] = parse_value(parts[key], text) if text.strip() else None
        saved = save_entries(db(), layout, unit, month.key, values, by=viewer().person, now=svc.now())
    except EntryError as exc:
        db().rollback()
        return dispatch(error=str(exc), typed=typed), 400
    args: dict[str, Any] = {"month": month.key, "saved": saved}
    if viewer().admin:
        args["unit"] = unit.id
    return redirect(url_for("dashboard.dispatch", **args))


@bp.get("/dispatch.xlsx")
def dispatch_xlsx() -> Any:
    svc = services()
    _, unit = unit_choice()
    table = _table(unit)
    workbook = dispatch_sheet(table, form_title(svc.config, table), form_notes(svc.config, table))
    return xlsx(workbook, f"调度表-{table.unit}-{table.month.key}.xlsx")


@bp.get("/major")
def major() -> Any:
    svc = services()
    scope = viewer().scope
    records = hazard_records(db(), HazardFilters(unit=scope.unit.name if scope.unit else None, level="重大",
                                                 since=svc.config.campaign.start_day), svc.tz)
    return render_template("major.html", records=records, scope=scope)


@bp.get("/major.xlsx")
def major_xlsx() -> Any:
    svc = services()
    scope = viewer().scope
    today = svc.now().date()
    workbook = major_list_workbook(db(), svc, scope, today, filler=request.args.get("filler", "")[:20],
                                   phone=request.args.get("phone", "")[:20])
    return xlsx(workbook, f"重大隐患清单-{scope.label}-{today.isoformat()}.xlsx")

