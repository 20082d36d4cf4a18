"""The search index and its SQL (architecture.md, "Storage: search"; schema in db/migrations/0002_search.sql).

Persons and households are found by name, 身份证号 fragment, phone fragment,
户号 or address. A query runs as a few *steps*, best matches first, each an
indexed statement that stops at the limit; no step scans a table:

* ``exact``  — person.name / id_number / phone, household.hh_no equal to the
  query (the b-tree indexes of 0001_initial.sql);
* ``prefix`` — the same columns in the range ``[q, q + U+10FFFF)`` of their
  index (a surname, the start of a 身份证号 or phone);
* ``infix``  — the trigram FTS5 table ``search_fts``: any fragment of three or
  more characters. Trigrams cannot match fewer than three characters, so a
  two-character text query looks for the *end* of a name instead (the index
  stores each name followed by char(3): "建国" finds 王建国).

Queries of one or two characters (most Chinese given names and surnames are
one or two characters) therefore use only the b-tree paths plus that suffix
trigram. Digit queries of one or two characters match only an exact 户号: a
two-digit fragment is in nearly every 身份证号 and phone, so it can find
nothing useful. Any text is a valid query: terms are quoted for FTS5 (the
peewee ``FTS5Model.web_query`` idea), so quotes, ``*``, AND/OR/NEAR and
parentheses are searched for as characters and never raise a syntax error.

The index is kept current by triggers on person and household; bulk loads wrap
their inserts in :func:`deferred`, which drops those triggers and rebuilds the
index once at the end (:func:`rebuild_search_index`).
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence

from ledgerdesk.core.text import clean, clean_code

# Longest query looked at, in characters after normalising (no name, 身份证号,
# phone or address fragment is longer); further text is ignored.
MAX_QUERY_CHARS = 64
# At most this many whitespace-separated terms go into one FTS5 query.
MAX_TERMS = 8

NAME_END = "\x03"  # follows every indexed person name (see 0002_search.sql)
_TOP = "\U0010ffff"  # the largest code point: [q, q + _TOP) is every text starting with q

_CODE = re.compile(r"^[0-9X]*[0-9][0-9X]*$")

# FTS5's 'hashsize': how much pending index data is held in memory before it is written as a segment.
DEFAULT_HASHSIZE = 1024 * 1024  # FTS5's own default
BULK_HASHSIZE = 64 * 1024 * 1024

# The same statements as the end of 0002_search.sql.
REBUILD_SQL = (
    "DELETE FROM search_ref",
    "INSERT INTO search_fts (search_fts) VALUES ('delete-all')",
    "INSERT INTO search_ref (ref_id, kind) SELECT id, 'p' FROM person WHERE deleted = 0 ORDER BY rowid",
    "INSERT INTO search_ref (ref_id, kind) SELECT id, 'h' FROM household WHERE deleted = 0 ORDER BY rowid",
    "INSERT INTO search_fts (rowid, name, code, address) "
    "SELECT r.docid, p.name || char(3), p.id_number || ' ' || p.phone, '' "
    "FROM search_ref r JOIN person p ON p.id = r.ref_id WHERE r.kind = 'p'",
    "INSERT INTO search_fts (rowid, name, code, address) "
    "SELECT r.docid, '', h.hh_no || ' ' || h.phone, h.address "
    "FROM search_ref r JOIN household h ON h.id = r.ref_id WHERE r.kind = 'h'",
)

_FTS_SQL = ("SELECT r.kind, r.ref_id FROM search_fts JOIN search_ref r ON r.docid = search_fts.rowid "
            "WHERE search_fts MATCH ? LIMIT ?")


def _exact(table: str, column: str) -> str:
    kind = "p" if table == "person" else "h"
    return f"SELECT '{kind}', id FROM {table} WHERE {column} = ? AND +deleted = 0 LIMIT ?"


def _prefix(table: str, column: str) -> str:
    kind = "p" if table == "person" else "h"
    return (f"SELECT '{kind}', id FROM {table} WHERE {column} > ? AND {column} < ? AND +deleted = 0 "
            f"ORDER BY {column} LIMIT ?")


@dataclass(frozen=True)
class Step:
    """One indexed statement of a search. Its parameters are ``params + (limit,)``."""

    tier: str  # "exact" | "prefix" | "infix"
    sql: str
    params: tuple

    @property
    def dedupe(self) -> bool:
        """Whether it may return rows an earlier step found (then it asks for that many more)."""
        return self.tier == "infix"


@dataclass(frozen=True)
class SearchQuery:
    """User text turned into search keys: ``name`` for names, ``code`` for 身份证号/phone/户号."""

    name: str  # cleaned, spaces removed
    code: str  # clean_code form (upper case, no spaces or dashes)
    terms: tuple[str, ...]  # cleaned, whitespace-separated
    is_code: bool

    def steps(self) -> list[Step]:
        """The statements to run, best matches first."""
        if self.is_code:
            c = self.code
            if len(c) < 3:
                return [Step("exact", _exact("household", "hh_no"), (c,))]
            rng = (c, c + _TOP)
            return [
                Step("exact", _exact("person", "id_number"), (c,)),
                Step("exact", _exact("person", "phone"), (c,)),
                Step("exact", _exact("household", "hh_no"), (c,)),
                Step("prefix", _prefix("person", "id_number"), rng),
                Step("prefix", _prefix("person", "phone"), rng),
                Step("prefix", _prefix("household", "hh_no"), rng),
                Step("infix", _FTS_SQL, (fts_phrase(c),)),
            ]
        n = self.name
        steps = [Step("exact", _exact("person", "name"), (n,)),
                 Step("prefix", _prefix("person", "name"), (n, n + _TOP))]
        if len(n) == 2:
            steps.append(Step("infix", _FTS_SQL, ("name : " + fts_phrase(n + NAME_END),)))
        elif len(n) >= 3:
            long_terms = [t for t in self.terms if len(t) >= 3][:MAX_TERMS] or [n]
            steps.append(Step("infix", _FTS_SQL, (" AND ".join(fts_phrase(t) for t in long_terms),)))
        return steps


def fts_phrase(term: str) -> str:
    """``term`` as one FTS5 string: searched for literally, whatever characters it holds."""
    return '"' + term.replace('"', '""') + '"'


def _printable(text: str) -> str:
    """Control characters and lone surrogates out (they are never in names or codes)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs"))


