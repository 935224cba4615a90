"""The bot under gunicorn with several workers, as it is deployed: `gunicorn bot.wsgi:app`.

Real worker processes on loopback. A person's consecutive messages land on whichever worker the kernel
hands the connection to, so the conversation must live in the database (a tip's draft, in Redis); a retry of one message must bind
once wherever it lands; and no worker may run the reminder jobs (each would run every job once).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session

from storage.config import load_config
from bot.services import build_services
from storage.db import migrate
from storage.invites import create_invite
from storage.models import Outbox, Person, ProcessedMessage, Unit
from wechat_peer import AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN, WeChatPeer

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2


class _HttpClient:
    """What WeChatPeer needs of a Flask test client, over real HTTP; one connection per request, so
    that consecutive messages are spread over the workers."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, *, query_string: dict[str, str], data: bytes, content_type: str):  # type: ignore[no-untyped-def]
        resp = requests.post(self.base + path, params=query_string, data=data,
                             headers={"Content-Type": content_type, "Connection": "close"}, timeout=30)

        class _Resp:
            status_code = resp.status_code

            @staticmethod
            def get_data() -> bytes:
                return resp.content

        return _Resp()


@pytest.fixture
def workers(tmp_path: Path, redis_url: str, redis_prefix: str):  # type: ignore[no-untyped-def]
    db = tmp_path / "hb.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'''
[server]
instance_dir = "{tmp_path / 'instance'}"
simulator = false
[database]
url = "sqlite:///{db}"
[security]
secret_key = "workers-test"
[redis]
url = "{redis_url}"
prefix = "{redis_prefix}"
[wechat]
token = "{WECHAT_TOKEN}"
app_id = "{WECHAT_APP_ID}"
app_secret = "s"
encoding_aes_key = "{AES_KEY}"
''')  # scheduler.embedded left at its default (true): the workers must still not run it
    migrate(f"sqlite:///{db}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:bot.gunicorn_conf", "-w", str(WORKERS), "--threads", "4",
         "-b", f"127.0.0.1:{port}", "bot.wsgi:app"],
        cwd=ROOT, env={**os.environ, "HAZARDBOT_CONFIG": str(config)}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    booted = 0
    while booted < WORKERS and time.time() < deadline:  # every worker loads jieba before it answers
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
        booted = (tmp_path / "gunicorn.log").read_text().count("Booting worker")
        time.sleep(0.2)
    while time.time() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    time.sleep(2)  # the second worker's app is still loading when the first answers
    yield base, config, db, tmp_path / "gunicorn.log"
    proc.terminate()
    proc.wait(timeout=30)


def test_conversations_and_retries_hold_across_gunicorn_workers(workers):
    base, config, db, log = workers
    services = build_services(load_config(config))
    with services.sessions.begin() as s:
        unit = Unit(name="青山湖镇", kind="town")
        s.add(unit)
        s.flush()
        codes = [create_invite(s, services.secret, role="staff", unit=unit, now=services.clock(), ttl_days=7).code
                 for _ in range(6)]
    services.close()
    peer = WeChatPeer(_HttpClient(base))

    def bind(i: int) -> list[str]:
        user = f"o_worker_{i}"
        first = peer.send_text(user, "绑定").text
        # The code goes out once and comes back twice more, as WeChat retries a slow answer.
        retry = peer.send_text(user, codes[i], msg_id=90_000 + i).text
        again = [peer.send_text(user, codes[i], msg_id=90_000 + i).text for _ in range(2)]
        return [first, retry, *again]

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(bind, range(6)))
    for first, reply, *retries in answers:
        assert "邀请码" in first
        assert "绑定成功" in reply
        assert retries == [reply, reply]

    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 6
        assert s.scalar(select(func.count()).select_from(ProcessedMessage)) == 12
        assert s.scalar(select(func.count()).select_from(Outbox)) == 0
    # No worker started the scheduler: its job store was never even created.
    assert "apscheduler_jobs" not in inspect(engine).get_table_names()
    engine.dispose()
    assert "set scheduler.embedded = false" in log.read_text()


def test_workers_are_spread_over_the_cores_and_a_restarted_one_takes_the_free_core():
    from types import SimpleNamespace

    from bot import gunicorn_conf

    cpus = sorted(os.sched_getaffinity(0))
    server = SimpleNamespace(WORKERS={})
    for pid in range(len(cpus)):
        worker = SimpleNamespace()
        gunicorn_conf.pre_fork(server, worker)
        server.WORKERS[pid] = worker
    assert sorted(w.cpu for w in server.WORKERS.values()) == cpus
    lost = server.WORKERS.pop(0).cpu  # a worker died; its replacement gets its core back
    again = SimpleNamespace()
    gunicorn_conf.pre_fork(server, again)
    assert again.cpu == lost
