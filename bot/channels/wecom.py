"""WeCom (企业微信) self-built app webhook at /wecom; WeCom always encrypts."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.replies import TextReply
from wechatpy.exceptions import InvalidSignatureException

from .common import PARSE_ERRORS, answer, refuse_dangerous_xml, text_response, to_incoming

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
    try:
        message = parse_message(xml)
        incoming = to_incoming("wecom", message)
    except PARSE_ERRORS:
        abort(400, "malformed message")
    return answer(
        current_app.extensions["hazardbot"], incoming,
        lambda text: crypto.encrypt_message(TextReply(message=message, content=text).render(), nonce, timestamp),
    )
