"""WeChat Official Account (公众号): the webhook at /wechat (明文, 兼容 and 安全 modes) and pushes.

Pushes: a customer-service message while the person wrote within 48 hours; otherwise the rule's template
message or 订阅通知 (certified 服务号), its fields cut to what WeChat shows and the whole text behind its link
(storage/templates.py); 45015 ("response out of time limit") falls back to the template, and so does 45047
(customer-service quota used up) when the rule has one — without one it is retried later.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from scheduler.delivery import Push, PushFailed
from storage.templates import TemplateSpec, fill

from .clients import error_code, refusal
from .common import PARSE_ERRORS, answer, check_fresh_and_new, refuse_dangerous_xml, text_response, to_incoming

bp = Blueprint("wechat", __name__)


def _verify_plain_signature(token: str) -> None:
    args = request.args
    try:
        check_signature(token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        abort(403, "invalid signature")


def _config():
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
    hb = current_app.extensions["hazardbot"]
    # WeChat signs every callback with `signature`, encrypted or not; msg_signature covers the ciphertext.
    _verify_plain_signature(cfg.token)
    body = request.get_data(cache=False)
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    refuse_dangerous_xml(body)
    crypto = None
    if cfg.encoding_aes_key and args.get("encrypt_type", "").lower() != "aes":
        # With a key configured only the ciphertext, checked by msg_signature, is believed: `signature` covers
        # the URL alone, so a captured URL could otherwise carry any body, sender and text.
        abort(403, "this endpoint takes encrypted messages only (安全/兼容 mode)")
    if cfg.encoding_aes_key:
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
        # 明文 mode (no key configured): the plaintext fields are in the body; `hazardbot serve` warns of it.
        xml = body
    # Only once its signatures are checked: an unsigned request must not be able to spoil a real one.
    check_fresh_and_new(hb, "wechat", timestamp, nonce, body, body_signed=crypto is not None)
    try:
        message = parse_message(xml)
        incoming = to_incoming("wechat", message)
    except PARSE_ERRORS:
        abort(400, "malformed message")

    def render(text: str) -> str:
        reply = TextReply(message=message, content=text).render()
        return crypto.encrypt_message(reply, nonce, timestamp) if crypto is not None else reply

    return answer(hb, incoming, render)


WINDOW = timedelta(hours=48)  # customer-service messages only within 48 h of the person's last message
KF_QUOTA = 45047  # 20 customer-service messages since the person last wrote
OUTSIDE_WINDOW = {45015, KF_QUOTA}  # no customer-service message possible now: use the template


class WeChatPushes:
    """Sends outbox rows through the Official Account's APIs."""

    # WeChat has no duplicate check: an interrupted push is never sent again.
    resend_window: timedelta | None = None

    def __init__(self, client: Any, templates: dict[str, TemplateSpec],
                 link: Callable[[int], str | None] = lambda outbox_id: None) -> None:
        self.client = client
        self.templates = templates
        self.link = link  # the page with a push's whole text, for the template's link

    def prepare(self) -> None:
        self.client.access_token  # noqa: B018 - fetches the token now if it is missing or expired

    def send(self, push: Push, last_inbound: datetime | None, now: datetime) -> str:
        try:
            return self._send(push, last_inbound, now)
        except WeChatClientException as exc:
            raise refusal(exc) from exc

    def _send(self, push: Push, last_inbound: datetime | None, now: datetime) -> str:
        if last_inbound is not None and now - last_inbound < WINDOW:
            try:
                self.client.message.send_text(push.recipient, push.text)
                return "kf"
            except WeChatClientException as exc:
                if error_code(exc) not in OUTSIDE_WINDOW:
                    raise
                if error_code(exc) == KF_QUOTA and not self.templates.get(push.rule):
                    raise  # retried with backoff: once the person writes again the quota starts afresh
        spec = self.templates.get(push.rule)
        if spec is None:
            raise PushFailed(f"对方超过 48 小时没有发消息，且没有配置模板消息"
                             f"（scheduler.templates.{push.rule or '（回复）'}）", permanent=True)
        data = fill(spec, push.template or {}, push.text, now.date())
        url = self.link(push.id)
        if spec.kind == "subscribe":
            self.client.message.send_subscribe_message(push.recipient, spec.id, data, page=url)
            return "subscribe"
        self.client.message.send_template(push.recipient, spec.id, data, url=url)
        return "template"
