"""Links sent in chat to files built on demand: the dispatch table and the hazard list as Excel files.

WeChat cannot send an Official Account's users a file, so the bot sends a link. The link carries what to
build (which form, for which unit, up to which day), signed with the deployment's key and valid for
`server.download_hours`; the file is built when the link is opened (bot/downloads.py), from the records as
they are then, so nothing is kept on disk. Whoever holds the link can open it until it expires: it is as
private as the chat.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from itsdangerous import BadSignature, URLSafeTimedSerializer

from .config import ServerConfig

SALT = "download"
KINDS = {"dispatch": "调度表", "hazards": "重大隐患清单"}


@dataclass(frozen=True)
class Download:
    kind: str  # a key of KINDS
    unit_id: int | None  # None: every unit (an admin's link)
    as_of: date


def base_url(server: ServerConfig) -> str:
    """Where people's phones reach this server; without `public_url`, only this machine can open it."""
    return server.public_url.rstrip("/") if server.public_url else f"http://{server.host}:{server.port}"


def download_link(secret: bytes, server: ServerConfig, download: Download) -> str:
    token = URLSafeTimedSerializer(secret, salt=SALT).dumps(
        [download.kind, download.unit_id, download.as_of.isoformat()])
    return f"{base_url(server)}/files/{token}"


def read_download(secret: bytes, server: ServerConfig, token: str) -> Download:
    """The download a token names; raises BadSignature (forged, truncated) or SignatureExpired."""
    kind, unit_id, day = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=server.download_hours * 3600)
    if kind not in KINDS:
        raise BadSignature("unknown kind")
    return Download(kind, unit_id, date.fromisoformat(day))


def local_only_note(server: ServerConfig) -> str:
    """What a link sent in chat must say when people's phones cannot reach it."""
    if server.public_url:
        return ""
    return "（服务器未设置 server.public_url：以上链接只能在服务器本机上打开。）"


def page_link(server: ServerConfig, path: str) -> str:
    """A back-office page (path starts with /dashboard)."""
    return base_url(server) + path


NOTICE_SALT = "notice"


def notice_link(secret: bytes, server: ServerConfig, outbox_id: int) -> str | None:
    """The page behind a template message or 订阅通知: the reminder's whole text, which WeChat's 20-character
    fields cannot hold. None without `public_url`: a link only this machine can open is no use on a phone."""
    if not server.public_url:
        return None
    return f"{base_url(server)}/notice/{URLSafeTimedSerializer(secret, salt=NOTICE_SALT).dumps(outbox_id)}"


def read_notice(secret: bytes, token: str, max_age_days: int) -> int:
    """The outbox row a notice link names; raises BadSignature (forged) or SignatureExpired."""
    outbox_id = URLSafeTimedSerializer(secret, salt=NOTICE_SALT).loads(token, max_age=max_age_days * 86400)
    if not isinstance(outbox_id, int):
        raise BadSignature("not a notice")
    return outbox_id
