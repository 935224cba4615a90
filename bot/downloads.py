"""/files/<token>: the files that download links sent in chat name (storage.links), built when opened."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, send_file
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy.orm import Session

from storage.dispatch import DispatchTable, dispatch_table
from storage.links import KINDS, Download, read_download
from storage.models import Unit
from storage.scope import Scope

from .exports import HazardFilters, dispatch_sheet, hazard_records, hazard_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("downloads", __name__)


def dispatch_title(services: Any) -> str:
    campaign = services.config.campaign
    return f"{campaign.region}{campaign.name}进展情况调度表"


def table_for(session: Session, services: Any, scope: Scope, as_of: date) -> DispatchTable:
    return dispatch_table(session, scope, services.config.campaign.start_day, as_of, services.tz)


def build(session: Session, services: Any, download: Download) -> tuple[str, bytes]:
    """The file's name and its bytes."""
    unit = session.get(Unit, download.unit_id) if download.unit_id is not None else None
    if download.unit_id is not None and unit is None:
        raise LookupError("the unit no longer exists")
    scope = Scope(unit) if unit is not None else Scope(None, everything=True)
    if download.kind == "dispatch":
        workbook = dispatch_sheet(table_for(session, services, scope, download.as_of), dispatch_title(services))
    else:
        records = hazard_records(session, HazardFilters(unit=unit.name if unit else None, level="重大",
                                                        since=services.config.campaign.start_day, until=download.as_of),
                                 services.tz)
        workbook = hazard_sheet(records, "重大隐患（重点隐患）清单", scope.label, download.as_of)
    buf = io.BytesIO()
    workbook.save(buf)
    return f"{KINDS[download.kind]}-{scope.label}-{download.as_of.isoformat()}.xlsx", buf.getvalue()


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
