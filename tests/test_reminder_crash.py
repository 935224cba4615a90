"""The scheduler process killed in the middle of a delivery batch, then started again.

Real processes (`hazardbot scheduler`), a real database, WeChat's and WeCom's APIs faked on loopback over
HTTP. The fake API holds a chosen request open, so the kill lands exactly while a push is in WeChat's
hands: the hardest moment, when the sender cannot know whether it was delivered.
"""
from __future__ import annotations

import signal
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from fake_wechat_api import FakeWeChatAPI
from storage.outbox import enqueue
from storage.db import migrate
from storage.models import Outbox, Person

LEASE = 30  # the shortest lease the config accepts
WECHAT_ROWS, WECOM_ROWS = 24, 12


def write_config(path: Path, db_url: str, api: FakeWeChatAPI, redis_url: str = "", redis_prefix: str = "",
                 concurrency: int = 1) -> Path:
    path.write_text(f'''
[server]
instance_dir = "{path.parent / 'instance'}"
[database]
url = "{db_url}"
[redis]
url = "{redis_url}"
prefix = "{redis_prefix or 'hazardbot:'}"
[security]
secret_key = "crash-test"
[wechat]
app_id = "wx-crash"
app_secret = "s"
api_base_url = "{api.base_url}"
[wecom]
corp_id = "ww-crash"
agent_id = "1000002"
secret = "s"
api_base_url = "{api.base_url}"
[scheduler]
embedded = false
deliver_seconds = 1
sweep_minutes = 600
per_minute = 6000
concurrency = {concurrency}
quiet_start = "00:00"
quiet_end = "00:00"
lease_seconds = {LEASE}
''', encoding="utf-8")
    return path


# Every scheduler a test started, so that none outlives its test, whatever assertion failed.
_STARTED: list[Scheduler] = []


@pytest.fixture(autouse=True)
def reap_schedulers():  # type: ignore[no-untyped-def]
    yield
    while _STARTED:
        p = _STARTED.pop()
        if p.proc.poll() is None:
            p.proc.kill()
        p.proc.wait(10)
        if not p.log.closed:
            p.log.close()


class Scheduler:
    """`hazardbot scheduler` as its own process, as production runs it."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())", "--config", str(config),
             "scheduler"], stdout=self.log, stderr=subprocess.STDOUT)
        _STARTED.append(self)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self.log.close()
        return code


def seed(db_url: str) -> dict[str, int]:
    """Due reminders for WeChat and WeCom people, and an admin who hears about trouble."""
    migrate(db_url)
    engine = create_engine(db_url)
    now = datetime.now(timezone.utc)
    ids: dict[str, int] = {}
    with Session(engine) as s, s.begin():
        s.add(Person(channel="wecom", external_id="admin1", role="admin"))
        for i in range(WECHAT_ROWS + WECOM_ROWS):
            channel = "wechat" if i < WECHAT_ROWS else "wecom"
            who = f"o_{i}" if channel == "wechat" else f"u_{i}"
            s.add(Person(channel=channel, external_id=who, role="enterprise_head",
                         last_inbound_at=now - timedelta(hours=1)))  # within 48 h: customer-service message
            enqueue(s, channel=channel, recipient=who, text=f"整改期限提醒 #{i}", now=now, rule="hazard_deadline",
                    dedup_key=f"hazard_deadline:{i}:{now.date()}")
    with Session(engine) as s:
        ids = {row.text: row.id for row in s.scalars(select(Outbox))}
    engine.dispose()
    return ids


def statuses(db_url: str) -> dict[str, str]:
    engine = create_engine(db_url)
    with Session(engine) as s:
        out = {row.text: row.status for row in s.scalars(select(Outbox).where(Outbox.rule == "hazard_deadline"))}
    engine.dispose()
    return out


def wait_for(predicate, timeout: float, what: str, detail=None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f": {detail()}" if detail else ""))


class Hold:
    """Holds the n-th accepted send (or a token fetch) open until released."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, *_: object) -> None:
        self.arrived.set()
        self.release.wait(60)


def hold_send(api: FakeWeChatAPI, text: str) -> Hold:
    hold = Hold()

    def on_send(entry: dict) -> None:
        if entry["body"].get("text", {}).get("content") == text:
            hold()
    api.on_send = on_send
    hold.arrived.clear()
    return hold


def delivered(api: FakeWeChatAPI) -> dict[str, int]:
    counts: dict[str, int] = {}
    for text in api.texts():
        if text.startswith("整改期限提醒 #"):  # the seeded reminders, not what the sweep finds for today
            counts[text] = counts.get(text, 0) + 1
    return counts


