"""The ledger: the filtered and paged list (and the same view as Excel), one hazard with its 五落实, history and
photos, and 核查销号 / 退回 / 现场核查销号 through the ledger's own rule (storage.hazards.apply), as in chat."""
from __future__ import annotations

import io
from typing import Any

from flask import Response, abort, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from storage.domain import CLAIMED, IN_PROGRESS, INDUSTRIES, LEVELS, OPEN, SOURCES
from storage.hazard_list import STATUSES, LedgerFilter, hazard_in_scope, history, ledger_all, ledger_page
from storage.hazards import apply
from storage.ledger import LedgerError, may
from storage.media import keep_photo, photo_file
from storage.models import Hazard, HazardEvent, Person

from ..exports import as_records, hazard_sheet
from . import bp
from .auth import db, page_number, services, viewer

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/hazards")
def hazard_list() -> Any:
    svc = services()
    f = LedgerFilter.from_args(request.args)
    page = page_number()
    rows, total = ledger_page(db(), viewer().scope, f, svc.now().date(), svc.tz, offset=(page - 1) * PAGE_SIZE,
                              limit=PAGE_SIZE)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("hazards.html", rows=rows, total=total, page=page, pages=pages, f=f, args=f.query_args(),
                           statuses=STATUSES, levels=LEVELS, industries=INDUSTRIES, sources=SOURCES,
                           today=svc.now().date().isoformat(), tz=svc.tz)


@bp.get("/hazards.xlsx")
def hazard_list_xlsx() -> Response:
    """The filtered view as Excel: the general list (隐患编号, level), with the 五落实 when asked (detailed=1)."""
    svc = services()
    f = LedgerFilter.from_args(request.args)
    today = svc.now().date()
    hazards = ledger_all(db(), viewer().scope, f, today, svc.tz)
    detailed = request.args.get("detailed") == "1"
    workbook = hazard_sheet(as_records(db(), hazards, svc.tz), "隐患台账", viewer().scope.label, today, major=False,
                            detailed=detailed, filler=request.args.get("filler", "")[:20],
                            phone=request.args.get("phone", "")[:20])
    return xlsx(workbook, f"隐患台账-{viewer().scope.label}-{today.isoformat()}.xlsx")


def xlsx(workbook: Any, name: str) -> Response:
    buf = io.BytesIO()
    workbook.save(buf)
    buf.seek(0)
    return send_file(buf, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


def _hazard(number: str) -> Hazard:
    hz = hazard_in_scope(db(), viewer().scope, number.upper())
    if hz is None:
        abort(404, "没有找到您单位负责的这条隐患。")
    return hz


DONE = {"closed": "已核查销号。", "sent_back": "已退回，企业会收到原因。", "closed_on_site": "已现场核查销号。"}


@bp.get("/hazards/<number>")
def hazard(number: str, error: str = "") -> Any:
    hz = _hazard(number)
    entries = history(db(), hz)
    person = viewer().person
    actions = []
    if may(person, hz, "销号") and hz.status == CLAIMED:
        actions = ["销号", "退回"]
    elif may(person, hz, "现场核查销号") and hz.status in (OPEN, IN_PROGRESS):
        actions = ["现场核查销号"]
    told = request.args.get("told", "")
    notice = DONE.get(request.args.get("done", ""), "")
    if notice and told.isdecimal() and int(told):
        notice += f"已按“双报告”告知监管部门（{int(told)} 人）。"
    return render_template("hazard.html", hz=hz, entries=entries, actions=actions, tz=services().tz,
                           photos=list(enumerate(hz.photos or [])), notice=notice, error=error)


@bp.post("/hazards/<number>/verify")
def verify(number: str) -> Any:
    """核查通过销号, 退回 with a reason, or 现场核查销号 with what was seen: the ledger decides what is allowed."""
    hz = _hazard(number)
    action = request.form.get("action", "")
    if action not in ("销号", "退回", "现场核查销号"):
        abort(400, "未知操作。")
    note = request.form.get("note", "").strip()[:1000]
    if action == "销号" and not note:
        note = "核查通过"
    try:
        told = apply(db(), hz, action, by=viewer().person, now=services().now(), ledger=services().config.ledger,
                     note=note)
    except LedgerError as exc:
        db().rollback()
        return hazard(number, error=str(exc)), 400
    done = {"销号": "closed", "退回": "sent_back", "现场核查销号": "closed_on_site"}[action]
    return redirect(url_for("dashboard.hazard", number=hz.number, done=done, told=told))


@bp.get("/hazards/<number>/photos/<which>/<int:index>")
def hazard_photo(number: str, which: str, index: int) -> Response:
    """A photo of the hazard ("h") or of one history entry (its id), for a viewer whose scope covers the hazard.
    One still held as a media id (it could not be fetched when it arrived) is fetched through its channel now
    and kept, so the next view reads our own copy."""
    hz = _hazard(number)
    owner: Hazard | HazardEvent
    if which == "h":
        owner, adder = hz, hz.found_by
    elif which.isdecimal():
        event = db().scalars(select(HazardEvent).where(HazardEvent.id == int(which),
                                                       HazardEvent.hazard_id == hz.id)).one_or_none()
        if event is None:
            abort(404)
        owner, adder = event, event.person_id
    else:
        abort(404)
    photos = list(owner.photos or [])
    if not 0 <= index < len(photos):
        abort(404)
    svc = services()
    ref = photos[index]
    if not ref.get("path"):
        person = db().get(Person, adder) if adder else None
        channel = ref.get("channel") or (person.channel if person else "")
        kept = keep_photo(svc.config.instance_path, "hazards", ref, svc.downloaders.get(channel))
        if kept.get("path"):
            photos[index] = kept
            owner.photos = photos  # a new list: the JSON column is saved when the request commits
            ref = kept
    path = photo_file(svc.config.instance_path, ref)
    if path is None:
        abort(404, "照片未能取回（微信临时素材只保留 3 天）。")
    return send_file(path, mimetype="image/jpeg", max_age=0)

