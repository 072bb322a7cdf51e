"""The ingest's multi-row writes on MySQL/MariaDB, rendered as SQL literals.

Through SQLAlchemy and aiomysql every value of a batch went through SQLAlchemy's bind
processors, then through aiomysql's generic pure-Python escaping, and each row was formatted and
encoded once more: most of a batch's CPU for the ingest's wide rows. Here each column gets one
small renderer picked from its type when the module loads and JSON is encoded by orjson. Text is
escaped as the manual requires ("only backslash and the quote character used to quote the
string"), in the way the connection's SQL mode reads it (`NO_BACKSLASH_ESCAPES` or not); the
tests send every awkward character through MariaDB in both modes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from pymysql.constants import SERVER_STATUS  # type: ignore[import-untyped]
from sqlalchemy import Table
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

from rechat_shared.db import UTCDateTime

Quote = Callable[[str], str]
Render = Callable[[Any, Quote], str]

MAX_STATEMENT_CHARS = 1_000_000
"""Rows go out in statements of about this size (aiomysql's own limit for executemany), far
below any server's `max_allowed_packet`."""

_NO_PARAMETERS = {"no_parameters": True}  # the SQL goes out as is: no `%` formatting
_IDENTIFIERS = mysql.dialect().identifier_preparer


def quote_with_backslashes(text: str) -> str:
    """A string literal in the default SQL mode, where a backslash escapes."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_without_backslashes(text: str) -> str:
    """A string literal under `NO_BACKSLASH_ESCAPES`: a backslash is just a character."""
    return "'" + text.replace("'", "''") + "'"


def _text(value: str, quote: Quote) -> str:
    return quote(value)


def _json(value: Any, quote: Quote) -> str:
    try:
        encoded = orjson.dumps(value).decode()
    except TypeError:  # what orjson refuses (integers past 64 bits, lone surrogates)
        encoded = json.dumps(value)
    return quote(encoded)


def _datetime(value: datetime, quote: Quote) -> str:
    """DATETIME(6) holds naive UTC, like `UTCDateTime` stores it."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
    return "'" + value.isoformat(" ", "microseconds")[:26] + "'"


def _date(value: date, quote: Quote) -> str:
    return "'" + value.isoformat() + "'"


def _boolean(value: bool, quote: Quote) -> str:
    return "1" if value else "0"


def _integer(value: int, quote: Quote) -> str:
    return str(int(value))


def _decimal(value: Decimal, quote: Quote) -> str:
    return format(Decimal(value), "f")


# by column type, first match wins (a Text is a String, a Numeric is not an Integer)
_RENDERERS: tuple[tuple[type[TypeEngine[Any]], Render], ...] = (
    (UTCDateTime, _datetime),
    (sa.JSON, _json),
    (sa.Boolean, _boolean),
    (sa.Integer, _integer),
    (sa.Numeric, _decimal),
    (sa.Date, _date),
    (sa.String, _text),
)


def _renderer(column_type: TypeEngine[Any]) -> Render:
    for kind, render in _RENDERERS:
        if isinstance(column_type, kind):
            return render
    raise TypeError(f"no SQL literal for {column_type!r}")


@dataclass(frozen=True)
class RowWriter:
    """`INSERT INTO table (...) VALUES (...), (...)`, optionally updating rows that exist."""

    prefix: str
    suffix: str
    values: Callable[[object], tuple[Any, ...]]
    """The row's values in column order (`operator.attrgetter`)."""
    renderers: tuple[Render, ...]

    @classmethod
    def of(cls, table: Table, *, existing: Literal["fail", "update", "keep"]) -> RowWriter:
        """What a row whose key is already stored does: fail (IntegrityError), update every
        other column, or keep the stored row."""
        names = [column.key for column in table.columns]
        quoted = [_IDENTIFIERS.quote_identifier(name) for name in names]
        prefix = (
            f"INSERT INTO {_IDENTIFIERS.quote_identifier(table.name)} ({', '.join(quoted)}) VALUES "
        )
        keys = {column.key for column in table.primary_key.columns}
        pairs = list(zip(names, quoted, strict=True))
        updates: list[str] = []
        if existing == "update":
            updates = [f"{q} = VALUES({q})" for name, q in pairs if name not in keys]
        elif existing == "keep":  # a no-op update: unlike INSERT IGNORE, other errors still fail
            updates = [f"{q} = {q}" for name, q in pairs if name in keys]
        suffix = " ON DUPLICATE KEY UPDATE " + ", ".join(updates) if updates else ""
        renderers = tuple(_renderer(column.type) for column in table.columns)
        return cls(prefix, suffix, attrgetter(*names), renderers)

    def row(self, row: object, quote: Quote) -> str:
        values = self.values(row)
        rendered = [
            "NULL" if value is None else render(value, quote)
            for value, render in zip(values, self.renderers, strict=True)
        ]
        return "(" + ", ".join(rendered) + ")"

    def statements(self, rows: Sequence[object], quote: Quote) -> Iterator[str]:
        """The rows in as few statements as fit `MAX_STATEMENT_CHARS` (at least one row each)."""
        chunk: list[str] = []
        size = 0
        for row in rows:
            values = self.row(row, quote)
            if chunk and size + len(values) > MAX_STATEMENT_CHARS:
                yield self.prefix + ", ".join(chunk) + self.suffix
                chunk, size = [], 0
            chunk.append(values)
            size += len(values) + 2
        if chunk:
            yield self.prefix + ", ".join(chunk) + self.suffix

    async def write(self, connection: AsyncConnection, rows: Sequence[object]) -> None:
        raw = await connection.get_raw_connection()
        status: int = raw.driver_connection.server_status  # type: ignore[union-attr]
        backslashes = not status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES
        quote = quote_with_backslashes if backslashes else quote_without_backslashes
        for statement in self.statements(rows, quote):
            await connection.exec_driver_sql(statement, execution_options=_NO_PARAMETERS)