def run_crashes(tmp_path: Path, db_url: str, api: FakeWeChatAPI, processes: int, redis_url: str = "",
                redis_prefix: str = "", concurrency: int = 1) -> None:
    """concurrency 1: exactly the push held by the fake API is in doubt. Above 1, every push a killed process
    had claimed and not yet recorded is in doubt too (it may have arrived): unsure, never resent, never lost."""
    config = write_config(tmp_path / "config.toml", db_url, api, redis_url, redis_prefix, concurrency)
    log = tmp_path / "scheduler.log"
    seed(db_url)
    wechat_victim, wecom_victim = "整改期限提醒 #7", f"整改期限提醒 #{WECHAT_ROWS + 3}"

    # 1. Killed while fetching its access token: nothing was claimed, nothing is in doubt.
    token_hold = Hold()
    api.on_token = token_hold
    first = Scheduler(config, log)
    assert token_hold.arrived.wait(60), log.read_text()
    first.kill()
    api.on_token = None
    token_hold.release.set()
    assert set(statuses(db_url).values()) == {"pending"}

    # 2. Killed while WeChat holds a customer-service message: the sender cannot know it arrived.
    hold = hold_send(api, wechat_victim)
    procs = [Scheduler(config, log) for _ in range(processes)]
    assert hold.arrived.wait(60), log.read_text()
    victim = next(p for p in procs if p.proc.poll() is None)
    if processes == 1:
        victim.kill()
    else:  # which process holds the row is unknown: kill them all but keep the database's word for it
        for p in procs:
            p.kill()
    hold.release.set()

    # 3. Started again, then killed while WeCom holds an app message.
    hold = hold_send(api, wecom_victim)
    second = Scheduler(config, log)
    assert hold.arrived.wait(60), log.read_text()
    second.kill()
    hold.release.set()
    api.on_send = None

    # 4. Started again (twice over on PostgreSQL): runs to the end once the leases of the dead have run out.
    survivors = [Scheduler(config, log) for _ in range(processes)]
    try:
        # Settled, and the admins told of every unsure push (with two processes, in one notice or two).
        wait_for(lambda: set(statuses(db_url).values()) <= {"sent", "unsure"}
                 and 0 < list(statuses(db_url).values()).count("unsure") <= unsure_told(api),
                 LEASE + 60, "every reminder settled and the admins told",
                 lambda: (sorted(set(statuses(db_url).items()), key=lambda kv: kv[1]), unsure_told(api),
                          log.read_text()[-3000:]))
    finally:
        for p in survivors:
            assert p.terminate() == 0

    counts = delivered(api)
    final = statuses(db_url)
    unsure = {text for text, status in final.items() if status == "unsure"}
    # The WeChat push that was in WeChat's hands arrived once and was not sent again: it is unsure, for
    # the admins to judge; every other reminder is plainly sent. With two processes killed at once, the
    # other one may have been in the middle of a push of its own: that one is unsure too, never resent.
    assert wechat_victim in unsure, (final, log.read_text()[-3000:])
    if processes == 1 and concurrency == 1:
        assert unsure == {wechat_victim}, (unsure, log.read_text()[-3000:])
    # At most what the killed processes could hold at once: two kills of WeChat pushes (steps 2 and 3).
    assert len(unsure) <= (processes + 1) * concurrency, (unsure, log.read_text()[-3000:])
    assert {status for text, status in final.items() if text not in unsure} == {"sent"}
    for i in range(WECHAT_ROWS + WECOM_ROWS):
        text = f"整改期限提醒 #{i}"
        assert counts.get(text, 0) <= 1, (i, counts, log.read_text())  # never twice
        assert counts.get(text) == 1 or text in unsure, (i, counts, log.read_text())  # never silently lost
    # The WeCom one was sent again, and WeCom's duplicate check dropped the copy.
    dropped = [e["body"]["text"]["content"] for e in api.dropped_duplicates]
    single = processes == 1 and concurrency == 1
    assert wecom_victim in dropped and (not single or dropped == [wecom_victim]), (dropped, log.read_text()[-3000:])
    notices = [t for t in api.texts() if "【推送异常】" in t]
    assert unsure_told(api) == len(unsure), (notices, unsure)
    assert len(notices) == 1 or not single, notices


def unsure_told(api) -> int:  # type: ignore[no-untyped-def]
    """How many unsure pushes the admins' notices so far name."""
    return sum(int(n) for t in api.texts() if "【推送异常】" in t for n in re.findall(r"(\d+) 条状态不明", t))


def test_killed_mid_batch_and_restarted_every_reminder_arrives_once(tmp_path):
    with FakeWeChatAPI() as api:
        run_crashes(tmp_path, f"sqlite:///{tmp_path / 'hb.sqlite3'}", api, processes=1)


def test_two_schedulers_on_postgresql_killed_and_restarted_send_each_once(tmp_path, pg_url, redis_url, redis_prefix):
    with FakeWeChatAPI() as api:
        run_crashes(tmp_path, pg_url, api, processes=2, redis_url=redis_url, redis_prefix=redis_prefix)


def test_sigterm_finishes_the_push_in_hand_and_leaves_nothing_unsure(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'hb.sqlite3'}"
    with FakeWeChatAPI() as api:
        config = write_config(tmp_path / "config.toml", db_url, api)
        log = tmp_path / "scheduler.log"
        seed(db_url)
        hold = hold_send(api, "整改期限提醒 #5")
        proc = Scheduler(config, log)
        assert hold.arrived.wait(60), log.read_text()
        proc.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        hold.release.set()  # WeChat answers after the stop was asked for
        assert proc.proc.wait(30) == 0, log.read_text()
        proc.log.close()
        api.on_send = None
        after_stop = statuses(db_url)
        assert after_stop["整改期限提醒 #5"] == "sent"
        assert "sending" not in after_stop.values()
        assert after_stop["整改期限提醒 #6"] == "pending"  # the batch stopped after the push in hand

        again = Scheduler(config, log)
        try:
            wait_for(lambda: set(statuses(db_url).values()) == {"sent"}, 60, "every reminder sent")
        finally:
            assert again.terminate() == 0
        assert all(n == 1 for n in delivered(api).values())
        assert len(delivered(api)) == WECHAT_ROWS + WECOM_ROWS
