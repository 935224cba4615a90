"""The WeChat / WeCom server's side of the protocol, for end-to-end tests.

Signs with plain SHA-1 (written out here rather than borrowed from the code under test) and encrypts
as the server does; replies are checked and decrypted the same way a WeChat server would check them.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

WECHAT_TOKEN = "123456"  # the token of wechatpy's crypto test vectors
WECHAT_APP_ID = "wx49f0ab532d5d035a"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
# Tencent's published WeCom sample (WXBizMsgCrypt): token, key and CorpID of its test vectors.
WECOM_TOKEN = "QDG6eK"
WECOM_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
WECOM_CORP_ID = "wx5823bf96d3bd56c7"


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def message_xml(user: str, body: dict[str, Any], to: str = "gh_hazardbot", created: int | None = None) -> str:
    fields = {"ToUserName": to, "FromUserName": user, "CreateTime": str(created or int(time.time())), **body}
    inner = "".join(
        f"<{k}>{v}</{k}>" if k in ("CreateTime", "MsgId", "AgentID") else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>"


@dataclass
class Reply:
    status: int
    raw: bytes
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.fields.get("Content", ""))


class WeChatPeer:
    """Talks to /wechat like the Official Account server in one of its three modes."""

    def __init__(self, client: Any, mode: str = "safe", token: str = WECHAT_TOKEN, aes_key: str = AES_KEY,
                 app_id: str = WECHAT_APP_ID) -> None:
        assert mode in ("plain", "compat", "safe")
        self.client, self.mode, self.token = client, mode, token
        self.crypto = WeChatCrypto(token, aes_key, app_id)
        self._ids = count(int(time.time() * 1000))

    def post_xml(self, xml: str, *, timestamp: str | None = None, nonce: str | None = None, msg_id: int | None = None,
                 tamper: str | None = None) -> Reply:
        query, body = self.signed_request(xml, timestamp=timestamp, nonce=nonce)
        if tamper == "signature":
            query["signature"] = "0" * 40
        if tamper == "msg_signature":
            query["msg_signature"] = "0" * 40
        return self.post_request(query, body)

    def signed_request(self, xml: str, *, timestamp: str | None = None,
                       nonce: str | None = None) -> tuple[dict[str, str], str]:
        """The query string and body of one callback, as WeChat signs (and encrypts) them: post it with
        post_request, again for WeChat's retry of the identical request."""
        # Each callback has its own nonce, as WeChat's do: the server refuses a (timestamp, nonce) it saw with
        # another body (a replayed capture).
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or secrets.token_hex(5)
        query = {"timestamp": timestamp, "nonce": nonce, "openid": "ignored",
                 "signature": sha1_signature(self.token, timestamp, nonce)}
        body = xml
        if self.mode in ("compat", "safe"):
            encrypted = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            query.update(encrypt_type="aes", msg_signature=encrypted["MsgSignature"])
            if self.mode == "safe":
                body = f"<xml><ToUserName><![CDATA[gh_hazardbot]]></ToUserName><Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>"
            else:  # 兼容: plaintext fields and the ciphertext side by side
                body = xml.replace("</xml>", f"<Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>")
        return query, body

    def post_request(self, query: dict[str, str], body: str) -> Reply:
        resp = self.client.post("/wechat", query_string=query, data=body.encode(), content_type="text/xml")
        return self._read(resp, query["nonce"])

    def _read(self, resp: Any, nonce: str) -> Reply:
        raw = resp.get_data()
        if resp.status_code != 200 or raw in (b"", b"success"):
            return Reply(resp.status_code, raw)
        doc = xmltodict.parse(raw)["xml"]
        if "Encrypt" in doc:
            # What WeChat does with an encrypted reply: check its signature, then decrypt.
            expected = sha1_signature(self.token, doc["TimeStamp"], doc["Nonce"], doc["Encrypt"])
            assert doc["MsgSignature"] == expected, "reply signature does not verify"
            assert doc["Nonce"] == nonce
            doc = xmltodict.parse(self.crypto.decrypt_message(raw, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"]))["xml"]
        return Reply(resp.status_code, raw, doc)

    def send_text(self, user: str, text: str, msg_id: int | None = None) -> Reply:
        mid = msg_id if msg_id is not None else next(self._ids)
        return self.post_xml(message_xml(user, {"MsgType": "text", "Content": text, "MsgId": str(mid)}))

    def send(self, user: str, body: dict[str, Any], created: int | None = None) -> Reply:
        return self.post_xml(message_xml(user, body, created=created))


class WeComPeer:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.crypto = WeComCrypto(WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID)
        self._ids = count(int(time.time() * 1000))

    def post_xml(self, xml: str, nonce: str | None = None) -> Reply:
        timestamp = str(int(time.time()))
        nonce = nonce or secrets.token_hex(5)
        encrypted = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName><![CDATA[{WECOM_CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted['Encrypt']}]]>"
                f"</Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
        query = {"msg_signature": encrypted["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
        resp = self.client.post("/wecom", query_string=query, data=body.encode(), content_type="text/xml")
        raw = resp.get_data()
        if resp.status_code != 200 or raw in (b"", b"success"):
            return Reply(resp.status_code, raw)
        doc = xmltodict.parse(raw)["xml"]
        assert doc["MsgSignature"] == sha1_signature(WECOM_TOKEN, doc["TimeStamp"], doc["Nonce"], doc["Encrypt"])
        plain = self.crypto.decrypt_message(raw, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"])
        return Reply(resp.status_code, raw, xmltodict.parse(plain)["xml"])

    def send_text(self, user: str, text: str) -> Reply:
        xml = message_xml(user, {"MsgType": "text", "Content": text, "MsgId": str(next(self._ids)),
                                 "AgentID": "1000002"}, to=WECOM_CORP_ID)
        return self.post_xml(xml)
