"""/wechat and /wecom end to end, signed and encrypted exactly as the WeChat servers do."""
from __future__ import annotations

import pytest
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.replies import TextReply

from bot.channels.common import cdata_safe
from wechat_peer import (AES_KEY, WECHAT_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID, WECOM_TOKEN, WeChatPeer,
                         message_xml, sha1_signature)

MENU_LINE = "1. 匿名举报安全隐患"


def test_url_check_answers_echostr_only_with_a_valid_signature(client):
    q = {"timestamp": "1409659813", "nonce": "1372623149", "echostr": "5837397520665436492"}
    good = client.get("/wechat", query_string={**q, "signature": sha1_signature(WECHAT_TOKEN, q["timestamp"], q["nonce"])})
    assert good.status_code == 200 and good.get_data(as_text=True) == "5837397520665436492"
    assert client.get("/wechat", query_string={**q, "signature": "bad"}).status_code == 403
    assert client.get("/wechat", query_string=q).status_code == 403


@pytest.mark.parametrize("mode", ["plain", "compat", "safe"])
def test_unbound_user_gets_the_numbered_menu_in_every_mode(client, plain_client, mode):
    peer = WeChatPeer(plain_client if mode == "plain" else client, mode=mode)
    reply = peer.send_text("o_user_1", "你好")
    assert reply.status == 200
    assert MENU_LINE in reply.text and "2. 绑定身份" in reply.text
    assert reply.fields["ToUserName"] == "o_user_1"
    if mode == "plain":
        assert b"<Encrypt>" not in reply.raw
    else:
        assert b"<Encrypt>" in reply.raw and "匿名举报".encode() not in reply.raw


