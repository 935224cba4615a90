"""/files/<token>: the files that download links sent in chat name (storage.links), built when opened."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, send_file
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy.orm import Session

from storage.dispatch import form_notes, form_title, table_for
from storage.links import KINDS, Download, read_download
from storage.models import Unit
from storage.scope import Scope

from .exports import HazardFilters, dispatch_sheet, hazard_records, hazard_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("downloads", __name__)


def dispatch_workbook(session: Session, services: Any, scope: Scope, as_of: date) -> Any:
    table = table_for(session, services.config, scope, today=as_of)
    return dispatch_sheet(table, form_title(services.config, table), form_notes(services.config, table))


def major_list_workbook(session: Session, services: Any, scope: Scope, as_of: date, *, filler: str = "",
                        phone: str = "") -> Any:
    """The 重大隐患（重点隐患）清单 of a unit (or everything) since the campaign began."""
    records = hazard_records(session, HazardFilters(unit=scope.unit.name if scope.unit else None, level="重大",
                                                    since=services.config.campaign.start_day, until=as_of),
                             services.tz)
    return hazard_sheet(records, "重大隐患（重点隐患）清单", scope.label, as_of, major=True, filler=filler, phone=phone)


def build(session: Session, services: Any, download: Download) -> tuple[str, bytes]:
    """The file's name and its bytes."""
    unit = session.get(Unit, download.unit_id) if download.unit_id is not None else None
    if download.unit_id is not None and unit is None:
        raise LookupError("the unit no longer exists")
    scope = Scope(unit) if unit is not None else Scope(None, everything=True)
    if download.kind == "dispatch":
        workbook = dispatch_workbook(session, services, scope, download.as_of)
    else:
        workbook = major_list_workbook(session, services, scope, download.as_of)
    buf = io.BytesIO()
    workbook.save(buf)
    return f"{KINDS[download.kind]}-{scope.label}-{download.as_of.isoformat()}.xlsx", buf.getvalue()


@bp.after_request
def private(resp: Response) -> Response:
    """A file of records: for nobody's cache, and the link (its token) sent to nobody as a referrer."""
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return resp


@bp.get("/files/<token>")
def fetch(token: str):
    hb = current_app.extensions["hazardbot"]
    try:
        download = read_download(hb.services.secret, hb.services.config.server, token)
    except SignatureExpired:
        abort(410, "链接已过期，请在微信里重新发送「生成调度表」获取新链接。")
    except (BadSignature, ValueError, TypeError):
        abort(404, "链接无效。")
    with hb.services.sessions() as session:
        try:
            name, data = build(session, hb.services, download)
        except LookupError:
            abort(404, "该单位已不存在。")
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)
