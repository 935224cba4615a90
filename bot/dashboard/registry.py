"""Enterprises: the registry in scope with this period's self-check and who is bound in chat; "提醒这些企业"
for the unchecked ones (queued through the outbox, at most once a day per person); and the 安全生产责任公示牌
(002 附件1) of one enterprise or of a whole town, one board to a printed page."""
from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from scheduler.quiet import next_allowed
from storage.domain import INDUSTRIES, RISK_TIERS
from storage.enterprise_status import (
    EnterpriseFilter,
    enterprise_in_scope,
    enterprise_page,
    remind_unchecked,
    reminded_today,
)
from storage.models import Enterprise, Unit

from . import bp
from .auth import db, page_number, services, viewer

PAGE_SIZE = 30


@bp.get("/enterprises")
def enterprises() -> Any:
    svc = services()
    f = EnterpriseFilter.from_args(request.args)
    page = page_number()
    today = svc.now().date()
    rows, total = enterprise_page(db(), viewer().scope, f, svc.config.selfcheck, today,
                                  offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    reminded = reminded_today(db(), [r.enterprise.id for r in rows], today)
    result = None
    if request.args.get("queued", "").isdecimal():
        result = {k: int(request.args.get(k, "0") or 0) for k in ("queued", "already", "count")}
    unreachable = [e for e in rows if e.bound == 0 and e.selfcheck != "已提交"]
    args = {k: v for k, v in (("unchecked", "1" if f.unchecked else ""), ("q", f.name), ("industry", f.industry)) if v}
    return render_template("enterprises.html", rows=rows, total=total, page=page, pages=pages, f=f, args=args,
                           industries=INDUSTRIES, tiers=RISK_TIERS, reminded=reminded, result=result,
                           unreachable=unreachable)


@bp.post("/enterprises/remind")
def remind() -> Any:
    svc = services()
    now = svc.clock()
    done = remind_unchecked(db(), viewer().scope, svc.config.selfcheck, svc.now().date(), now=now,
                            not_before=next_allowed(now, svc.config))
    return redirect(url_for("dashboard.enterprises", unchecked=1, queued=done.queued, already=done.already,
                            count=done.enterprises))


@bp.get("/boards")
def boards() -> Any:
    """?enterprise=ID: that enterprise's board; ?town=ID: every enterprise of a town in scope, one per page."""
    scope = viewer().scope
    if request.args.get("enterprise", "").isdecimal():
        one = enterprise_in_scope(db(), scope, int(request.args["enterprise"]))
        if one is None:
            abort(404, "没有找到您单位负责的这家企业。")
        chosen = [one]
    elif request.args.get("town", "").isdecimal():
        town = db().get(Unit, int(request.args["town"]))
        if town is None:
            abort(404)
        chosen = list(db().scalars(select(Enterprise).where(Enterprise.town_id == town.id, scope.enterprises())
                                   .order_by(Enterprise.name)))
        if not chosen:
            abort(404, "这个乡镇没有您单位负责的企业。")
    else:
        towns = list(db().scalars(select(Unit).where(Unit.kind == "town", Unit.id.in_(
            select(Enterprise.town_id).where(scope.enterprises()))).order_by(Unit.name)))
        return render_template("boards_pick.html", towns=towns)
    return render_template("boards.html", enterprises=chosen)
