"""WeChat Official Account (公众号) webhook at /wechat, in 明文, 兼容 and 安全 modes."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from .common import PARSE_ERRORS, answer, refuse_dangerous_xml, text_response, to_incoming

bp = Blueprint("wechat", __name__)


def _verify_plain_signature(token: str) -> None:
    args = request.args
    try:
        check_signature(token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        abort(403, "invalid signature")


def _config():  # type: ignore[no-untyped-def]
    cfg = current_app.extensions["hazardbot"].services.config.wechat
    if not cfg.token:
        abort(404, "WeChat channel not configured")
    return cfg


@bp.get("/wechat")
def verify_url():
    """The URL check WeChat makes when the server address is saved (the same in all three modes)."""
    cfg = _config()
    _verify_plain_signature(cfg.token)
    return text_response(request.args.get("echostr", ""))


@bp.post("/wechat")
def receive():
    cfg = _config()
    # WeChat signs every callback with `signature`, encrypted or not; msg_signature covers the ciphertext.
    _verify_plain_signature(cfg.token)
    body = request.get_data(cache=False)
    refuse_dangerous_xml(body)
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    crypto = None
    if args.get("encrypt_type", "raw").lower() == "aes" and cfg.encoding_aes_key:
        try:
            crypto = WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.app_id)
            xml = crypto.decrypt_message(body, args.get("msg_signature", ""), timestamp, nonce)
        except InvalidSignatureException:
            abort(403, "invalid msg_signature")
        except InvalidAppIdException:
            abort(400, "message is for another AppId")
        except PARSE_ERRORS:
            abort(400, "cannot decrypt message")
        refuse_dangerous_xml(xml.encode() if isinstance(xml, str) else xml)
    else:
        # 明文 mode, or 兼容 mode without a key configured: the plaintext fields are in the body.
        xml = body
    try:
        message = parse_message(xml)
        incoming = to_incoming("wechat", message)
    except PARSE_ERRORS:
        abort(400, "malformed message")

    def render(text: str) -> str:
        reply = TextReply(message=message, content=text).render()
        return crypto.encrypt_message(reply, nonce, timestamp) if crypto is not None else reply

    return answer(current_app.extensions["hazardbot"], incoming, render)
