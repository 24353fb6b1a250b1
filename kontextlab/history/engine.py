"""Engines for the history store, and the tables of this version on a new or older database.

SQLite by default (WAL, busy timeout, `BEGIN IMMEDIATE` for writes so that several threads and
processes can write); PostgreSQL or anything else by URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kontextlab.history.schema import jobs, metadata

# The execution option that makes a SQLite transaction begin IMMEDIATE (take the write lock).
WRITE_OPTION = "kontextlab_write"


def normalize_url(url: str) -> str:
    """Let people paste a plain `postgresql://` URL: the installed driver is psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    parsed = sa.make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True, pool_recycle=1800)


def is_memory(url: sa.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_engine(url: sa.URL) -> Engine:
    memory = is_memory(url)
    if not memory and url.database:  # not in memory: a file name (the test narrows it)
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=sa.StaticPool if memory else None,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Driver-level autocommit, so that the "begin" hook below decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes can fail at once with SQLITE_BUSY
        # instead of waiting; writers take the lock up front.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction (on SQLite, one that holds the write lock)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


def prepare(engine: Engine) -> None:
    """The tables, indexes and columns of this version, whatever version made the database."""
    try:
        _prepare(engine)
    except sa.exc.DBAPIError:
        # Another process created them between the check and the CREATE.
        _prepare(engine)


def _prepare(engine: Engine) -> None:
    metadata.create_all(engine)
    # create_all skips the indexes and columns of tables that already exist.
    for index in jobs.indexes:
        index.create(engine, checkfirst=True)
    add_missing_columns(engine)


def add_missing_columns(engine: Engine) -> list[str]:
    """ALTER TABLE … ADD COLUMN for each column of this version a table lacks; returns them
    as "table.column". Safe when several processes start at once: the columns are looked up
    again under the write lock (SQLite), or added IF NOT EXISTS (PostgreSQL)."""
    with engine.connect() as conn:
        if not _missing(conn):
            return []
    with writing(engine) as conn:
        missing = _missing(conn)
        for table, column in missing:
            conn.execute(sa.text(_add_column(conn.dialect, table, column)))
    return [f"{table.name}.{column.name}" for table, column in missing]


def _missing(conn: Connection) -> list[tuple[sa.Table, sa.Column[Any]]]:
    inspector = sa.inspect(conn)
    found: list[tuple[sa.Table, sa.Column[Any]]] = []
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        found += [(table, c) for c in table.columns if c.name not in present]
    return found


def _add_column(dialect: sa.Dialect, table: sa.Table, column: sa.Column[Any]) -> str:
    definition = sa.schema.CreateColumn(column).compile(dialect=dialect)
    name = dialect.identifier_preparer.format_table(table)
    guard = "IF NOT EXISTS " if dialect.name == "postgresql" else ""
    return f"ALTER TABLE {name} ADD COLUMN {guard}{definition}"