def parse_query(text: object) -> SearchQuery | None:
    """Normalise user text (half-width, NFC, white space folded); None when nothing is left to search."""
    s = clean(_printable(str(text) if text is not None else ""))[:MAX_QUERY_CHARS].strip()
    if not s:
        return None
    terms = tuple(s.split())
    name = "".join(terms)
    code = clean_code(s)
    return SearchQuery(name=name, code=code, terms=terms, is_code=bool(_CODE.match(code)))


def find(db, query: SearchQuery, limit: int) -> list[tuple[str, str, str]]:
    """(kind 'p'|'h', id, tier) of up to ``limit`` live matches, best first, each once."""
    conn = db.connection()  # the raw connection: these run per keystroke, peewee's wrapper costs as much as SQLite
    seen: set[str] = set()
    out: list[tuple[str, str, str]] = []
    for step in query.steps():
        want = limit - len(out)
        if want <= 0:
            break
        if step.dedupe:
            want += len(seen)
        for kind, ref in conn.execute(step.sql, (*step.params, want)).fetchall():
            if ref not in seen and len(out) < limit:
                seen.add(ref)
                out.append((kind, ref, step.tier))
    return out


def _in(n: int) -> str:
    return ", ".join("?" * n)


def person_rows_sql(n: int) -> str:
    return ("SELECT p.id, p.household_id, p.name, p.id_number, p.phone, p.status, h.hh_no, v.name "
            "FROM person p LEFT JOIN household h ON h.id = p.household_id "
            f"LEFT JOIN village v ON v.id = h.village_id WHERE p.id IN ({_in(n)})")


def household_rows_sql(n: int) -> str:
    return ("SELECT h.id, h.hh_no, h.address, h.phone, h.status, hp.name, v.name "
            "FROM household h LEFT JOIN person hp ON hp.id = h.head_person_id AND hp.deleted = 0 "
            f"LEFT JOIN village v ON v.id = h.village_id WHERE h.id IN ({_in(n)})")


def person_rows(db, ids: Sequence[str]) -> dict[str, tuple]:
    """id -> (id, household_id, name, id_number, phone, status, hh_no, village name)."""
    if not ids:
        return {}
    return {r[0]: r for r in db.connection().execute(person_rows_sql(len(ids)), tuple(ids)).fetchall()}


def household_rows(db, ids: Sequence[str]) -> dict[str, tuple]:
    """id -> (id, hh_no, address, phone, status, head name, village name)."""
    if not ids:
        return {}
    return {r[0]: r for r in db.connection().execute(household_rows_sql(len(ids)), tuple(ids)).fetchall()}


# -- maintenance ----------------------------------------------------------------------------------


def rebuild_search_index(db) -> int:
    """Index every live person and household from scratch; returns the number of documents.

    Runs in the caller's transaction if there is one, else in its own.
    """
    with db.atomic():
        # A large in-memory batch while loading: far fewer segments to merge (county: ~3× faster, and
        # faster queries after); then FTS5's default again, so everyday edits hold little memory.
        db.execute_sql("INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', ?)", (BULK_HASHSIZE,))
        for sql in REBUILD_SQL:
            db.execute_sql(sql)
        db.execute_sql("INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', ?)", (DEFAULT_HASHSIZE,))
        return db.execute_sql("SELECT count(*) FROM search_ref").fetchone()[0]


def _triggers(db) -> list[tuple[str, str]]:
    """(name, sql) of the search triggers."""
    return db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search!_%' ESCAPE '!' "
        "ORDER BY name").fetchall()


@contextmanager
def deferred(db) -> Iterator[None]:
    """For a bulk load: no per-row index upkeep inside, one rebuild at the end.

    Drops the search triggers (from their own SQL in sqlite_master), and after
    the block rebuilds the index and recreates them. Use it inside the bulk
    load's transaction: if the block raises, the rollback restores the
    triggers and the index as they were.
    """
    triggers = _triggers(db)
    for name, _ in triggers:
        db.execute_sql(f'DROP TRIGGER "{name}"')
    yield
    rebuild_search_index(db)
    for _, sql in triggers:
        db.execute_sql(sql)
