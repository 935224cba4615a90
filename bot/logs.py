"""Log lines as text (the default) or one JSON object a line (`logging.format = "json"`), for collectors.

Nothing personal goes in either way: the app logs the kind and channel of a message, never its text nor the
sender's openid; failed statements carry no values (hide_parameters) and database errors no message
(storage.failures). The JSON line holds the time, level,
logger, the message and, for errors, the exception's type and traceback.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from storage.config import Config
from storage.failures import is_database_error, summary

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "msg": record.getMessage(), "pid": record.process}
        if record.exc_info:
            line["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class WithholdDatabaseErrors(logging.Filter):
    """Our own code logs failures through storage.failures.summary; this catches the libraries' (APScheduler's
    job errors, the connection pool's, the WSGI server's): a database error in a record loses its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_database_error(exc):
            record.msg = f"{record.getMessage()}: {summary(exc)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(config: Config) -> None:
    level = config.logging.level.upper()
    if config.logging.format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=level, format=TEXT_FORMAT)
    for each in logging.getLogger().handlers:
        if not any(isinstance(f, WithholdDatabaseErrors) for f in each.filters):
            each.addFilter(WithholdDatabaseErrors())
