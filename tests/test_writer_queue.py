"""SQLite writers of several threads and processes take turns instead of failing or sleeping."""
from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import make_engine
from storage.writer_queue import queued_connection_factory, writer_queue_for

WRITES = 200


def _connect(db: Path, queued: bool, timeout: float = 5.0) -> sqlite3.Connection:
    # timeout=0: SQLite's busy handler is off, so any writer that finds the lock taken fails at once.
    factory = queued_connection_factory(writer_queue_for(str(db), timeout)) if queued else sqlite3.Connection
    conn = sqlite3.connect(db, timeout=0, factory=factory, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def _writer(db: str, queued: bool, tag: str, errors: list[str]) -> None:
    conn = _connect(Path(db), queued)
    for i in range(WRITES):
        try:
            row = conn.execute("INSERT INTO t (who, n) VALUES (?, ?)", (tag, i)).lastrowid
            conn.execute("UPDATE t SET n = n + 1 WHERE rowid = ?", (row,))
            conn.commit()
        except sqlite3.OperationalError as exc:
            errors.append(str(exc))
            conn.rollback()
    conn.close()


def _process_writer(db: str, queued: bool, tag: str, out: "multiprocessing.Queue[int]") -> None:
    errors: list[str] = []
    threads = [threading.Thread(target=_writer, args=(db, queued, f"{tag}{k}", errors)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(len(errors))


def _run_processes(db: Path, queued: bool) -> int:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_process_writer, args=(str(db), queued, f"p{n}", out)) for n in range(2)]
    for p in procs:
        p.start()
    failures = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    return failures


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (who TEXT, n INTEGER)")
    return path


def test_writers_of_two_processes_and_threads_take_turns(db: Path) -> None:
    # Control: the same load without the queue collides (this is what SQLite's busy handler sleeps on).
    assert _run_processes(db, queued=False) > 0
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM t")
    assert _run_processes(db, queued=True) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), sum(n) FROM t").fetchone() == (4 * WRITES, 4 * WRITES * (WRITES + 1) // 2)


def test_a_transaction_left_open_fails_other_writers_after_the_timeout_instead_of_hanging(db: Path) -> None:
    holder = _connect(db, queued=True, timeout=0.3)
    holder.execute("INSERT INTO t VALUES ('holder', 1)")  # and never commits
    other = _connect(db, queued=True, timeout=0.3)
    failed: list[BaseException] = []

    def write() -> None:
        try:
            other.execute("INSERT INTO t VALUES ('other', 1)")
        except sqlite3.OperationalError as exc:
            failed.append(exc)

    t = threading.Thread(target=write)
    started = time.monotonic()
    t.start()
    t.join(timeout=10)
    assert not t.is_alive() and failed and "locked" in str(failed[0])
    assert time.monotonic() - started < 5
    holder.rollback()  # the ticket comes back with the transaction's end
    other.execute("INSERT INTO t VALUES ('other', 2)")
    other.commit()


def test_another_process_holding_the_lock_too_long_is_an_error_not_a_hang(db: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(db), ready, release))
    proc.start()
    try:
        assert ready.wait(60)
        conn = _connect(db, queued=True, timeout=0.3)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            conn.execute("INSERT INTO t VALUES ('late', 1)")
        conn.rollback()
    finally:
        release.set()
        proc.join(timeout=30)
    conn.execute("INSERT INTO t VALUES ('late', 2)")
    conn.commit()


def _hold(db: str, ready, release) -> None:  # type: ignore[no-untyped-def]
    conn = _connect(Path(db), queued=True)
    conn.execute("INSERT INTO t VALUES ('held', 1)")
    ready.set()
    release.wait(60)
    conn.commit()


def test_a_forked_child_does_not_inherit_the_parents_ticket(db: Path) -> None:
    # gunicorn forks its workers; a ticket some thread of the parent holds at that moment stays the parent's.
    queue = writer_queue_for(str(db), timeout=10)
    holder = queue.acquire()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_child_takes_turn, args=(queue, out))
    child.start()
    time.sleep(0.3)
    assert out.empty()  # the child waits for the parent, as another process must
    queue.release(holder)
    assert out.get(timeout=30) == "ok"
    child.join(timeout=30)


def _child_takes_turn(queue, out) -> None:  # type: ignore[no-untyped-def]
    try:
        queue.release(queue.acquire())
        out.put("ok")
    except sqlite3.OperationalError as exc:
        out.put(str(exc))


def test_errors_of_statements_do_not_carry_what_was_typed(tmp_path: Path) -> None:
    """Exceptions end up in logs; the values bound to a failed statement may be someone's tip."""
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE u (k TEXT PRIMARY KEY)"))
        conn.execute(text("INSERT INTO u VALUES (:k)"), {"k": "化工厂夜里偷排废气"})
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO u VALUES (:k)"), {"k": "化工厂夜里偷排废气"})
    assert "偷排" not in str(caught.value)
    engine.dispose()
