"""Engine and session factory; Alembic migrations applied by `hazardbot init`."""
from __future__ import annotations

import logging
import re
import threading
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from .writer_queue import queued_connection_factory, writer_queue_for

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for the lock before it fails
log = logging.getLogger(__name__)


def make_engine(url: str, *, echo: bool = False, background_checkpoints: bool = False,
                connect_timeout: int = 2) -> Engine:
    """background_checkpoints: on SQLite, writers never checkpoint the WAL themselves (see WalCheckpointer).

    hide_parameters: a failed statement's exception (which is logged) never carries its values, which can
    be what someone typed into a tip, next to their openid.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args: dict[str, object] = {"timeout": BUSY_TIMEOUT, "check_same_thread": False}
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            connect_args["factory"] = queued_connection_factory(writer_queue_for(parsed.database, BUSY_TIMEOUT))
        engine = create_engine(url, echo=echo, connect_args=connect_args, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets the web simulator read while the webhook writes; FKs are off by default in SQLite.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # A deleted row is overwritten with zeros, not left in a free page for a copy of the file to show.
            cur.execute("PRAGMA secure_delete=ON")
            if background_checkpoints:
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        return engine
    # No pre-ping: it was one more round trip on every checkout. A connection the server dropped fails its
    # first statement instead; SQLAlchemy (and storage.prepared for the hot statements) then replaces every
    # pooled connection made before it, and the message engine retries the message once.
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, hide_parameters=True,
                         connect_args={"connect_timeout": connect_timeout})


class WalCheckpointer:
    """Checkpoints a SQLite WAL from a background thread, once a second.

    By default the commit that grows the WAL past 1000 pages copies it into the database and syncs the
    file, 15 ms and more on a shared disk, while every other writer queues behind it: the slowest one
    percent of webhook answers was mostly that. A PASSIVE checkpoint waits for no reader or writer. The
    thread holds the engine weakly and ends with it, or at stop().

    After an anonymous tip's turn, truncate_soon(): the next round copies the whole WAL back and truncates
    the file to nothing (TRUNCATE waits for readers, so only then), so no copy of the instance directory
    finds the pages that turn wrote or freed.
    """

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        self._engine = weakref.ref(engine)
        self._interval = interval
        self._stopped = threading.Event()
        self._truncate = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def truncate_soon(self) -> None:
        self._truncate.set()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            engine = self._engine()
            if engine is None:
                return
            try:
                with engine.connect() as conn:
                    if self._truncate.is_set():
                        self._truncate.clear()
                        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                        if busy is not None and busy[0]:
                            self._truncate.set()  # a reader held on: next round
                    else:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a locked or vanished database: the next round tries again
                log.debug("WAL checkpoint failed", exc_info=True)
            del engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config as AlembicConfig  # imported when migrating: commands start faster

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w.-]+|None)['\"]?", re.MULTILINE)


def head_revisions() -> set[str]:
    """The newest revision(s) of our migrations, read from the files' own `revision =` lines: what Alembic
    would compute, without loading Alembic and importing every migration (a few hundred milliseconds)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((name, value) for name, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision", "None"))
    return revisions - parents


def ensure_schema(url: str) -> None:
    """Migrate unless the database is already at the newest revision (one cheap read when it is)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # no alembic_version yet: a new database
        current = set()
    finally:
        engine.dispose()
    if not current or current != head_revisions():
        migrate(url)


def migrate(url: str) -> None:
    """Create or upgrade the schema to the newest revision; running it again changes nothing."""
    from alembic import command

    make_engine(url).dispose()  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), "head")
