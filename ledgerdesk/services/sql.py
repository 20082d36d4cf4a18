"""Small SQL helpers shared by the services' read code (plain ``execute_sql`` on the session's ledger).

* :func:`rows` / :func:`scalar` — run a query, all rows / the first value;
* :func:`marks` / :func:`chunks` — ``?, ?, ?`` placeholders and id lists cut
  into pieces that fit one ``IN (...)``;
* :func:`id_list` — the ``id`` column of an ordered query, fetched as one string;
* :func:`rows_by_id` — the page rows of the lazy lists: rows for ``ids`` in the
  order of ``ids``, ids of rows deleted meanwhile left out;
* :class:`Where` — the conditions of a list query, built filter by filter.

Callers open ``session.reading()`` (or are inside a write) themselves.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

CHUNK = 500  # ids per IN (...) list

T = TypeVar("T")


def rows(session, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    return session.ledger.db.execute_sql(sql, tuple(params)).fetchall()


def scalar(session, sql: str, params: Iterable[Any] = ()) -> Any:
    row = session.ledger.db.execute_sql(sql, tuple(params)).fetchone()
    return row[0] if row else None


def marks(n: int) -> str:
    """``n`` SQL placeholders: ``?, ?, ?``."""
    return ", ".join("?" * n)


def chunks(ids: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``ids`` in lists of at most ``size`` (for ``IN (...)`` lists)."""
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def id_list(session, inner_sql: str, params: Iterable[Any] = ()) -> list[str]:
    """The ``id`` column of an ordered query as a list, fetched as one string (ids hold no commas)."""
    row = session.ledger.db.execute_sql(f"SELECT group_concat(id, ',') FROM ({inner_sql})",
                                        tuple(params)).fetchone()
    return row[0].split(",") if row and row[0] else []


def rows_by_id(session, sql: str, ids: Sequence[str], make: Callable[[tuple], T], *,
               before: Sequence[Any] = ()) -> list[T]:
    """``make(row)`` for the rows of ``sql`` whose first column is one of ``ids``, in the order of ``ids``.

    ``sql`` holds ``{marks}`` where the id placeholders go (``... AND x.id IN ({marks})``);
    ``before`` are parameters that come before them. Ids without a row are left out.
    """
    found: dict[str, T] = {}
    db = session.ledger.db
    for part in chunks(ids):
        for r in db.execute_sql(sql.format(marks=marks(len(part))), [*before, *part]):
            found[r[0]] = make(r)
    return [found[i] for i in ids if i in found]


class Where:
    """The conditions of a WHERE clause with their parameters; ``str(where)`` joins them with AND."""

    def __init__(self, *conditions: str):
        self.conditions: list[str] = list(conditions)
        self.params: list[Any] = []

    def add(self, condition: str, *params: Any) -> "Where":
        self.conditions.append(condition)
        self.params.extend(params)
        return self

    def equal(self, column: str, value: Any) -> "Where":
        """``column = value`` unless ``value`` is None (filter not given)."""
        if value is not None:
            self.add(f"{column} = ?", value)
        return self

    def __str__(self) -> str:
        return " AND ".join(self.conditions)
