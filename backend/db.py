"""The database: one engine per app, short-lived sessions, and schema migration through Alembic."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

import orjson
import psycopg
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from psycopg import sql
from psycopg.types.json import Json, Jsonb
from sqlalchemy import (
    Column,
    ColumnElement,
    Dialect,
    Engine,
    MetaData,
    Table,
    any_,
    cast,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker

from backend.errors import DatabaseUnavailable, SchemaNotReady

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CHUNK = 900  # ids per IN (...) list: below SQLite's and every driver's parameter limits
COPY_ROWS = 1_000  # rows per piece of COPY text sent (a sync page's orders: ~400 KB)
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of `size`, for IN (...) lists and batched statements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, WAL so the worker and the web process can share the file, and wait on locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def json_text(value: Any) -> str:
    """A JSON column's text: orjson's (a sync page writes ~300 KB of order payloads; the standard
    library took a fifth of the page's Python time), the standard library's for what orjson refuses
    (an integer past 64 bits), so nothing that stored before fails now."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, json_serializer=json_text)


class Database:
    """The app's engine and session factory (`app.extensions["orderdeck.db"]`)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed if the block succeeds, rolled back if it raises.

        A dropped, refused or locked database raises DatabaseUnavailable (retry), not a driver error.
        """
        try:
            with self.sessions() as session, session.begin():
                yield session
        except (OperationalError, ProgrammingError) as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            if _schema_behind(exc, reason):
                raise SchemaNotReady(
                    "the database has no OrderDeck schema yet, or an older one: run flask --app backend init-db"
                ) from exc
            if isinstance(exc, ProgrammingError):
                raise
            raise DatabaseUnavailable(
                f"the database is unavailable ({reason}); this unit of work was rolled back, try again"
            ) from exc

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration; harmless when already there."""
        command.upgrade(alembic_config(self.engine), "head")

    def refresh_statistics(self, **columns: Sequence[str]) -> None:
        """Have PostgreSQL re-read the tables' statistics now (ANALYZE), not at autovacuum's next look.

        After a burst of inserts into a table its statistics still call nearly empty, the planner finds
        100 orders by id by reading every order of the shop (a first sync grew quadratic); autovacuum
        may look a minute later. Only the named columns of each table (keyword) are sampled: the
        lookup's, not the kilobytes of payload. Skipped when another ANALYZE or VACUUM holds a table:
        theirs serves. Nothing on SQLite, whose planner takes the unique index without statistics.
        """
        if self.engine.dialect.name != "postgresql":
            return
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
                raw = conn.connection.driver_connection
                assert raw is not None
                with raw.cursor() as cursor:
                    for table, names in columns.items():  # identifiers quoted by psycopg, as in insert_rows
                        listed = sql.SQL(", ").join(sql.Identifier(name) for name in names)
                        analyze = sql.SQL("ANALYZE {} ({})").format(sql.Identifier(table), listed)
                        cursor.execute(analyze)
        except (OperationalError, psycopg.errors.LockNotAvailable):
            return

    def dispose(self) -> None:
        self.engine.dispose()


# A table or column the code expects is missing: SQLite says so in words, PostgreSQL by SQLSTATE.
MISSING_SCHEMA_SQLSTATES = frozenset({"42P01", "42703"})  # undefined_table, undefined_column


def _schema_behind(exc: OperationalError | ProgrammingError, reason: str) -> bool:
    state = getattr(exc.orig, "sqlstate", None)
    return state in MISSING_SCHEMA_SQLSTATES or reason.startswith(("no such table", "no such column"))


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def init_app(app: Flask, database: Database) -> None:
    app.extensions["orderdeck.db"] = database

    @app.teardown_appcontext
    def _close_request_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_db() -> Database:
    db: Database = current_app.extensions["orderdeck.db"]
    return db


def request_session() -> Session:
    """The session for the current request or command, closed when its app context ends."""
    if "db_session" not in g:
        g.db_session = get_db().sessions()
    session: Session = g.db_session
    return session


def among(session: Session, column: QueryableAttribute[T], values: Collection[T]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(one array parameter)`, the same plan, sent as it
    is: an IN list's parameters are rendered one by one at each execution (a seventh of a sync
    page's Python time went to rendering its two lists of 100 ids)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(list(values), postgresql.ARRAY(column.type)))
    return column.in_(values)


def insert_ignoring_duplicates(session: Session, model: type[Any], key: list[str]) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING, in the session's dialect (SQLite and PostgreSQL both have it).

    For rows that concurrent workers may create at the same moment: the loser's insert is a no-op
    instead of a unique-constraint error.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(index_elements=key)


# ORM bulk INSERTs leave out None values unless told, splitting rows into one statement per pattern
# of missing fields; with NULLs rendered, each table's rows go out as one executemany.
ALL_ROWS = {"render_nulls": True}


def insert_rows(session: Session, model: type[Any] | Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT many rows of one shape (the same keys) into a model's table, defaults applied.

    Each value goes through its column's bind processor, then straight to the driver (`write_rows`).
    Not SQLAlchemy's own executemany: its per-row parameter building cost more than the database did
    (the store step of a sync is mostly this: issue 19's bench).
    """
    if not rows:
        return
    keys = tuple(rows[0])
    convert = bound(session.get_bind().dialect, model, keys)
    read = itemgetter(*keys, keys[0])  # always a tuple: one key more, dropped by `convert`
    write_rows(session, model, keys, [convert(read(row)) for row in rows])


# One row's values as `write_rows` sends them: a tuple for the driver, or on PostgreSQL the row's COPY text.
Row = tuple[Any, ...] | str


def bound(dialect: Dialect, model: type[Any] | Table, keys: tuple[str, ...]) -> Callable[[Sequence[Any]], Row]:
    """One row's values (in `keys` order; anything after them is dropped) as `write_rows` sends them: each
    through its column's bind processor, on PostgreSQL then as COPY text. Pure, so a sync works out its
    next page's rows in a thread while the database stores the page before."""
    table = _table(model)
    return _bound(dialect, table.metadata, table.name, keys)


@lru_cache(maxsize=256)  # per engine's dialect, table and shape: a handful in a process
def _bound(dialect: Dialect, metadata: MetaData, name: str, keys: tuple[str, ...]) -> Callable[[Sequence[Any]], Row]:
    table = metadata.tables[name]
    convert = [(i, f) for i, key in enumerate(keys) if (f := _processor(dialect, table.c[key])) is not None]
    size, text = len(keys), dialect.name == "postgresql"

    def values(row: Sequence[Any]) -> Row:
        value = list(row[:size])
        for i, f in convert:
            if (v := value[i]) is not None:
                value[i] = f(v)
        return copy_text(value) if text else tuple(value)

    return values


def joined(head: Row, tail: Row) -> Row:
    """Two parts of one row, as `bound` made them for the same dialect."""
    if isinstance(head, str) and isinstance(tail, str):
        return f"{head}\t{tail}"
    if isinstance(head, tuple) and isinstance(tail, tuple):
        return head + tail
    raise TypeError("the parts of a row were made for different databases")


def keyed(row_id: int, row: Row) -> Row:
    """A row `bound` made, with an integer id (which no bind processor touches) put first."""
    return f"{row_id}\t{row}" if isinstance(row, str) else (row_id, *row)


def write_rows(session: Session, model: type[Any] | Table, keys: tuple[str, ...], rows: Sequence[Row]) -> None:
    """INSERT rows `bound` made for `keys`, the table's Python-side defaults added (a default, the same for
    every row, evaluated once per batch): on PostgreSQL as COPY text, which takes a batch in one statement
    where an executemany runs one INSERT per row; elsewhere one executemany."""
    if not rows:
        return
    table = _table(model)
    bind = session.connection()
    dialect = bind.dialect
    defaults = [c for c in table.columns if c.key not in keys and c.default is not None]
    if defaults:
        tail = bound(dialect, table, tuple(c.key for c in defaults))([_default_value(c) for c in defaults])
        rows = [joined(row, tail) for row in rows]
    columns = [*(table.c[key] for key in keys), *defaults]
    if dialect.name != "postgresql":  # SQLite: qmark parameters
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c.name) for c in columns)
        marks = ", ".join("?" for _ in columns)
        insert = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608 - names from the model, quoted
        bind.exec_driver_sql(insert, list(rows))
        return
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    raw = bind.connection.driver_connection
    if raw is None:
        raise RuntimeError("the session's connection is closed")
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for part in chunks(rows, COPY_ROWS):
            copy.write("\n".join(part) + "\n")  # type: ignore[arg-type] # text rows: `bound` on PostgreSQL


