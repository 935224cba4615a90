"""SQLite writers queue for the write lock instead of sleeping in SQLite's busy handler.

SQLite lets one connection write at a time. A writer that finds the lock taken retries in SQLite's busy
handler, which sleeps 1, 2, 5, 10 … 100 ms between tries: under load from several threads or several
gunicorn workers most of a message's time went to those sleeps, and the tail to the longest of them.
Here a connection takes a queue ticket just before the statement that opens its write transaction and
gives it back when the transaction ends: a writer of the same process is woken the moment the lock is
free, one of another process within a fraction of a millisecond (flock cannot time out, so it polls).
Reads never queue: WAL lets them run beside the writer.

The ticket is a thread lock (this process) and an flock on a file beside the database (other processes:
web workers, the scheduler, the command line). Writers that do not use these connections, such as the
sqlite3 shell, still coordinate through SQLite's own locking, so nothing here is needed for correctness.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any

# Statements after which pysqlite opens a transaction (or that open one themselves), i.e. that take
# SQLite's write lock; SQLAlchemy writes them with the verb first.
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "SAVEPOINT")
_POLL_START, _POLL_MAX = 0.0001, 0.002


class WriterQueue:
    """One writer at a time for one database file, across the threads and processes that use it.

    A thread may hold tickets of several connections (nested sessions): the queue is reentrant per thread,
    and the nested connection then waits in SQLite's busy handler as it would without the queue.
    """

    def __init__(self, database: str, timeout: float) -> None:
        self._path = f"{database}-writers.lock"
        self._timeout = timeout
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._fd = -1
        self._open()
        me = weakref.ref(self)
        # A forked child must not share the parent's open file (the flock belongs to it) or its lock state.
        os.register_at_fork(after_in_child=lambda: _reopen(me()))

    def acquire(self) -> int:
        """Wait for the ticket; returns the holder's id for release()."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return me
        if not self._lock.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked (waited for the writer queue)")
        try:
            self._lock_file()
        except BaseException:
            self._lock.release()
            raise
        self._owner, self._depth = me, 1
        return me

    def release(self, holder: int) -> None:
        """Give back a ticket; the pool may end a transaction in another thread than the one that began it."""
        if self._owner != holder:
            return
        self._depth -= 1
        if self._depth:
            return
        self._owner = None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()

    def _lock_file(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        # Another process writes. flock cannot time out, so poll in short steps: a writer holds the lock
        # for a fraction of a millisecond, and a forgotten transaction must end in an error, not a hang.
        deadline = time.monotonic() + self._timeout
        pause = _POLL_START
        while True:
            time.sleep(pause)
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError(
                        "database is locked (another process holds the writer queue)") from None
                pause = min(pause * 2, _POLL_MAX)

    def _open(self) -> None:
        self._lock = threading.Lock()
        self._owner = None
        self._depth = 0
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        weakref.finalize(self, os.close, self._fd)


def _reopen(queue: WriterQueue | None) -> None:
    if queue is not None:
        queue._open()


def queued_connection_factory(queue: WriterQueue) -> type[sqlite3.Connection]:
    """A sqlite3.Connection class whose write transactions take a ticket from `queue`."""

    class QueuedCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = ()) -> QueuedCursor:
            self.connection._before(sql)  # type: ignore[attr-defined]
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq: Any) -> QueuedCursor:
            self.connection._before(sql)  # type: ignore[attr-defined]
            return super().executemany(sql, seq)

    class QueuedConnection(sqlite3.Connection):
        _holder: int | None = None

        def _before(self, sql: str) -> None:
            if self._holder is None and not self.in_transaction and sql.lstrip()[:9].upper().startswith(_WRITE_VERBS):
                self._holder = queue.acquire()

        def _done(self) -> None:
            if not self.in_transaction:
                self._give_back()

        def _give_back(self) -> None:
            if self._holder is not None:
                holder, self._holder = self._holder, None
                queue.release(holder)

        def cursor(self, factory: Any = QueuedCursor) -> Any:
            return super().cursor(factory)

        def execute(self, sql: str, parameters: Any = ()) -> Any:
            return self.cursor().execute(sql, parameters)

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._done()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._done()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._give_back()  # closing ends (rolls back) any open transaction

    return QueuedConnection


def writer_queue_for(database: str, timeout: float) -> WriterQueue:
    return WriterQueue(str(Path(database).resolve()), timeout)
