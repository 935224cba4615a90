"""WeChat's 5-second limit and its retries: ack with "success", push the answer, never run twice."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from bot.app import create_app
from bot.services import build_services
from storage.models import Outbox, ProcessedMessage
from conftest import make_config
from wechat_peer import WeChatPeer


def slow_app(tmp_path, clock, recognizer, delay: float, timeout: float):
    from storage.db import migrate

    config = make_config(tmp_path, server={"reply_timeout": timeout})
    migrate(config.database.url)
    app = create_app(services=build_services(config, clock=clock, nlu=recognizer))
    engine = app.extensions["hazardbot"].engine
    calls = {"n": 0}
    real = engine._dispatch

    def slow_dispatch(*args):
        calls["n"] += 1
        time.sleep(delay)
        return real(*args)

    engine._dispatch = slow_dispatch
    app.extensions["hazardbot"].pushes.kick = lambda: None  # no real WeChat API here; we read the outbox
    return app, calls


def test_slow_answer_is_acked_then_pushed_once(tmp_path, clock, recognizer):
    app, calls = slow_app(tmp_path, clock, recognizer, delay=0.6, timeout=0.2)
    peer = WeChatPeer(app.test_client())
    first = peer.send_text("o_slow", "你好", msg_id=4242)
    assert first.status == 200 and first.raw == b"success"
    time.sleep(0.8)
    sessions = app.extensions["hazardbot"].services.sessions
    with sessions() as s:
        pushed = s.scalars(select(Outbox)).all()
    assert [(p.recipient, "1. 匿名举报安全隐患" in p.text) for p in pushed] == [("o_slow", True)]
    # A late retry of the same message is answered without running it again or pushing twice.
    retry = peer.send_text("o_slow", "你好", msg_id=4242)
    assert retry.raw == b"success"
    assert calls["n"] == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


def test_retries_during_processing_wait_for_the_same_run(tmp_path, clock, recognizer):
    app, calls = slow_app(tmp_path, clock, recognizer, delay=0.5, timeout=2.0)
    peer = WeChatPeer(app.test_client())
    results = []
    threads = [threading.Thread(target=lambda: results.append(peer.send_text("o_r", "菜单", msg_id=99)))
               for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    texts = [r.text for r in results]
    # Every callback (WeChat shows only the one it still waits for) carries the same reply from one run.
    assert len(texts) == 3 and len(set(texts)) == 1 and "帮助" in texts[0]
    assert calls["n"] == 1
    with app.extensions["hazardbot"].services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedMessage)) == 1
        assert s.scalar(select(func.count()).select_from(Outbox)) == 0


def test_an_engine_faster_than_the_callback_registration_does_not_deadlock():
    """An engine that finishes before the request starts waiting: the answer is passive, never pushed."""
    from datetime import datetime, timezone

    from bot.channels.common import Responder
    from handlers.messages import TEXT, Incoming

    pushed = []
    responder = Responder(lambda m: [f"re:{m.msg_key}"], lambda m, t: pushed.append(t), timeout=4.0)
    results = []
    worker = threading.Thread(target=lambda: results.extend(
        responder.respond(Incoming("sim", "u", str(i), TEXT, datetime.now(timezone.utc), text="a"))
        for i in range(500)))
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "respond() deadlocked"
    assert results == [[f"re:{i}"] for i in range(500)] and pushed == []
    responder.shutdown()


def test_a_worker_that_exits_finishes_the_messages_its_engine_holds(monkeypatch, tmp_path):
    """gunicorn's worker_exit hook drains the engine: a job already answered "success" still completes."""
    from datetime import datetime, timezone
    from types import SimpleNamespace

    # The settings module names a metrics directory when none is set; keep that out of this test process.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    from bot import gunicorn_conf
    from bot.channels.common import Responder
    from handlers.messages import TEXT, Incoming

    done, pushed = [], []

    def slow(msg):
        time.sleep(0.4)
        done.append(msg.msg_key)
        return [f"re:{msg.msg_key}"]

    responder = Responder(slow, lambda m, t: pushed.append(t), timeout=0.05)
    assert responder.respond(Incoming("sim", "u", "m1", TEXT, datetime.now(timezone.utc), text="a")) is None
    from bot.app import HazardBot

    stopped = []
    pushes = SimpleNamespace(stop=lambda: stopped.append(list(pushed)))
    hb = HazardBot(services=None, engine=None, responder=responder, pushes=pushes)  # type: ignore[arg-type]
    gunicorn_conf.worker_exit(None, SimpleNamespace(wsgi=SimpleNamespace(extensions={"hazardbot": hb})))
    assert done == ["m1"] and pushed == [["re:m1"]]
    assert stopped == [[["re:m1"]]]  # the push sender stops after the late answer was handed to it


def test_serve_stopping_finishes_the_message_in_hand(tmp_path, monkeypatch):
    """`hazardbot serve` stopped (Ctrl+C, SIGTERM) while the engine still works on a message answered
    "success": the answer is still queued for its push, not lost with the process."""
    import waitress.server

    from bot.cli import main
    from bot.engine import Engine
    from conftest import free_port
    from wechat_peer import AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN

    db = tmp_path / "s.db"
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{db}"\n[server]\ninstance_dir = "{tmp_path}"\n'
                   f'reply_timeout = 0.1\npublic_url = "https://bot.example.cn"\n[scheduler]\nembedded = false\n'
                   f'[wechat]\ntoken = "{WECHAT_TOKEN}"\napp_id = "{WECHAT_APP_ID}"\napp_secret = "s"\n'
                   f'encoding_aes_key = "{AES_KEY}"\n')
    real = Engine._dispatch

    def slow_dispatch(self, *args):
        time.sleep(0.6)
        return real(self, *args)

    monkeypatch.setattr(Engine, "_dispatch", slow_dispatch)
    answered = []

    class Server:
        """The server's last moments: a message arrives, then the stop signal (run returns, as waitress's
        does on KeyboardInterrupt)."""

        def __init__(self, app) -> None:
            self.app = app

        def run(self) -> None:
            self.app.extensions["hazardbot"].pushes.kick = lambda: None  # no WeChat API here
            answered.append(WeChatPeer(self.app.test_client()).send_text("o_late", "菜单", msg_id=777).raw)

        def close(self) -> None:
            return None

    monkeypatch.setattr(waitress.server, "create_server", lambda app, **kw: Server(app))
    assert main(["--config", str(cfg), "serve", "--port", str(free_port())]) == 0
    assert answered == [b"success"]  # the engine was still working when the server stopped
    from sqlalchemy import create_engine

    with create_engine(f"sqlite:///{db}").connect() as conn:
        rows = conn.execute(select(Outbox.recipient, Outbox.text)).all()
    assert [(r, "帮助" in t) for r, t in rows] == [("o_late", True)]
