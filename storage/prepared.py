"""Core statements compiled once for one database and run straight on the DBAPI cursor.

For the few statements every incoming message runs (read its dedup record, sender and conversation;
write the conversation; record the reply) SQLAlchemy's per-execution bookkeeping cost several times
what SQLite takes to run them. A Prepared statement keeps what SQLAlchemy works out (the SQL text in
the driver's parameter style, each parameter's and column's type conversion) and skips the rest. It
runs inside the caller's transaction: the cursor is that connection's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


class Prepared:
    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)  # an SQLCompiler: binds, positiontup
        self.sql = compiled.string
        self._dialect = dialect
        self._errors = dialect.loaded_dbapi.Error
        binds = compiled.binds
        # The driver's order of parameters (qmark/format) or None (named/pyformat: a dict).
        self._order: Sequence[str] | None = compiled.positiontup if compiled.positional else None
        self._binds: dict[str, Processor] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in binds.items()}
        # Values the statement carries itself (a literal 1, version + 1): used unless the caller names them.
        self._fixed: dict[str, Any] = {name: bind.effective_value for name, bind in binds.items()
                                       if not bind.required and bind.value is not None}
        columns = getattr(statement, "selected_columns", None)
        if columns is None:  # an INSERT … RETURNING
            columns = getattr(statement, "_returning", ()) or ()
        self._results: list[Processor] = [
            col.type.dialect_impl(dialect).result_processor(dialect, None) for col in columns]

    def execute(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Run it on `conn`'s DBAPI connection, in its transaction; returns the DBAPI cursor."""
        values = {}
        for name, proc in self._binds.items():
            value = params[name] if name in params else self._fixed[name]
            values[name] = proc(value) if proc is not None and value is not None else value
        args: Any = values if self._order is None else [values[name] for name in self._order]
        dbapi_conn: Any = conn.connection.dbapi_connection
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(self.sql, args)
        except self._errors as exc:
            gone = self._dialect.is_disconnect(exc, dbapi_conn, cursor)
            cursor.close()
            if gone:
                # As SQLAlchemy does for its own statements: this connection, and every pooled one made before
                # it (a database restart took them all), are replaced on their next checkout. With no
                # pre-ping on checkout, the engine retries the message once on a fresh connection.
                conn.engine.pool._invalidate(conn.connection, exc)
                conn.invalidate(exc)
            # The same exception classes as any other statement (IntegrityError …), without the values:
            # they may hold what someone typed, and exceptions end up in logs.
            raise DBAPIError.instance(self.sql, None, exc, self._errors, hide_parameters=True,
                                      connection_invalidated=gone, dialect=self._dialect) from exc
        return cursor

    def one(self, conn: Connection, params: dict[str, Any]) -> tuple[Any, ...]:
        cursor = self.execute(conn, params)
        row = cursor.fetchone()
        cursor.close()
        if row is None:
            raise LookupError("statement returned no row")
        return tuple(proc(v) if proc is not None else v for proc, v in zip(self._results, row, strict=True))

    def rowcount(self, conn: Connection, params: dict[str, Any]) -> int:
        cursor = self.execute(conn, params)
        count = cursor.rowcount
        cursor.close()
        return count


@contextmanager
def without_begin(conn: Connection) -> Iterator[None]:
    """Run what follows as statements of their own (autocommit) when no transaction is open yet.

    psycopg opens a transaction with a BEGIN of its own, one more round trip before the first statement;
    a lone read or a lone write statement needs none. Inside a transaction already begun (a handler wrote
    through the message's connection) statements stay in it. SQLite's driver opens its transactions only
    at the first write and costs no round trip, so there this changes nothing.
    """
    dbapi_conn: Any = conn.connection.dbapi_connection
    pgconn = getattr(dbapi_conn, "pgconn", None)
    if pgconn is None or dbapi_conn.autocommit or pgconn.transaction_status != _IDLE:
        yield
        return
    dbapi_conn.autocommit = True
    try:
        yield
    finally:
        if not dbapi_conn.closed:
            dbapi_conn.autocommit = False


_IDLE = 0  # libpq's PQTRANS_IDLE: connected, no transaction open
