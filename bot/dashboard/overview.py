"""/dashboard: the unit's quotas as progress bars, its hazards by status, level, industry and month, and the
counts that need attention, each a link to its list."""
from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from sqlalchemy import select

from storage.hazard_list import STATUSES
from storage.hazard_list import overview as hazard_overview
from storage.models import Unit
from storage.periods import period_of
from storage.queries import unchecked_enterprises
from storage.quotas import quota_status

from . import bp
from .auth import db, services, unit_choice, viewer
from .charts import ALERT, BAR, DONE, bars, columns, progress


@bp.get("")
def overview() -> Any:
    svc = services()
    scope, unit = unit_choice()
    today = svc.now().date()
    figures = hazard_overview(db(), scope, today, svc.tz)
    month, quarter = period_of("month", today), period_of("quarter", today)
    _, unchecked = unchecked_enterprises(db(), scope, month.key, quarter.key, 0, 1,
                                         svc.config.selfcheck.high_risk_period)
    quotas = []
    units = [unit] if unit is not None else list(db().scalars(select(Unit).order_by(Unit.kind.desc(), Unit.name)))
    for u in units:
        for row in quota_status(db(), u, svc.config.quotas, today, svc.tz):
            quotas.append({"unit": u.name, "name": row.rule.name, "period": row.period.label, "done": row.done,
                           "minimum": row.rule.minimum, "missing": row.missing, "bar": progress(row.done, row.rule.minimum)})
    if unit is None:
        quotas = [q for q in quotas if q["missing"]]  # everything: only the units still short
    link = lambda **kw: url_for("dashboard.hazard_list", **kw)  # noqa: E731
    unit_arg = {"unit": unit.id} if unit is not None and viewer().admin else {}
    status_colours = [ALERT if s in ("待整改", "整改中") else BAR if s == "已整改待核查" else DONE for s in STATUSES]
    charts = {
        "status": bars(list(figures.by_status.items()), colours=status_colours,
                       links=[link(status=s) for s in figures.by_status]),
        "level": bars(list(figures.by_level.items()), colours=[ALERT, BAR], links=[link(level=lv) for lv in figures.by_level]),
        "industry": bars(figures.by_industry[:10], links=[link(industry=i) for i, _ in figures.by_industry[:10]],
                         label_width=110),
        "month": columns(figures.by_month, links=[link(month=m) for m, _ in figures.by_month]),
    }
    attention = [
        ("逾期未整改", figures.overdue, link(overdue=1)),
        ("挂牌督办中", figures.listed, link(listed=1)),
        ("待核查销号", figures.claimed, link(status="已整改待核查")),
        ("五落实未填", figures.missing_five, link(missing_five=1)),
        ("本期未自查企业", unchecked, url_for("dashboard.enterprises", unchecked=1)),
    ]
    units_for_admin = list(db().scalars(select(Unit).order_by(Unit.kind.desc(), Unit.name))) if viewer().admin else []
    return render_template("overview.html", scope=scope, unit=unit, quotas=quotas, charts=charts,
                           attention=attention, today=today, units=units_for_admin, unit_arg=unit_arg)
