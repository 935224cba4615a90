"""The WSGI app for a multi-process server, configured by HAZARDBOT_CONFIG:

    HAZARDBOT_CONFIG=/etc/hazardbot.toml gunicorn -w 4 -k gthread --threads 8 -b 0.0.0.0:8000 bot.wsgi:app

`hazardbot serve` is one process (waitress) and bound by one core. Web workers never run the reminder
scheduler: each would run every job once (APScheduler has no cross-process lock), so reminders come from
`hazardbot scheduler`, one process beside the workers, with `scheduler.embedded = false`.
"""
from __future__ import annotations

import logging

from storage.config import load_config

from .app import create_app, freeze_startup_objects

config = load_config()
app = create_app(config)
freeze_startup_objects()
if config.scheduler.embedded:
    logging.getLogger(__name__).warning(
        "web workers send no reminders: set scheduler.embedded = false and run `hazardbot scheduler`")
