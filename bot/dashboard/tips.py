"""The tips inbox of the viewer's unit: what was reported, where, photos and the exchange with the reporter —
never anything about who reported it, since nothing is kept. 提问, 处理 (核查中, 属实, 不属实, 奖励) and 转办 go
through storage.tips, as in chat."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, redirect, render_template, request, send_file, url_for
from sqlalchemy import case, select

from storage.media import photo_file
from storage.models import Tip, TipEvent, TipMessage, TipPhoto, Unit
from storage.tips import (
    OPEN_TIP_STATES,
    LedgerEntry,
    TipError,
    ask_reporter,
    handle_tip,
    may_handle,
    neutral_summary,
)

from . import bp
from .auth import db, page_number, services, viewer

PAGE_SIZE = 20


def _tips_query() -> Any:
    scope = viewer().scope
    query = select(Tip)
    if not scope.everything:
        query = query.where(Tip.unit_id == (scope.unit.id if scope.unit else -1))
    return query


@bp.get("/tips")
def tips() -> Any:
    page = page_number()
    query = _tips_query().order_by(case((Tip.status.in_(OPEN_TIP_STATES), 0), else_=1), Tip.received_on, Tip.id)
    rows = list(db().scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return render_template("tips.html", rows=rows[:PAGE_SIZE], page=page, more=len(rows) > PAGE_SIZE,
                           open_states=OPEN_TIP_STATES)


def _tip(number: str) -> Tip:
    tip = db().scalars(select(Tip).where(Tip.number == number.upper())).one_or_none()
    if tip is None or not may_handle(viewer().person, tip):
        abort(404, "没有找到您单位负责的这条举报。")
    return tip


@bp.get("/tips/<number>")
def tip(number: str, error: str = "") -> Any:
    t = _tip(number)
    photos = list(db().scalars(select(TipPhoto).where(TipPhoto.tip_id == t.id).order_by(TipPhoto.id)))
    messages = list(db().scalars(select(TipMessage).where(TipMessage.tip_id == t.id).order_by(TipMessage.id)))
    events = list(db().scalars(select(TipEvent).where(TipEvent.tip_id == t.id).order_by(TipEvent.at, TipEvent.id)))
    unit_names = dict(db().execute(select(Unit.id, Unit.name)).all())
    units = [(uid, name) for uid, name in sorted(unit_names.items(), key=lambda kv: kv[1]) if uid != t.unit_id]
    return render_template("tip.html", t=t, photos=photos, messages=messages, events=events, units=units,
                           unit_names=unit_names, error=error, notice=request.args.get("done", ""),
                           tz=services().tz, neutral=request.form.get("description") or neutral_summary(t),
                           today=services().now().date().isoformat())


@bp.post("/tips/<number>")
def tip_action(number: str) -> Any:
    t = _tip(number)
    action = request.form.get("action", "")
    note = request.form.get("note", "").strip()[:1000]
    me, now = viewer().person, services().now()
    try:
        if action == "提问":
            ask_reporter(db(), t, note, by=me, now=now)
        elif action in ("核查中", "属实", "不属实", "奖励", "转办"):
            reward = request.form.get("reward", "").strip()
            to_unit = None
            if action == "转办":
                raw = request.form.get("to_unit", "")
                to_unit = db().get(Unit, int(raw)) if raw.isdecimal() else None
                if to_unit is None:
                    raise TipError("请选择转给哪个单位。")
            if action == "奖励" and not reward.isdecimal():
                raise TipError("请写奖励金额（元，整数）。")
            handle_tip(db(), t, action, by=me, now=now, ledger=services().config.ledger, note=note,
                       major=request.form.get("major") == "1", reward_yuan=int(reward) if reward.isdecimal() else None,
                       to_unit=to_unit, entry=_ledger_entry() if action == "属实" else None)
        else:
            abort(400, "未知操作。")
    except TipError as exc:
        db().rollback()
        return tip(number, error=str(exc)), 400
    if action == "转办" or not may_handle(me, t):
        return redirect(url_for("dashboard.tips"))
    return redirect(url_for("dashboard.tip", number=t.number, done=action))


def _ledger_entry() -> LedgerEntry | None:
    """The hazard a verified tip becomes, as staff wrote it on the page (storage.tips checks it)."""
    description = request.form.get("description", "").strip()[:1000]
    raw = request.form.get("deadline", "").strip()
    if not description and not raw:
        return None
    try:
        deadline = date.fromisoformat(raw)
    except ValueError:
        raise TipError("请选择整改期限（日期）。") from None
    return LedgerEntry(description, deadline)


@bp.get("/tips/<number>/photos/<int:photo_id>")
def tip_photo(number: str, photo_id: int) -> Response:
    t = _tip(number)
    photo = db().scalars(select(TipPhoto).where(TipPhoto.id == photo_id, TipPhoto.tip_id == t.id)).one_or_none()
    path = photo_file(services().config.instance_path, {"path": photo.path}) if photo else None
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=0)
