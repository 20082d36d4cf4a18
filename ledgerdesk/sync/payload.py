"""The payload of a sync file: the versions it carries, as one JSON array.

Each version is ``[site, seq, hlc, author, table, entity_id, op, fields, parents]``
where ``fields`` (a JSON object of column values) and ``parents`` (a JSON list
of ``"site:seq"``) travel as JSON *text*, exactly as the version log stores
them: the export copies the log's text, the import stores the received text,
so a version is byte-identical on every replica and nothing is re-encoded.

Every element is then checked strictly against the schema (the type, range
and nullability of each column, dates as ISO text, what a creation must set):
a payload that passed the bundle's signature and digest checks can still have
been written by a buggy or hostile enrolled device, so nothing unexpected
reaches the merge or SQLite.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Iterable, Iterator, NamedTuple

from peewee import BooleanField, DateField, DateTimeField, FloatField, ForeignKeyField, IntegerField

from ledgerdesk.store.models import MODEL_BY_TABLE
from ledgerdesk.sync.errors import BundleDamagedError

_SITE = re.compile(r"[0-9a-f]{1,32}\Z")
_PARENT = re.compile(r"[0-9a-f]{1,32}:[1-9][0-9]{0,17}\Z")
_ENTITY = re.compile(r"[0-9A-Za-z-]{1,64}\Z")
_MAX_TEXT = 1 << 20  # one field value: 1 MiB of text is far beyond any ledger entry

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_EMPTY_PARENTS = _dumps("[]")


class Incoming(NamedTuple):
    """One version as carried by a file; ``fields``/``parents`` hold canonical JSON text for the log."""

    site: str
    seq: int
    hlc: int
    author: str
    tbl: str
    entity_id: str
    op: str
    fields: str
    parents: str
    values: dict
    parent_keys: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.site}:{self.seq}"

    def stored(self) -> tuple:
        """The log columns as compared with a version already present: same tuple, same version."""
        return (self.hlc, self.author, self.tbl, self.entity_id, self.op, self.fields, self.parents)


def encode(rows: Iterable[tuple]) -> bytes:
    """Rows ``(site, seq, hlc, author, tbl, entity_id, op, fields_json, parents_json)`` from the log → payload bytes."""
    return b"".join(encode_chunks(rows))


def encode_chunks(rows: Iterable[tuple]) -> Iterator[bytes]:
    """:func:`encode`'s bytes in pieces of a few thousand versions, for writing a large file as it is made.

    One join over a whole county's log held the interpreter lock for seconds and
    its text took gigabytes; pieces keep both small.
    """
    authors: dict[str, str] = {}
    parts: list[str] = []
    yield b"["
    first = True
    for site, seq, hlc, author, tbl, entity_id, op, fields, parents in rows:
        a = authors.get(author)
        if a is None:
            a = authors[author] = _dumps(author)
        parts.append(f'["{site}",{seq},{hlc},{a},"{tbl}","{entity_id}","{op}",{_dumps(fields)},'
                     f'{_EMPTY_PARENTS if parents == "[]" else _dumps(parents)}]')
        if len(parts) == _ENCODE_CHUNK:
            yield ("" if first else ",").encode() + ",".join(parts).encode("utf-8")
            first = False
            parts.clear()
    if parts:
        yield ("" if first else ",").encode() + ",".join(parts).encode("utf-8")
    yield b"]"


_ENCODE_CHUNK = 5000


def decode(raw: bytes) -> list[Incoming]:
    """Payload bytes → checked versions. Anything malformed is :class:`BundleDamagedError`."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleDamagedError("同步文件的内容无法解析，文件可能已损坏") from exc
    except MemoryError:
        raise BundleDamagedError("同步文件的内容过大，本机内存不足，无法导入") from None
    if not isinstance(data, list):
        raise BundleDamagedError("同步文件的内容格式不对，文件可能已损坏")
    columns = {t: _rules(m) for t, m in MODEL_BY_TABLE.items()}
    out: list[Incoming] = []
    seen: dict[tuple[str, int], Incoming] = {}
    # Lone surrogates (which SQLite cannot store) can only come from "\udXXX" escapes: look closer only then.
    suspicious = "\\ud" in text or "\\uD" in text
    for i, item in enumerate(data):
        v = _check(item, columns, i)
        if suspicious and not _encodable(v):
            raise _bad(i, "含有无法保存的字符")
        earlier = seen.get((v.site, v.seq))
        if earlier is not None:
            if earlier.stored() != v.stored():
                raise BundleDamagedError(f"同步文件中第 {i + 1} 条修改与前面一条编号相同而内容不同，文件已损坏")
            continue
        seen[(v.site, v.seq)] = v
        out.append(v)
    return out


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?\Z")
_INT_RANGE = (-(1 << 63), (1 << 63) - 1)


