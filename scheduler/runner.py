"""APScheduler 3 wiring: three fixed jobs (sweep, deliver, purge) in a SQLAlchemy job store.

The jobs only sweep our own tables and the outbox, so each is idempotent: a second scheduler started by
mistake queues nothing twice (unique outbox keys) and sends nothing twice (rows are claimed before sending).
Job ids are fixed with replace_existing, so restarts do not pile up copies; missed runs coalesce into one.
"""
from __future__ import annotations

import logging
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.schedulers.base import BaseScheduler

from bot.services import Services

from .delivery import OutboxSender, channel_senders
from .outbox import purge
from .sweep import run_sweep

log = logging.getLogger(__name__)

# The job store pickles references to module-level callables; they find the running services here.
# This is the scheduler's equivalent of app.extensions: set once by build_scheduler, read by the jobs.
_running: dict[str, Any] = {}


def sweep_job() -> None:
    services: Services = _running["services"]
    with services.sessions.begin() as session:
        result = run_sweep(session, services.config, services.clock())
    if result.queued or result.dropped:
        log.info("sweep queued %d reminders, dropped %d too late", result.queued, result.dropped)


def deliver_job() -> None:
    sender: OutboxSender = _running["sender"]
    result = sender.deliver_pending()
    if result.sent or result.failed or result.unsure:
        log.info("delivered %d, failed %d, deferred %d, unsure %d", result.sent, result.failed, result.deferred,
                 result.unsure)


def purge_job() -> None:
    services: Services = _running["services"]
    with services.sessions.begin() as session:
        removed = purge(session, services.clock(), services.config.scheduler.outbox_keep_days)
    if removed:
        log.info("purged %d settled pushes", removed)


def stop_delivering() -> None:
    """Let the push in hand finish and send no more, before the scheduler shuts down."""
    sender: OutboxSender | None = _running.get("sender")
    if sender is not None:
        sender.stop()


def build_scheduler(services: Services, *, blocking: bool = False) -> BaseScheduler:
    cfg = services.config.scheduler
    if services.config.logging.level.upper() != "DEBUG":
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every run of every job at INFO
    _running["services"] = services
    _running["sender"] = OutboxSender(services.sessions, channel_senders(services.config, services.redis),
                                      services.config, services.clock)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": SQLAlchemyJobStore(engine=services.engine, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=services.tz,
    )
    scheduler.add_job(sweep_job, "interval", minutes=cfg.sweep_minutes, id="sweep", replace_existing=True,
                      next_run_time=services.clock())
    scheduler.add_job(deliver_job, "interval", seconds=cfg.deliver_seconds, id="deliver", replace_existing=True)
    # Daily, at an hour nobody works; a missed run (the app was down) runs at the next start.
    scheduler.add_job(purge_job, "cron", hour=4, minute=17, id="purge", replace_existing=True)
    return scheduler
