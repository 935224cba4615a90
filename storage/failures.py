"""How a failure reaches the log: what went wrong and where, never a stored value; and a database outage as
one line a minute instead of one per message.

A database error's message can quote what was stored or sent — PostgreSQL's "DETAIL: Key (…)=(…)", its
error context, a driver's "invalid input syntax for type double precision: …" — and in the middle of a tip
that is what someone typed. So a database error is logged as its class and SQLSTATE, with the traceback's
frames (code, not data); other errors keep their message unless they happened in a private turn.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)
SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_READONLY")


def is_database_error(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) or type(exc).__module__.split(".")[0] in ("psycopg", "sqlite3")


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached (down, restarting, refusing connections, pool exhausted) — as opposed
    to a statement it refused."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    sqlite_error = getattr(getattr(exc, "orig", None), "sqlite_errorname", None)
    if sqlite_error is not None:  # a file that cannot be opened, read or written, or is held too long
        return str(sqlite_error).startswith(SQLITE_OUTAGES)
    if isinstance(exc, OperationalError | InterfaceError):
        code = sqlstate(exc)
        # Class 08 is "connection exception", 57P0x "operator intervention" (shutdown, crash); no SQLSTATE at
        # all is a connection that never got that far.
        return code is None or code.startswith("08") or code.startswith("57P")
    return False


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def summary(exc: BaseException, *, private: bool = False) -> str:
    """One exception for the log: its type, SQLSTATE for a database error, the message only when it cannot
    carry someone's words, and where it was raised."""
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    kind = type(exc).__name__ + (f" ({type(orig).__name__})" if orig is not None else "")
    if is_database_error(exc):
        code = sqlstate(exc)
        head = f"{kind}{f' SQLSTATE {code}' if code else ''} (message withheld: it may quote stored values)"
    elif private:
        head = f"{kind} (message withheld: a private message)"
    else:
        head = f"{kind}: {exc}"
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{head}\nTraceback (most recent call last):\n{frames}".rstrip()


class Outage:
    """Counts messages the database could not take. The first failure is logged at once, then one line a
    minute with the count, and one when it is back; between probes (one a second) messages are answered
    without waiting on a database that is not there."""

    def __init__(self, *, every: float = 60.0, probe: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 logger: logging.Logger = log) -> None:
        self._every, self._probe, self._clock, self._log = every, probe, clock, logger
        self._lock = threading.Lock()
        self._since: float | None = None  # when the outage began
        self._logged_at = 0.0
        self._unlogged = 0  # failures since the last line
        self._total = 0
        self._next_probe = 0.0

    @property
    def down(self) -> bool:
        return self._since is not None

    def skip(self) -> bool:
        """True while the database is known to be down and it is not yet time to try it again. A skipped
        message is counted as failed."""
        with self._lock:
            if self._since is None:
                return False
            now = self._clock()
            if now >= self._next_probe:
                self._next_probe = now + self._probe
                return False
            self._count(now, "")
            return True

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            now = self._clock()
            if self._since is None:
                self._since, self._logged_at, self._unlogged, self._total = now, now, 0, 1
                self._next_probe = now + self._probe
                self._log.error("database unavailable: %s; answering 系统维护中 until it is back",
                                summary(exc).splitlines()[0])
                return
            self._next_probe = now + self._probe
            self._count(now, summary(exc).splitlines()[0])

    def _count(self, now: float, reason: str) -> None:
        self._unlogged += 1
        self._total += 1
        if now - self._logged_at >= self._every:
            began = self._since if self._since is not None else now
            self._log.error("database still unavailable after %.0f s: %d messages in the last %.0f s%s",
                            now - began, self._unlogged, now - self._logged_at,
                            f"; last error {reason}" if reason else "")
            self._logged_at, self._unlogged = now, 0

    def recovered(self) -> None:
        if self._since is None:  # the common case, without the lock
            return
        with self._lock:
            if self._since is None:
                return
            self._log.warning("database available again after %.0f s; %d messages were answered 系统维护中",
                              self._clock() - self._since, self._total)
            self._since = None
