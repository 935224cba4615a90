"""The WSGI app for a multi-process server, configured by HAZARDBOT_CONFIG:

    HAZARDBOT_CONFIG=/etc/hazardbot.toml gunicorn -w 4 -k gthread --threads 8 -b 0.0.0.0:8000 bot.wsgi:app

`hazardbot serve` is one process (waitress) and bound by one core. Web workers never run the reminder
scheduler: each would run every job once (APScheduler has no cross-process lock), so reminders come from
`hazardbot scheduler`, one process beside the workers, with `scheduler.embedded = false`.
"""
from __future__ import annotations

import logging
import sys

from storage.config import ConfigError, load_config

from .app import create_app, freeze_startup_objects
from .startup import StartupError, check_database, check_shared_state
from .startup import warnings as startup_warnings

try:
    config = load_config()
    check_shared_state(config)
    check_database(config.database.url)
    app = create_app(config)
except (ConfigError, StartupError) as exc:
    # One line for the operator instead of a traceback per worker; exit status 3 is gunicorn's "worker failed
    # to boot", which stops the whole server instead of restarting the worker forever.
    print(f"{'配置错误' if isinstance(exc, ConfigError) else '无法启动'}：{exc}", file=sys.stderr, flush=True)
    sys.exit(3)
freeze_startup_objects()
for line in startup_warnings(config):
    logging.getLogger(__name__).warning(line)
if config.scheduler.embedded:
    logging.getLogger(__name__).warning(
        "web workers send no reminders: set scheduler.embedded = false and run `hazardbot scheduler`")