def _text_ok(value) -> bool:
    return type(value) is str and len(value) <= _MAX_TEXT


def _date_ok(pattern, parse):
    def check(value) -> bool:
        if type(value) is not str or not pattern.match(value):
            return False
        try:
            parse(value)
        except ValueError:
            return False
        return True
    return check


_KINDS = {
    "TEXT": _text_ok,
    "INT": lambda v: type(v) is int and _INT_RANGE[0] <= v <= _INT_RANGE[1],
    "BOOL": lambda v: v in (0, 1) and type(v) is int,
    "FLOAT": lambda v: (type(v) is int and _INT_RANGE[0] <= v <= _INT_RANGE[1])
                       or (type(v) is float and math.isfinite(v)),
    "DATE": _date_ok(_DATE, dt.date.fromisoformat),
    "DATETIME": _date_ok(_DATETIME, dt.datetime.fromisoformat),
}


def _kind(f) -> str:
    if isinstance(f, ForeignKeyField):
        return "TEXT"
    for cls, kind in ((BooleanField, "BOOL"), (IntegerField, "INT"), (FloatField, "FLOAT"),
                      (DateTimeField, "DATETIME"), (DateField, "DATE")):
        if isinstance(f, cls):
            return kind
    return "TEXT"


class _Table(NamedTuple):
    """What a version of one table may set: per column a check (None: non-null text, checked inline), and what
    its creation must set."""

    checks: dict
    required: frozenset[str]


def _rules(model) -> _Table:
    checks, required = {}, set()
    for f in model._meta.sorted_fields:
        if f.column_name in ("id", "vid"):
            continue
        kind = _kind(f)
        kind_ok = _KINDS[kind]
        if f.null:
            checks[f.column_name] = (lambda ok: lambda v: v is None or ok(v))(kind_ok)
        else:
            checks[f.column_name] = None if kind == "TEXT" else kind_ok
        if not f.null and f.default is None:
            required.add(f.column_name)
    return _Table(checks, frozenset(required))


def _bad(i: int, what: str) -> BundleDamagedError:
    return BundleDamagedError(f"同步文件中第 {i + 1} 条修改{what}，文件已损坏，未导入任何内容")


def _check(item, columns: dict[str, _Table], i: int) -> Incoming:
    if not isinstance(item, list) or len(item) != 9:
        raise _bad(i, "结构不对")
    site, seq, hlc, author, tbl, entity_id, op, fields, parents = item
    if not (isinstance(site, str) and _SITE.match(site)):
        raise _bad(i, "的设备编号不对")
    if type(seq) is not int or not 0 < seq < 1 << 62 or type(hlc) is not int or not 0 <= hlc < 1 << 63:
        raise _bad(i, "的序号或时间戳不对")
    if not isinstance(author, str) or len(author) > 200:
        raise _bad(i, "的作者不对")
    rules = columns.get(tbl) if isinstance(tbl, str) else None
    if rules is None:
        raise _bad(i, "属于未知的数据表")
    if not (isinstance(entity_id, str) and _ENTITY.match(entity_id)):
        raise _bad(i, "的记录编号不对")
    if op not in ("put", "del"):
        raise _bad(i, "的操作类型不对")
    values = _json_of(fields, dict, i)
    if not values:
        raise _bad(i, "没有字段")
    checks = rules.checks
    for name, value in values.items():
        check = checks.get(name, _UNKNOWN)
        if check is None:
            if type(value) is not str or len(value) > _MAX_TEXT:
                raise _bad(i, f"的字段“{name}”取值不合规")
        elif check is _UNKNOWN:
            raise _bad(i, f"含有未知的字段“{name[:40]}”")
        elif not check(value):
            raise _bad(i, f"的字段“{name}”取值不合规")
    parent_keys = () if parents == "[]" else tuple(_json_of(parents, list, i))
    if not all(isinstance(p, str) and _PARENT.match(p) for p in parent_keys):
        raise _bad(i, "的前序版本不对")
    if op == "del" and values != {"deleted": 1}:
        raise _bad(i, "是删除操作却改了其他字段")
    if op == "put" and not parent_keys and not rules.required.issubset(values):
        raise _bad(i, "新建记录却缺少必填字段")
    return Incoming(site, seq, hlc, author, tbl, entity_id, op, fields, parents, values, parent_keys)


_UNKNOWN = object()


def _encodable(v: Incoming) -> bool:
    try:
        for text in (v.author, *(x for x in v.values.values() if type(x) is str)):
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_of(text, kind: type, i: int):
    if type(text) is not str:
        raise _bad(i, "的字段格式不对")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _bad(i, "的字段无法解析") from exc
    if type(value) is not kind:
        raise _bad(i, "的字段格式不对")
    return value
