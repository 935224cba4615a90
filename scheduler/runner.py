"""APScheduler 3 wiring: a few fixed interval jobs (sweep, deliver, housekeeping) bound to one process.

The jobs only sweep our own tables and the outbox, so each is idempotent: a second scheduler started by
mistake queues nothing twice (unique outbox keys) and sends nothing twice (rows are claimed before sending).
Their state is in our tables, not in the scheduler: the job store is in memory, the jobs are re-created at
every start (fixed ids), and each runs once at start-up so nothing waits for an interval after a restart.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from storage.config import Config
from storage.housekeeping import housekeeping
from storage.ratelimit import RateLimiter

from .delivery import DeliveryObserver, OutboxSender, PushChannel
from .sweep import run_sweep

log = logging.getLogger(__name__)

# Housekeeping runs this often, so every retention limit in storage.housekeeping holds within these minutes.
HOUSEKEEPING_MINUTES = 5


class JobServices(Protocol):
    """What the jobs need of the process's services."""

    config: Config
    sessions: sessionmaker[Session]
    tz: ZoneInfo
    clock: Callable[[], datetime]
    limiter: RateLimiter  # in Redis when configured: the recipients' push counters are shared by all senders


class Jobs:
    """The scheduler's jobs for one process: plain bound methods, nothing pickled."""

    def __init__(self, services: JobServices, senders: Mapping[str, PushChannel],
                 observer: DeliveryObserver | None = None) -> None:
        self.services = services
        self.sender = OutboxSender(services.sessions, senders, services.config, services.clock,
                                   concurrency=services.config.scheduler.concurrency, limiter=services.limiter,
                                   observer=observer)

    def sweep(self) -> None:
        services = self.services
        with services.sessions.begin() as session:
            result = run_sweep(session, services.config, services.clock())
        if result.queued or result.dropped:
            log.info("sweep queued %d reminders, dropped %d too late", result.queued, result.dropped)

    def deliver(self) -> None:
        result = self.sender.deliver_pending()
        if result.sent or result.failed or result.unsure:
            log.info("delivered %d, failed %d, deferred %d, unsure %d", result.sent, result.failed, result.deferred,
                     result.unsure)

    def housekeeping(self) -> None:
        services = self.services
        with services.sessions.begin() as session:
            swept = housekeeping(session, services.clock(), services.config.scheduler.outbox_keep_days)
        if swept.settled_pushes or swept.late_replies:
            log.info("housekeeping: %d settled pushes, %d undeliverable late replies deleted", swept.settled_pushes,
                     swept.late_replies)

    def stop_delivering(self) -> None:
        """Let the push in hand finish and send no more, before the scheduler shuts down."""
        self.sender.stop()


def build_scheduler(jobs: Jobs, *, blocking: bool = False) -> BaseScheduler:
    services = jobs.services
    cfg = services.config.scheduler
    if services.config.logging.level.upper() != "DEBUG":
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every run of every job at INFO
        # A deliver run now sends until the outbox is empty, often longer than its interval: that the next run
        # was skipped meanwhile ("maximum number of running instances reached") is normal, not a warning.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
                    timezone=services.tz)
    now = services.clock()
    scheduler.add_job(jobs.sweep, "interval", minutes=cfg.sweep_minutes, id="sweep", next_run_time=now)
    scheduler.add_job(jobs.deliver, "interval", seconds=cfg.deliver_seconds, id="deliver")
    scheduler.add_job(jobs.housekeeping, "interval", minutes=HOUSEKEEPING_MINUTES, id="housekeeping",
                      next_run_time=now)
    return scheduler
