"""Reminder sweep and delivery at campaign scale.

Loads 100 000 enterprises (each with a bound head), 1 000 000 hazards and 300 000 self-check runs into a fresh
PostgreSQL database (the same generator as bench/queries.py), then:
- times the sweep on a day when self-check, deadline, overdue and report reminders all fall due (target < 10 s),
  and a second sweep of the same day (which must queue nothing);
- times delivery of the queued reminders to a fake WeChat API on loopback, against the same number of bare
  HTTP posts to that server (the baseline), and prints messages/s for both and the ratio.

With --deliver N only delivery is measured: N pushes queued in a fresh database and sent to the fake API,
which takes --api-latency-ms to answer each send (WeChat's take 50-200 ms), by one sender process and then by
--processes of them at once, in interleaved rounds (medians printed):

    python bench/reminders.py [--scale 1.0]
    python bench/reminders.py --deliver 4000 --api-latency-ms 100 [--processes 2] [--rounds 3]
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
from bot.channels.registry import ChannelRegistry  # noqa: E402
from scheduler.delivery import OutboxSender  # noqa: E402
from scheduler.sweep import run_sweep  # noqa: E402
from storage.db import make_engine, make_session_factory, migrate  # noqa: E402
from storage.models import Outbox  # noqa: E402

SH = timezone(timedelta(hours=8))


def _sender_process(url: str, base_url: str, concurrency: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """One scheduler process's sender: its own engine, API client and pool of push threads."""
    engine = make_engine(url)
    config = _delivery_config(base_url, concurrency)
    senders = ChannelRegistry(config).senders()
    sender = OutboxSender(make_session_factory(engine), senders, config, lambda: datetime.now(timezone.utc),
                          concurrency=concurrency)
    for channel in senders.values():
        channel.prepare()  # the access token, outside the timing
    barrier.wait()
    t0 = time.time()
    done = sender.deliver_pending()
    results.put((t0, time.time(), done.sent))
    engine.dispose()


def _delivery_config(base_url: str, concurrency: int):  # type: ignore[no-untyped-def]
    # per_minute high: this measures the sender, not WeChat's quotas (the defaults pace to those). No quiet
    # hours: the queued pushes are reminders, which would otherwise wait whenever the benchmark runs at night.
    return parse_config({"wechat": {"token": "t", "app_id": "wxB", "app_secret": "s", "api_base_url": base_url},
                         "security": {"secret_key": "bench"},
                         "scheduler": {"per_minute": 1_000_000, "concurrency": concurrency,
                                       "quiet_start": "00:00", "quiet_end": "00:00"}})


def delivery_only(args: argparse.Namespace) -> int:
    import multiprocessing as mp
    import os
    import statistics

    url = fresh_pg(args.pg_url, f"hb_bench_delivery_{os.getpid()}")
    migrate(url)
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:  # N people who wrote within 48 hours: customer-service messages
        conn.execute(text("INSERT INTO people (channel, external_id, role, bound_at, last_inbound_at) "
                          "SELECT 'wechat', 'o_' || g, 'enterprise_head', now(), now() FROM generate_series(1, :n) g"),
                     {"n": args.deliver})
        conn.execute(text("INSERT INTO outbox (channel, recipient, text, rule, template, status, reply, attempts, "
                          "last_error, not_before, created_at) SELECT 'wechat', 'o_' || g, '【整改期限】提醒 ' || g, "
                          "'hazard_deadline', '{}', 'parked', false, 0, '', :now, :now FROM generate_series(1, :n) g"),
                     {"n": args.deliver, "now": now})
        conn.execute(text("ANALYZE"))
    ctx = mp.get_context("spawn")
    timings: dict[int, list[float]] = {}
    with FakeWeChatAPI() as api:
        api.latency = args.api_latency_ms / 1000
        for _ in range(args.rounds):
            for procs in sorted({1, args.processes}):
                with engine.begin() as conn:
                    conn.execute(text("UPDATE outbox SET status = 'pending', attempts = 0, sent_at = NULL, "
                                      "claimed_at = NULL, claimed_until = NULL, not_before = :now"),
                                 {"now": now - timedelta(minutes=1)})
                    conn.execute(text("ANALYZE outbox"))
                barrier, results = ctx.Barrier(procs), ctx.Queue()
                workers = [ctx.Process(target=_sender_process, args=(url, api.base_url, args.concurrency, barrier,
                                                                      results)) for _ in range(procs)]
                for w in workers:
                    w.start()
                got = [results.get(timeout=600) for _ in workers]
                for w in workers:
                    w.join(60)
                sent = sum(n for _, _, n in got)
                seconds = max(e for _, e, _ in got) - min(s for s, _, _ in got)
                with engine.connect() as conn:
                    settled = conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar_one()
                if settled != args.deliver:
                    raise SystemExit(f"{settled} of {args.deliver} pushes sent in a round with {procs} process(es)")
                timings.setdefault(procs, []).append(seconds)
                print(f"  round: {procs} process(es), {sent} pushes in {seconds:.2f} s")
        sends = sum(1 for c in api.sent if c["path"].endswith("custom/send"))
    expected = args.deliver * args.rounds * len(timings)
    if sends != expected:
        raise SystemExit(f"the API received {sends} sends, expected {expected}: a push went twice or never")
    rates = {}
    for procs, each in sorted(timings.items()):
        s = statistics.median(each)
        rates[procs] = args.deliver / s
        label = "" if procs == 1 else f" with {procs} scheduler processes"
        print(f"delivery: {args.deliver} pushes in {s:.1f} s = {rates[procs]:.0f} msg/s at {args.api_latency_ms} ms "
              f"API latency{label} (median of {len(each)}; rounds: {' '.join(f'{t:.1f}' for t in each)} s)")
    if args.processes > 1:
        print(f"{args.processes} processes: {rates[args.processes] / rates[1]:.2f}x one process's rate")
    print(f"target ≥ 200 msg/s per process: {'met' if rates[1] >= 200 else 'NOT met'}; every push sent exactly once "
          f"({sends} sends for {args.deliver} pushes x {args.rounds * len(timings)} rounds)")
    engine.dispose()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description="reminder sweep and delivery at campaign scale")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--deliver", type=int, help="delivery only: this many pushes (see the module's docstring)")
    ap.add_argument("--api-latency-ms", type=int, default=100, help="the fake API's answer time per send")
    ap.add_argument("--processes", type=int, default=2, help="scheduler processes in the second measurement")
    ap.add_argument("--concurrency", type=int, default=32, help="pushes in flight per process")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    if args.deliver:
        return delivery_only(args)
    args.deliver = 3000
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
        sender = OutboxSender(sessions, ChannelRegistry(config).senders(), config, lambda: now,
                              concurrency=args.concurrency)
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
