"""WeCom (企业微信) self-built app: the webhook at /wecom (WeCom always encrypts) and app-message pushes.

Pushes go out with WeCom's duplicate check on, so an interrupted one can simply be sent again.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.replies import TextReply
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException

from scheduler.delivery import Push

from .clients import refusal
from .common import PARSE_ERRORS, answer, check_fresh_and_new, refuse_dangerous_xml, text_response, to_incoming

bp = Blueprint("wecom", __name__)


def _crypto() -> WeChatCrypto:
    cfg = current_app.extensions["hazardbot"].services.config.wecom
    if not (cfg.token and cfg.encoding_aes_key and cfg.corp_id):
        abort(404, "WeCom channel not configured")
    return WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.corp_id)  # key checked at start-up


@bp.get("/wecom")
def verify_url():
    crypto = _crypto()
    args = request.args
    try:
        echo = crypto.check_signature(args.get("msg_signature", ""), args.get("timestamp", ""),
                                      args.get("nonce", ""), args.get("echostr", ""))
    except InvalidSignatureException:
        abort(403, "invalid msg_signature")
    except InvalidCorpIdException:
        abort(400, "echostr is for another CorpID")
    except PARSE_ERRORS:
        abort(400, "cannot decrypt echostr")
    return text_response(echo.decode() if isinstance(echo, bytes) else echo)


@bp.post("/wecom")
def receive():
    crypto = _crypto()
    body = request.get_data(cache=False)
    refuse_dangerous_xml(body)
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    try:
        xml = crypto.decrypt_message(body, args.get("msg_signature", ""), timestamp, nonce)
    except InvalidSignatureException:
        abort(403, "invalid msg_signature")
    except InvalidCorpIdException:
        abort(400, "message is for another CorpID")
    except PARSE_ERRORS:
        abort(400, "cannot decrypt message")
    refuse_dangerous_xml(xml.encode() if isinstance(xml, str) else xml)
    check_fresh_and_new(current_app.extensions["hazardbot"], "wecom", timestamp, nonce, body, body_signed=True)
    try:
        message = parse_message(xml)
        incoming = to_incoming("wecom", message)
    except PARSE_ERRORS:
        abort(400, "malformed message")
    return answer(
        current_app.extensions["hazardbot"], incoming,
        lambda text: crypto.encrypt_message(TextReply(message=message, content=text).render(), nonce, timestamp),
    )


# WeCom drops a message identical to one sent to the same member within this many seconds (its maximum is 4 h).
DUPLICATE_CHECK = 1800


class WeComPushes:
    """Sends outbox rows as messages of the self-built app."""

    resend_window: timedelta | None = timedelta(seconds=DUPLICATE_CHECK)

    def __init__(self, client: Any, agent_id: str) -> None:
        self.client = client
        self.agent_id = agent_id

    def prepare(self) -> None:
        self.client.access_token  # noqa: B018 - fetches the token now if it is missing or expired

    def send(self, push: Push, last_inbound: datetime | None, now: datetime) -> str:
        try:
            self.client.message.send(self.agent_id, push.recipient, msg={
                "msgtype": "text", "text": {"content": push.text},
                "enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_CHECK})
        except WeChatClientException as exc:
            raise refusal(exc) from exc
        return "app"