def test_wechatpy_published_vector_decrypts_through_the_webhook(vector_client):
    client = vector_client
    # wechatpy's tests/test_crypto.py: token 123456, this key and AppId; the message is "test" from "messense".
    body = """<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>
<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>
<AgentID><![CDATA[1]]></AgentID>
</xml>"""
    ts, nonce = "1411525903", "461056294"
    resp = client.post("/wechat", data=body, query_string={
        "signature": sha1_signature(WECHAT_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
        "encrypt_type": "aes", "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"})
    assert resp.status_code == 200
    doc = xmltodict.parse(resp.get_data())["xml"]
    assert doc["MsgSignature"] == sha1_signature(WECHAT_TOKEN, doc["TimeStamp"], doc["Nonce"], doc["Encrypt"])
    plain = xmltodict.parse(WeChatCrypto(WECHAT_TOKEN, AES_KEY, "wx49f0ab532d5d035a").decrypt_message(
        resp.get_data(), doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"]))["xml"]
    # "test" means nothing to the bot: it is answered with numbered guesses for a visitor.
    assert plain["ToUserName"] == "messense"
    assert [line[:3] for line in plain["Content"].splitlines() if line[:1].isdigit()][:2] == ["1. ", "2. "]


def test_tencent_wecom_sample_url_check_and_message(vector_client):
    client = vector_client
    # Tencent's WXBizMsgCrypt sample: URL check, then a POST whose plaintext is "hello" from "mycreate".
    got = client.get("/wecom", query_string={
        "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589", "nonce": "263014780",
        "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="})
    assert got.status_code == 200 and got.get_data(as_text=True).isdigit()
    body = ("<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>"
            "<AgentID><![CDATA[218]]></AgentID></xml>")
    resp = client.post("/wecom", data=body, query_string={
        "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813", "nonce": "1372623149"})
    assert resp.status_code == 200
    doc = xmltodict.parse(resp.get_data())["xml"]
    assert doc["MsgSignature"] == sha1_signature(WECOM_TOKEN, doc["TimeStamp"], doc["Nonce"], doc["Encrypt"])
    plain = xmltodict.parse(WeComCrypto(WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID).decrypt_message(
        resp.get_data(), doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"]))["xml"]
    assert plain["ToUserName"] == "mycreate" and MENU_LINE in plain["Content"]


def test_wecom_bad_signature_and_wrong_corp(client, wecom):
    ok = wecom.send_text("zhangsan", "菜单")
    assert ok.status == 200 and MENU_LINE in ok.text
    resp = client.post("/wecom", data="<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>",
                       query_string={"msg_signature": "0" * 40, "timestamp": "1", "nonce": "2"})
    assert resp.status_code == 403
    other = WeComCrypto(WECOM_TOKEN, WECOM_AES_KEY, "wwOTHERCORP")
    enc = xmltodict.parse(other.encrypt_message(message_xml("u", {"MsgType": "text", "Content": "x", "MsgId": "1"}), "9", "10"))["xml"]
    resp = client.post("/wecom", data=f"<xml><Encrypt><![CDATA[{enc['Encrypt']}]]></Encrypt></xml>",
                       query_string={"msg_signature": enc["MsgSignature"], "timestamp": "10", "nonce": "9"})
    assert resp.status_code == 400


@pytest.mark.parametrize("tamper", ["signature", "msg_signature"])
def test_bad_signatures_are_refused_with_403(wechat, tamper):
    reply = wechat.post_xml(message_xml("o1", {"MsgType": "text", "Content": "hi", "MsgId": "1"}), tamper=tamper)
    assert reply.status == 403


def test_message_for_another_appid_is_400(client):
    peer = WeChatPeer(client, mode="safe", app_id="wxSOMEONEELSE00000")
    assert peer.send_text("o1", "hi").status == 400


@pytest.mark.parametrize("body", [
    "<xml><ToUserName>unclosed",
    "not xml at all",
    "<root><MsgType>text</MsgType></root>",
    "",
])
def test_malformed_xml_is_400(plain_client, body):
    plain = WeChatPeer(plain_client, mode="plain")
    assert plain.post_xml(body).status == 400


def test_doctype_and_entities_are_refused(client, plain_client):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>'
            '<MsgType>text</MsgType><Content>&lol2;</Content><MsgId>1</MsgId></xml>')
    assert WeChatPeer(plain_client, mode="plain").post_xml(bomb).status == 400
    # The same inside the ciphertext: refused after decryption too.
    assert WeChatPeer(client, mode="safe").post_xml(bomb).status == 400
    xxe = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>'
    assert WeChatPeer(plain_client, mode="plain").post_xml(xxe).status == 400


def test_body_over_one_mebibyte_is_413(client):
    ts, nonce = "1", "2"
    resp = client.post("/wechat", data=b"<xml>" + b"a" * (1024 * 1024 + 10) + b"</xml>",
                       query_string={"signature": sha1_signature(WECHAT_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce})
    assert resp.status_code == 413


@pytest.mark.parametrize("kind,extra", [
    ("voice", {"MediaId": "m", "Format": "amr"}),
    ("video", {"MediaId": "m", "ThumbMediaId": "t"}),
    ("link", {"Title": "t", "Description": "d", "Url": "http://x"}),
    ("file", {"Title": "a.pdf"}),
])
def test_unsupported_message_types_get_a_polite_text(wechat, kind, extra):
    reply = wechat.send("o_media", {"MsgType": kind, "MsgId": "77", **extra})
    assert reply.status == 200
    assert "暂不支持" in reply.text and "文字" in reply.text


def test_events_subscribe_click_and_silent_location(wechat):
    sub = wechat.send("o_new", {"MsgType": "event", "Event": "subscribe", "EventKey": ""}, created=1700000000)
    assert "欢迎" in sub.text and MENU_LINE in sub.text
    again = wechat.send("o_new", {"MsgType": "event", "Event": "subscribe", "EventKey": ""}, created=1700000000)
    assert again.text == sub.text
    click = wechat.send("o_new", {"MsgType": "event", "Event": "CLICK", "EventKey": "tip_submit"}, created=1700000001)
    assert click.status == 200 and click.text
    loc = wechat.send("o_new", {"MsgType": "event", "Event": "LOCATION", "Latitude": "28.6", "Longitude": "115.9",
                                "Precision": "30"}, created=1700000002)
    assert loc.status == 200 and loc.raw == b"success"


def test_reply_text_cannot_break_out_of_cdata():
    msg = parse_message(message_xml("o1", {"MsgType": "text", "Content": "x", "MsgId": "1"}))
    hostile = "名称]]><Content>伪造</Content><![CDATA["
    rendered = TextReply(message=msg, content=cdata_safe(hostile)).render()
    assert xmltodict.parse(rendered)["xml"]["Content"] == hostile


def test_no_request_yields_500(client):
    for method, path, kwargs in [
        ("post", "/wechat", {"data": "x"}),
        ("get", "/wecom", {"query_string": {"msg_signature": "a", "timestamp": "b", "nonce": "c", "echostr": "!!"}}),
        ("post", "/wecom", {"data": "<xml></xml>", "query_string": {"msg_signature": "a"}}),
        ("post", "/simulator/api/send", {"data": "not json"}),
        ("get", "/simulator/api/poll", {}),
        ("get", "/nowhere", {}),
    ]:
        resp = getattr(client, method)(path, **kwargs)
        assert resp.status_code < 500, (path, resp.status_code)
        assert b"Traceback" not in resp.get_data()


def test_voice_with_recognition_is_handled_as_its_text_and_says_what_was_heard(wechat):
    reply = wechat.send("o_voice", {"MsgType": "voice", "MsgId": "78", "MediaId": "m", "Format": "amr",
                                    "Recognition": "我要匿名举报"})
    assert reply.status == 200
    heard, _, rest = reply.text.partition("\n")
    assert heard == "（语音：我要匿名举报）"
    # The tip form was started, as the typed words would have started it.
    typed = wechat.send_text("o_typed", "我要匿名举报")
    assert rest == typed.text


def test_voice_without_recognition_asks_for_text(wechat):
    reply = wechat.send("o_voice2", {"MsgType": "voice", "MsgId": "79", "MediaId": "m", "Format": "amr",
                                     "Recognition": ""})
    assert "语音" in reply.text and "请发送文字" in reply.text and "（语音：" not in reply.text
