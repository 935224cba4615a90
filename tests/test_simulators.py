"""The web and terminal simulators go through the same engine as WeChat."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from bot.channels.terminal import run_chat


def test_web_simulator_page_and_chat(client):
    page = client.get("/simulator")
    assert page.status_code == 200 and "隐患排查整治助手" in page.get_data(as_text=True)
    resp = client.post("/simulator/api/send", json={"user": "web1", "text": "菜单"})
    assert resp.status_code == 200 and "1. 匿名举报安全隐患" in resp.get_json()["replies"][0]
    photo = client.post("/simulator/api/send", json={"user": "web1", "text": "/图片"})
    assert "收到图片" in photo.get_json()["replies"][0]
    bad_loc = client.post("/simulator/api/send", json={"user": "web1", "text": "/位置 北纬"})
    assert "用法" in bad_loc.get_json()["replies"][0]


def test_web_simulator_rejects_bad_requests_with_a_reason(client):
    assert "JSON" in client.post("/simulator/api/send", data="x").get_json()["error"]
    assert client.post("/simulator/api/send", json={"user": "", "text": "hi"}).status_code == 400
    assert client.post("/simulator/api/send", json={"user": "u", "text": "  "}).status_code == 400
    assert client.post("/simulator/api/send", json={"user": "u", "text": "x" * 3000}).status_code == 400


def test_web_simulator_collects_pushes(client, app):
    from bot.engine import Outcome
    from handlers.messages import TEXT, Incoming

    hb = app.extensions["hazardbot"]
    hb.push(Incoming(channel="sim", user_id="web2", msg_key="k", kind=TEXT, created_at=hb.services.clock()),
            Outcome(["稍后的回复"]))
    assert client.get("/simulator/api/poll?user=web2").get_json()["replies"] == ["稍后的回复"]
    assert client.get("/simulator/api/poll?user=web2").get_json()["replies"] == []


def test_simulator_can_be_turned_off(tmp_path, clock, recognizer):
    from bot.app import create_app
    from bot.services import build_services
    from conftest import make_config
    from storage.db import migrate

    config = make_config(tmp_path, server={"simulator": False})
    migrate(config.database.url)
    app = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    assert app.test_client().get("/simulator").status_code == 404


def test_terminal_chat_transcript(services):
    out = io.StringIO()
    run_chat(services, "term1", io.StringIO("菜单\n\n/位置 28.6 115.9 青山湖\n/退出\n不会被读到\n"), out)
    text = out.getvalue()
    assert "我> 菜单" in text and "1. 匿名举报安全隐患" in text and "收到位置" in text
    assert "不会被读到" not in text


def test_cli_chat_runs_from_a_clean_directory_on_defaults(tmp_path):
    """`hazardbot chat` on the built-in defaults creates its SQLite file and answers."""
    exe = Path(sys.executable).with_name("hazardbot")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(cmd + ["chat", "--user", "cli1"], input="帮助\n", capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr
    assert "1. 匿名举报安全隐患" in proc.stdout
    assert (tmp_path / "instance" / "hazardbot.sqlite3").exists()
