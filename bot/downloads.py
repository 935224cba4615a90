"""Download links sent in chat: the dispatch table and the hazard list as Excel files.

WeChat cannot send an Official Account's users a file, so the bot sends a link. The link carries what to
build (which form, for which unit, up to which day), signed with the deployment's key and valid for
`server.download_hours`; the file is built when the link is opened, from the records as they are then, so
nothing is kept on disk. Whoever holds the link can open it until it expires: it is as private as the chat.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, send_file
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from storage.dispatch import DispatchTable, dispatch_table
from storage.models import Unit
from storage.queries import Scope

from .exports import HazardFilters, dispatch_sheet, hazard_records, hazard_sheet

SALT = "download"
KINDS = {"dispatch": "调度表", "hazards": "重大隐患清单"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bp = Blueprint("downloads", __name__)


@dataclass(frozen=True)
class Download:
    kind: str  # a key of KINDS
    unit_id: int | None  # None: every unit (an admin's link)
    as_of: date


def _signer(services: Any) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services.secret, salt=SALT)


def base_url(services: Any) -> str:
    server = services.config.server
    return server.public_url.rstrip("/") if server.public_url else f"http://{server.host}:{server.port}"


def link(services: Any, download: Download) -> str:
    token = _signer(services).dumps([download.kind, download.unit_id, download.as_of.isoformat()])
    return f"{base_url(services)}/files/{token}"


def read(services: Any, token: str) -> Download:
    """The download a token names; BadSignature (forged, truncated) or SignatureExpired."""
    kind, unit_id, day = _signer(services).loads(token, max_age=services.config.server.download_hours * 3600)
    if kind not in KINDS:
        raise BadSignature("unknown kind")
    return Download(kind, unit_id, date.fromisoformat(day))


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
def fetch(token: str):  # type: ignore[no-untyped-def]
    hb = current_app.extensions["hazardbot"]
    try:
        download = read(hb.services, token)
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
