"""Reminder sweep and delivery at campaign scale.

Loads 100 000 enterprises (each with a bound head), 1 000 000 hazards and 300 000 self-check runs into a fresh
PostgreSQL database (the same generator as bench/queries.py), then:
- times the sweep on a day when self-check, deadline, overdue and report reminders all fall due (target < 10 s),
  and a second sweep of the same day (which must queue nothing);
- times delivery of the queued reminders to a fake WeChat API on loopback, against the same number of bare
  HTTP posts to that server (the baseline), and prints messages/s for both and the ratio.

    python bench/reminders.py [--scale 1.0] [--deliver 3000]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from sqlalchemy import func, select, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from storage.config import parse_config  # noqa: E402
from fake_wechat_api import FakeWeChatAPI  # noqa: E402
from queries import fresh_pg, generate  # noqa: E402
from bot.channels.registry import ChannelRegistry
from scheduler.delivery import OutboxSender  # noqa: E402
from scheduler.sweep import run_sweep  # noqa: E402
from storage.db import make_engine, make_session_factory, migrate  # noqa: E402
from storage.models import Outbox  # noqa: E402

SH = timezone(timedelta(hours=8))


def main() -> int:
    ap = argparse.ArgumentParser(description="reminder sweep and delivery at campaign scale")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--deliver", type=int, default=3000, help="reminders to deliver in the delivery run")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    n_ent, n_haz, n_run = int(100_000 * args.scale), int(1_000_000 * args.scale), int(300_000 * args.scale)
    url = fresh_pg(args.pg_url, "hazardbot_bench_reminders")
    migrate(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    generate(engine, n_ent, n_haz, n_run)
    with engine.begin() as conn:  # a bound head for every enterprise, staff for every unit
        conn.execute(text("INSERT INTO people (channel, external_id, role, enterprise_id, bound_at) "
                          "SELECT 'wechat', 'o_' || id, 'enterprise_head', id, now() FROM enterprises"))
        conn.execute(text("INSERT INTO people (channel, external_id, role, unit_id, bound_at) "
                          "SELECT 'wecom', 'staff_' || id, 'staff', id, now() FROM units"))
        conn.execute(text("ANALYZE"))
    print(f"loaded {n_ent} enterprises and heads, {n_haz} hazards, {n_run} runs in {time.perf_counter() - t0:.0f} s")

    with FakeWeChatAPI() as api:
        config = parse_config({"wechat": {"token": "t", "app_id": "wxB", "app_secret": "s", "api_base_url": api.base_url},
                               "wecom": {"corp_id": "ww", "agent_id": "1", "secret": "s", "token": "t",
                                         "api_base_url": api.base_url},
                               "scheduler": {"per_minute": 100000}})
        now = datetime(2026, 6, 23, 10, tzinfo=SH).astimezone(timezone.utc)  # 7 days before June ends
        sessions = make_session_factory(engine)
        t0 = time.perf_counter()
        with sessions.begin() as s:
            first = run_sweep(s, config, now)
        sweep_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with sessions.begin() as s:
            second = run_sweep(s, config, now)
        again_s = time.perf_counter() - t0
        print(f"sweep: {first.queued} queued, {first.dropped} dropped (missed yesterday) in {sweep_s:.1f} s "
              f"— target < 10 s: {'met' if sweep_s < 10 else 'NOT met'}")
        print(f"second sweep of the same day: {second.queued} queued, {second.already} already there, {again_s:.1f} s")

        with sessions.begin() as s:  # deliver a slice; park the rest
            keep = select(Outbox.id).where(Outbox.status == "pending").order_by(Outbox.id).limit(args.deliver)
            s.execute(update(Outbox).where(Outbox.status == "pending", Outbox.id.not_in(keep)).values(status="parked"))
            s.execute(text("UPDATE people SET last_inbound_at = now()"))  # inside the 48-hour window
            pending = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "pending"))
        sender = OutboxSender(sessions, ChannelRegistry(config).senders(), config, lambda: now)
        t0 = time.perf_counter()
        while sender.deliver_pending(limit=500).sent:
            pass
        deliver_s = time.perf_counter() - t0
        http = requests.Session()
        t0 = time.perf_counter()
        for i in range(pending):
            http.post(api.base_url + "message/custom/send?access_token=x",
                      json={"touser": f"o_{i}", "msgtype": "text", "text": {"content": "x"}})
        bare_s = time.perf_counter() - t0
        print(f"delivery: {pending} reminders in {deliver_s:.1f} s = {pending / deliver_s:.0f} msg/s; "
              f"bare HTTP posts to the same server: {pending / bare_s:.0f} msg/s; ratio {bare_s / deliver_s:.0%}")
        with Session(engine) as s:
            sent = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "sent"))
        print(f"sent {sent}, API received {sum(1 for c in api.sent if 'custom/send' in c['path'] or c['path'].endswith('/message/send')) - pending}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
