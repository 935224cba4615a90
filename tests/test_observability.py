"""/metrics and /healthz: what an operator watches."""
from __future__ import annotations

from wechat_peer import WeChatPeer


def test_metrics_count_messages_replies_and_the_outbox(client, services):
    peer = WeChatPeer(client)
    assert "邀请码" in peer.send_text("o_metrics", "绑定").text
    body = client.get("/metrics").get_data(as_text=True)
    assert 'hazardbot_messages_total{channel="wechat",intent="bind",type="text"}' in body
    assert 'hazardbot_replies_total{channel="wechat",how="passive"}' in body
    assert "hazardbot_reply_seconds_bucket" in body
    assert "hazardbot_outbox_rows" in body
    assert "o_metrics" not in body  # labels never name a person


def test_healthz_says_which_dependency_is_down(client, services, monkeypatch):
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.get_data(as_text=True).startswith("ok\ndatabase: ok")

    class DeadRedis:
        def ping(self) -> None:
            raise ConnectionError("refused")

    monkeypatch.setattr(services, "redis", DeadRedis())
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.get_data(as_text=True) == "database: ok\nredis: down (ConnectionError)\n"


def test_json_log_lines_are_one_object_each():
    import json
    import logging

    from bot.logs import JsonFormatter

    record = logging.LogRecord("bot.engine", logging.ERROR, __file__, 1, "engine failed on a %s message from channel %s",
                               ("text", "wechat"), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "engine failed on a text message from channel wechat" and line["level"] == "ERROR"
