"""Prometheus metrics at /metrics, and the hooks that count them.

Under gunicorn every worker is its own process: prometheus_client's multiprocess mode keeps each process's
values in files under PROMETHEUS_MULTIPROC_DIR (bot/gunicorn_conf.py sets one up when the environment does
not), and /metrics on any worker adds them all up. The scheduler process writes there too when it is given
the same directory (docs/deploying.md), so its deliveries show on the same page. The outbox's depth is read
from the database when scraped, not counted: it is the same for every process.

Labels never carry a person: channel, message type, intent, how a reply went, WeChat's error code.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select

from storage.models import Outbox

MESSAGES = Counter("hazardbot_messages", "Messages handled by the engine", ["channel", "type", "intent"])
ENGINE_ERRORS = Counter("hazardbot_engine_errors", "Messages the engine failed on (answered with an apology)",
                        ["channel"])
REPLY_SECONDS = Histogram("hazardbot_reply_seconds", "From the webhook's request to its answer", ["channel"],
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0))
REPLIES = Counter("hazardbot_replies", "How answers went out: passive (in the webhook's answer) or pushed "
                  "(after WeChat's 5 seconds, through the outbox)", ["channel", "how"])
DELIVERY_SECONDS = Histogram("hazardbot_delivery_seconds", "One push's API call", ["channel", "how"],
                             buckets=(0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0))
DELIVERY_FAILURES = Counter("hazardbot_delivery_failures", "Pushes the API refused or could not be reached for, "
                            "by WeChat's error code", ["channel", "code", "permanent"])
TOKEN_REFRESHES = Counter("hazardbot_token_refreshes", "Access tokens fetched from WeChat (each invalidates the "
                          "previous one after a few minutes)", ["account"])

bp = Blueprint("metrics", __name__)


def message(channel: str, kind: str, intent: str) -> None:
    MESSAGES.labels(channel, kind, intent or "none").inc()


def engine_error(channel: str) -> None:
    ENGINE_ERRORS.labels(channel).inc()


def reply(channel: str, seconds: float, passive: bool) -> None:
    REPLY_SECONDS.labels(channel).observe(seconds)
    REPLIES.labels(channel, "passive" if passive else "pushed").inc()


def token_refresh(account: str) -> None:
    TOKEN_REFRESHES.labels(account).inc()


class DeliveryMetrics:
    """The scheduler's scheduler.delivery.DeliveryObserver."""

    def sent(self, channel: str, how: str, seconds: float) -> None:
        DELIVERY_SECONDS.labels(channel, how).observe(seconds)

    def refused(self, channel: str, code: str, permanent: bool) -> None:
        DELIVERY_FAILURES.labels(channel, code, "true" if permanent else "false").inc()


class OutboxDepth(Collector):
    """hazardbot_outbox_rows{status}: read from the database at each scrape."""

    def __init__(self, sessions: Any) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("hazardbot_outbox_rows", "Outbox rows by status", labels=["status"])
        with self._sessions() as session:
            for status, count in session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)):
                family.add_metric([status], count)
        yield family


def _registry(sessions: Any) -> CollectorRegistry:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    registry.register(OutboxDepth(sessions))
    return registry


class _Default(Collector):
    """This process's own metrics (no multiprocess directory: `hazardbot serve`, tests)."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


@bp.get("/metrics")
def metrics() -> Response:
    hb = current_app.extensions["hazardbot"]
    registry = current_app.extensions.get("hazardbot.metrics")
    if registry is None:
        registry = current_app.extensions["hazardbot.metrics"] = _registry(hb.services.sessions)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
