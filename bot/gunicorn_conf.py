"""gunicorn settings for the webhook workers:

    HAZARDBOT_CONFIG=/etc/hazardbot.toml gunicorn -c python:bot.gunicorn_conf -b 0.0.0.0:8080 bot.wsgi:app

One worker per core, each pinned to its own core. A message is parsed in one of the worker's request
threads and handled in one of its engine threads (bot.channels.common.Responder); left to the kernel,
the two often run on different cores and the handler starts with cold caches. Served side by side with
the same workers unpinned, pinned ones answered 1068 instead of 760 and 1268 instead of 1027 messages a
second (two runs of the webhook benchmark's load; README, Benchmarks). Command-line flags override these.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any

_CPUS = sorted(os.sched_getaffinity(0))

# /metrics adds up every worker's values (prometheus_client's multiprocess mode): each worker writes its own
# files here. Set before any worker imports the app. Given by the environment (docs/deploying.md: the
# scheduler's unit names the same directory), else a fresh one for this server. Files of processes that
# ended stay: their counts stay in the totals, so counters never go backwards (we export no gauges from
# processes; the outbox's depth is read from the database).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hazardbot-metrics-")

workers = len(_CPUS)
worker_class = "gthread"
# Request threads wait while the engine answers (up to server.reply_timeout), so a worker acknowledges
# as many slow messages at once as it has threads.
threads = 8


def pre_fork(server: Any, worker: Any) -> None:
    """Give the new worker the core fewest live workers hold (a restarted worker takes its old one)."""
    taken = [getattr(w, "cpu", None) for w in server.WORKERS.values()]
    worker.cpu = min(_CPUS, key=taken.count)


def post_fork(server: Any, worker: Any) -> None:
    os.sched_setaffinity(0, {worker.cpu})


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server: Any, worker: Any) -> None:
    """Let the engine finish what it has in hand before the worker goes (a restart, max_requests, a deploy): a
    message answered "success" and still being handled would otherwise be lost with the process."""
    app = getattr(worker, "wsgi", None)
    hb = getattr(app, "extensions", {}).get("hazardbot")
    if hb is not None:
        hb.stop()