def copy_text(values: Iterable[Any]) -> str:
    """One row in PostgreSQL's COPY text format: tab-separated, \\N for NULL, backslash escapes.

    Ours rather than psycopg's `write_row`, whose per-row Python cost was a quarter of a sync page's
    store step, and made wherever the values are (a sync's next page: in its prepare thread).
    """
    return "\t".join([_COPY_TEXT.get(type(value), _copy_other)(value) for value in values])


def _copy_str(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_other(value: Any) -> str:
    """A value whose type is a subclass of one COPY text knows (an enum of strings), or JSON for psycopg."""
    if isinstance(value, str):
        return _copy_str(str.__str__(value))  # an enum's text, not its name
    if isinstance(value, Json | Jsonb):  # what SQLAlchemy wraps a JSON column's value in for psycopg
        dumped = (value.dumps or json_text)(value.obj)
        return _copy_str(dumped.decode() if isinstance(dumped, bytes) else dumped)
    for kind, text in _COPY_TEXT.items():
        if isinstance(value, kind):
            return text(value)
    raise TypeError(f"no COPY text for a {type(value).__name__}")


_COPY_TEXT: dict[type, Callable[[Any], str]] = {
    str: _copy_str,
    type(None): lambda _: "\\N",
    bool: lambda value: "t" if value else "f",
    int: int.__repr__,
    Decimal: Decimal.__str__,
    datetime: datetime.isoformat,
    date: date.isoformat,
}


def _table(model: type[Any] | Table) -> Table:
    return model if isinstance(model, Table) else model.__table__


def new_ids(session: Session, model: type[Any], count: int) -> list[int] | None:
    """`count` fresh ids from the table's id sequence in one round trip, to insert rows with their ids
    instead of reading them back by key (a query per table per page of a sync); None without sequences
    (SQLite), where the caller reads them back."""
    bind = session.connection()
    if bind.dialect.name != "postgresql" or count <= 0:
        return None
    sequence = func.pg_get_serial_sequence(model.__table__.name, "id")
    return list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))


def commit_asynchronously(session: Session) -> None:
    """Let this transaction's commit return before its WAL is on disk (PostgreSQL; nothing elsewhere).

    Only for work that is redone when lost: a sync page commits its orders with its watermark, so a
    crash in the fraction of a second before the WAL writer flushes loses them together and the next
    sync fetches them again. The WAL is flushed in order, so any later ordinary commit (a push, a
    webhook) makes this one durable first: nothing can outlive what it read.
    """
    bind = session.connection()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def _processor(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any] | None:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _default_value(column: Column[Any]) -> Any:
    """A column's Python-side default, evaluated once (a callable's too: one batch, one stamp)."""
    default: Any = column.default
    return default.arg(None) if default.is_callable else default.arg
