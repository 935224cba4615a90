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
from typing import Any

_CPUS = sorted(os.sched_getaffinity(0))

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
