"""Only authentic messages: with an EncodingAESKey only the ciphertext (checked by msg_signature) is believed;
signed timestamps outside the window are refused; a captured signed URL cannot carry another body (in 明文 mode
the replay record refuses it, in 安全 mode the ciphertext's signature); WeChat's own retry of the identical
request still gets its stored reply."""
from __future__ import annotations

import time

from sqlalchemy import select

from conftest import free_port
from storage.models import Person, Tip, TipMessage, Unit
from wechat_peer import WECHAT_TOKEN, WeChatPeer, message_xml, sha1_signature


def staff_and_a_tip(services) -> None:
    with services.sessions.begin() as s:
        unit = Unit(name="应急管理局", kind="department")
        s.add(unit)
        s.flush()
        s.add(Person(channel="wechat", external_id="o_staff", role="staff", unit_id=unit.id))
        s.add(Tip(number="JB-202606-0001", receipt_hash="h", what="锅炉房压力表坏了还在烧", unit_id=unit.id,
                  received_on="2026-06-10"))


def test_a_captured_url_without_its_ciphertext_cannot_speak_as_staff(client, services):
    staff_and_a_tip(services)
    ts, nonce = str(int(time.time())), "8675309"
    # The attacker keeps the URL's `signature` (it covers token, timestamp and nonce only), drops encrypt_type
    # and msg_signature, and posts a plaintext body in the staff member's name.
    forged = message_xml("o_staff", {"MsgType": "text", "Content": "举报详情 JB-202606-0001", "MsgId": "1"})
    resp = client.post("/wechat", data=forged.encode(), content_type="text/xml",
                       query_string={"signature": sha1_signature(WECHAT_TOKEN, ts, nonce), "timestamp": ts,
                                     "nonce": nonce})
    assert resp.status_code == 403
    assert "锅炉房".encode() not in resp.get_data()
    # …and cannot post a question to the tipster either.
    forged = message_xml("o_staff", {"MsgType": "text", "Content": "提问 JB-202606-0001 你是谁", "MsgId": "2"})
    resp = client.post("/wechat", data=forged.encode(), content_type="text/xml",
                       query_string={"signature": sha1_signature(WECHAT_TOKEN, ts, nonce + "1"), "timestamp": ts,
                                     "nonce": nonce + "1", "encrypt_type": "raw"})
    assert resp.status_code == 403
    with services.sessions() as s:
        assert s.scalars(select(TipMessage)).all() == []


def test_signed_timestamps_outside_the_window_are_refused(client):
    peer = WeChatPeer(client, mode="safe")
    xml = message_xml("o_u", {"MsgType": "text", "Content": "你好", "MsgId": "3"})
    for timestamp in ("0", "1577836800", str(int(time.time()) + 3600)):  # 1970, 2020, an hour ahead
        assert peer.post_xml(xml, timestamp=timestamp).status == 403, timestamp
    assert peer.post_xml(xml, timestamp=str(int(time.time()) - 200)).status == 200


def test_a_captured_signed_url_cannot_carry_another_encrypted_body(client):
    """In 安全 mode a captured callback URL (signature, msg_signature) with another ciphertext is refused: the
    msg_signature covers the ciphertext, which is why no replay record is needed there."""
    ts, nonce = str(int(time.time())), "42424242"
    peer = WeChatPeer(client, mode="safe")

    def request(content: str, msg_id: str) -> tuple[dict[str, str], str]:
        return peer.signed_request(message_xml("o_u", {"MsgType": "text", "Content": content, "MsgId": msg_id}),
                                   timestamp=ts, nonce=nonce)

    captured, first = request("你好", "10")
    assert peer.post_request(captured, first).status == 200
    _, other = request("解绑", "11")  # encrypted with the real key, but not what the captured URL signed
    assert peer.post_request(captured, other).status == 403


def test_wechats_own_retry_of_the_identical_request_gets_the_same_reply(client):
    """The same bytes, URL and all, as WeChat resends them when the first answer was late."""
    peer = WeChatPeer(client, mode="safe")
    query, body = peer.signed_request(message_xml("o_retry", {"MsgType": "text", "Content": "你好", "MsgId": "20"}))
    one, two = peer.post_request(query, body), peer.post_request(query, body)
    assert one.status == two.status == 200
    assert one.text == two.text != ""


def test_plain_mode_refuses_a_replayed_signature_with_another_body(plain_client):
    peer = WeChatPeer(plain_client, mode="plain")
    ts, nonce = str(int(time.time())), "1010101"
    assert peer.post_xml(message_xml("o_p", {"MsgType": "text", "Content": "你好", "MsgId": "30"}),
                         timestamp=ts, nonce=nonce).status == 200
    forged = message_xml("o_staff", {"MsgType": "text", "Content": "待处理举报", "MsgId": "31"})
    assert peer.post_xml(forged, timestamp=ts, nonce=nonce).status == 403


def test_serve_warns_that_plain_mode_lets_anyone_speak_as_anyone(tmp_path, capsys, monkeypatch):
    import waitress.server

    from bot.cli import main

    class Server:
        def run(self) -> None:
            return None

        def close(self) -> None:
            return None

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "s.db"}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   'public_url = "https://aq.example.gov.cn"\n[scheduler]\nembedded = false\n'
                   '[wechat]\ntoken = "t0ken"\n')
    monkeypatch.setattr(waitress.server, "create_server", lambda *a, **kw: Server())
    assert main(["--config", str(cfg), "serve", "--port", str(free_port())]) == 0  # 8080 may be in use
    assert "明文模式" in capsys.readouterr().err


def test_the_replay_record_forgets_what_left_the_window_and_stays_bounded():
    from storage.replay import MemoryReplayGuard

    now = [0.0]
    guard = MemoryReplayGuard(limit=100, clock=lambda: now[0])
    assert guard.seen("k", "body-a", 600) == "new"
    assert guard.seen("k", "body-a", 600) == "same"  # WeChat's retry
    assert guard.seen("k", "body-b", 600) == "other"  # a replay with another body
    now[0] = 601.0
    assert guard.seen("k", "body-b", 600) == "new"  # out of the window: the timestamp check refuses it anyway
    for i in range(1000):
        guard.seen(f"k{i}", "x", 600)
    assert len(guard) <= 100


def test_several_workers_without_redis_refuse_to_start(tmp_path):
    """Each gunicorn worker would keep its own tip drafts: a tip would lose its draft on the next worker."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "w.db"}"\n[server]\ninstance_dir = "{tmp_path}"\n')
    done = subprocess.run([sys.executable, "-c", "import bot.wsgi"], cwd=Path(__file__).resolve().parent.parent,
                          env={**os.environ, "HAZARDBOT_CONFIG": str(cfg)}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 3
    assert "Redis" in done.stderr and "Traceback" not in done.stderr
