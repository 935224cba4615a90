"""Every documented WeChat message and event type, and the malformed ones seen in the trials, through /wechat
in 安全 mode (tests/corpus/wechat_messages.json): each is answered as it should be, none crashes, and nothing
not a sender is taken for one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from wechat_peer import WeChatPeer

CORPUS = json.loads((Path(__file__).parent / "corpus" / "wechat_messages.json").read_text(encoding="utf-8"))


def xml_of(user: str, fields: dict[str, str]) -> str:
    created = fields.pop("CreateTime", "1700000000")
    inner = "".join(f"<{k}>{v}</{k}>" if k in ("MsgId", "MsgID") else f"<{k}><![CDATA[{v}]]></{k}>"
                    for k, v in fields.items())
    return (f"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime>{inner}</xml>")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_message_type_is_answered(client, name):
    case = CORPUS[name]
    reply = WeChatPeer(client, mode="safe").post_xml(xml_of(f"o_{name}", dict(case["fields"])))
    assert reply.status == case["status"]
    if case["reply"] == "success":
        assert reply.raw == b"success"
    else:
        assert case["reply"] in reply.text, reply.text


@pytest.mark.parametrize("user", ["<a>o_x</a>", "", "o x", "o_x'; DROP TABLE people;--", "😀"])
def test_what_is_not_a_sender_is_refused(client, user):
    body = ("<xml><ToUserName>gh</ToUserName><FromUserName>" + user + "</FromUserName><CreateTime>1</CreateTime>"
            "<MsgType>text</MsgType><Content>菜单</Content><MsgId>7</MsgId></xml>")
    assert WeChatPeer(client, mode="safe").post_xml(body).status == 400


def test_a_location_without_valid_coordinates_is_not_kept_in_a_tip(client, services):
    peer = WeChatPeer(client, mode="safe")
    peer.send_text("o_tip", "我要举报")
    peer.send_text("o_tip", "仓库里堆满了液化气罐")
    bad = peer.post_xml(xml_of("o_tip", {"MsgType": "location", "Location_X": "NaN", "Location_Y": "inf",
                                         "Scale": "1", "Label": "x", "MsgId": "9001"}))
    assert "坐标无效" in bad.text
    assert "（2/" in peer.send_text("o_tip", "进度").text  # still asking where: nothing was recorded
