"""Core statements compiled once for one database and run straight on the DBAPI cursor.

For the few statements every incoming message runs (read its dedup record, sender and conversation;
write the conversation; record the reply) SQLAlchemy's per-execution bookkeeping cost several times
what SQLite takes to run them. A Prepared statement keeps what SQLAlchemy works out (the SQL text in
the driver's parameter style, each parameter's and column's type conversion) and skips the rest. It
runs inside the caller's transaction: the cursor is that connection's.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
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
        columns = getattr(statement, "selected_columns", None)
        if columns is None:  # an INSERT … RETURNING
            columns = getattr(statement, "_returning", ()) or ()
        self._results: list[Processor] = [
            col.type.dialect_impl(dialect).result_processor(dialect, None) for col in columns]

    def execute(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Run it on `conn`'s DBAPI connection, in its transaction; returns the DBAPI cursor."""
        values = {}
        for name, proc in self._binds.items():
            value = params[name]
            values[name] = proc(value) if proc is not None and value is not None else value
        args: Any = values if self._order is None else [values[name] for name in self._order]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, args)
        except self._errors as exc:
            cursor.close()
            # The same exception classes as any other statement (IntegrityError …), without the values:
            # they may hold what someone typed, and exceptions end up in logs.
            raise DBAPIError.instance(self.sql, None, exc, self._errors, hide_parameters=True,
                                      dialect=self._dialect) from exc
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
