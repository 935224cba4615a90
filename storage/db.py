"""Engine and session factory; Alembic migrations applied by `hazardbot init`."""
from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .writer_queue import queued_connection_factory, writer_queue_for

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for the lock before it fails
log = logging.getLogger(__name__)


def make_engine(url: str, *, echo: bool = False, background_checkpoints: bool = False) -> Engine:
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
            if background_checkpoints:
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


class WalCheckpointer:
    """Checkpoints a SQLite WAL from a background thread, once a second.

    By default the commit that grows the WAL past 1000 pages copies it into the database and syncs the
    file, 15 ms and more on a shared disk, while every other writer queues behind it: the slowest one
    percent of webhook answers was mostly that. A PASSIVE checkpoint waits for no reader or writer. The
    thread holds the engine weakly and ends with it, or at stop().
    """

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        self._engine = weakref.ref(engine)
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

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
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a locked or vanished database: the next round tries again
                log.debug("WAL checkpoint failed", exc_info=True)
            del engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Create or upgrade the schema to the newest revision; running it again changes nothing."""
    make_engine(url).dispose()  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), "head")
