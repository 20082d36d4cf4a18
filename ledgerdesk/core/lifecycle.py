"""The problem-to-closure lifecycle (问题台账, 挂号 → 销号) as an event-sourced state machine.

Every step of a problem is an immutable ``problem_event`` row; the current
state is never stored, it is *derived* by replaying the events in order of
``(at, id)`` (domain.md, "Problem-to-closure ledger"; sync.md: events from
several devices interleave, and a state reached through concurrent events the
lifecycle would not allow is flagged for review, not hidden).

Pure: no database, no Qt, no clock. The parts:

* :data:`TRANSITIONS` — which event kinds are legal in which state, and the
  state each leads to; a few *guards* refine it (:data:`STATE_GUARDS`, the
  延期 deadline check).
* :class:`Event` mirrors a ``problem_event`` row; :func:`validate` checks its
  required fields (:data:`REQUIRED_FIELDS`).
* :class:`ProblemState` is what the events add up to, with the derived
  figures of the statistics (办结, 按期办结, 超期, 黄牌预警, 办理天数).
* :func:`apply` takes one step (raises on an illegal one); :func:`derive`
  replays a whole history, strictly or, for synced data, skipping and
  flagging what is illegal.
* :data:`PERMISSIONS` / :func:`check_permission` — which role may record what.
  :func:`apply` does not check roles: an event that reached the log was
  authorised on the device that wrote it; services check before writing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable, Mapping

from ledgerdesk.core.errors import LedgerDeskError, ValidationError
from ledgerdesk.core.ledger_errors import IllegalTransitionError, PermissionDeniedError
from ledgerdesk.core.vocab import RATINGS, ROLES
from ledgerdesk.core.workdays import DEADLINE_KINDS

# -- states -------------------------------------------------------------------------------------

UNREGISTERED = "未登记"  # pseudo-state of a problem with no event yet; never stored
REGISTERED = "登记"
DISPATCHED = "已交办"
IN_PROGRESS = "办理中"
RESOLVED = "已办结"
RATED = "已评价"
CLOSED = "已销号"
MERGED = "已合并"
VOIDED = "已撤销"
STATES = (REGISTERED, DISPATCHED, IN_PROGRESS, RESOLVED, RATED, CLOSED, MERGED, VOIDED)

UNRESOLVED_STATES = frozenset({REGISTERED, DISPATCHED, IN_PROGRESS})  # "open": may be merged
RESOLVED_STATES = frozenset({RESOLVED, RATED, CLOSED})  # count toward 办结数
TERMINAL_STATES = frozenset({MERGED, VOIDED})  # accept no event at all
# Not yet signed off, merged or voided: may still be voided. 已销号 is final except
# for a 回访 and a 重新打开 after it.
LIVE_STATES = UNRESOLVED_STATES | {RESOLVED, RATED}

# -- event kinds (exactly the problem_event.kind values) ----------------------------------------

REGISTER = "登记"
DISPATCH = "交办"
PROGRESS = "办理"
RESOLVE = "办结"
RATE = "评价"
CLOSE = "销号"
RETURN = "退回"
EXTEND = "延期"
REOPEN = "重新打开"
MERGE = "合并"
VOID = "撤销"
REVISIT = "回访"
KINDS = (REGISTER, DISPATCH, PROGRESS, RESOLVE, RATE, CLOSE, RETURN, EXTEND, REOPEN, MERGE, VOID, REVISIT)

DISSATISFIED = "不满意"

# -- the transition table -------------------------------------------------------------------------

#: event kind → {state it is legal in: state it leads to}. A kind missing from a
#: state's row is illegal there. Guards (below) refine four of the rows.
TRANSITIONS: dict[str, dict[str, str]] = {
    # first event only
    REGISTER: {UNREGISTERED: REGISTERED},
    # from 登记; again from 已交办 only right after a 退回 (guard): re-dispatch for rework
    DISPATCH: {REGISTERED: DISPATCHED, DISPATCHED: DISPATCHED},
    # progress note
    PROGRESS: {DISPATCHED: IN_PROGRESS, IN_PROGRESS: IN_PROGRESS},
    RESOLVE: {DISPATCHED: RESOLVED, IN_PROGRESS: RESOLVED},
    # a 不满意 rating stays 已评价 and needs a decision: 重新打开 or 退回
    RATE: {RESOLVED: RATED},
    # guard: the rating is not 不满意
    CLOSE: {RATED: CLOSED},
    # rework by the same responsible person/unit
    RETURN: {RESOLVED: DISPATCHED, RATED: DISPATCHED},
    # guard (on the event): the new deadline is later than the effective one
    EXTEND: {DISPATCHED: DISPATCHED, IN_PROGRESS: IN_PROGRESS},
    # guard: after a 不满意 rating or a 回访 since the last 办结
    REOPEN: {RATED: IN_PROGRESS, CLOSED: IN_PROGRESS},
    # recorded, state unchanged
    REVISIT: {RESOLVED: RESOLVED, RATED: RATED, CLOSED: CLOSED},
    # a duplicate, from any open (unresolved) state
    MERGE: {state: MERGED for state in STATES if state in UNRESOLVED_STATES},
    # from any live state: not yet signed off, merged or voided
    VOID: {state: VOIDED for state in STATES if state in LIVE_STATES},
}


@dataclass(frozen=True)
class Revisit:
    """One 回访 (回头看): when, by whom, and what was found."""

    at: dt.datetime
    result: str
    actor: str = ""


# -- events ---------------------------------------------------------------------------------------


def _as_datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value) if value else None
    return value


_PARSERS: dict[str, Callable[[Any], Any]] = {"at": _as_datetime, "deadline": _as_date}


@dataclass(frozen=True)
class Event:
    """One ``problem_event`` row (problem_id aside): an immutable step of a problem's lifecycle."""

    kind: str
    at: dt.datetime
    id: str = ""
    actor: str = ""
    note: str = ""
    responsible_person: str = ""
    responsible_unit: str = ""
    deadline: dt.date | None = None
    deadline_kind: str | None = None  # '自然日' / '工作日'
    reason: str = ""
    approved_by: str = ""
    rating: str | None = None  # 满意 / 基本满意 / 不满意
    rated_by: str = ""
    rating_method: str = ""  # 上门 / 电话
    revisit_result: str = ""
    merged_into_id: str | None = None

    @property
    def order_key(self) -> tuple[dt.datetime, str]:
        """Replay order: by time, ties broken by id (uuid7 ids sort by creation)."""
        return (self.at, self.id)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Event":
        """An event from a ``problem_event`` row (column → value); ISO text for ``at``/``deadline``.

        Columns that are not event fields (``problem_id``, ``vid``, ``deleted``) are ignored.
        """
        names = {f.name for f in fields(cls)}
        values = {k: _PARSERS.get(k, lambda v: v)(v) for k, v in row.items() if k in names}
        return cls(**values)


@dataclass(frozen=True)
class _Rule:
    """A required-field rule: ``ok(event)`` must hold, else ``message`` (``{kind}`` filled in) about ``field``."""

    field: str
    ok: Callable[[Event], bool]
    message: str


def _filled(name: str, message: str) -> _Rule:
    """The field must be present and not blank."""
    return _Rule(name, lambda e: bool(str(getattr(e, name) or "").strip()), message)


def _present(name: str, message: str) -> _Rule:
    return _Rule(name, lambda e: getattr(e, name) is not None, message)


#: Checked on every event, whatever its kind.
COMMON_RULES = (
    _Rule("kind", lambda e: e.kind in TRANSITIONS, "未知的办理环节“{kind}”"),
    _Rule("deadline_kind", lambda e: e.deadline_kind in (None, *DEADLINE_KINDS), "期限类型应为“自然日”或“工作日”"),
)

#: event kind → the fields it must carry.
REQUIRED_FIELDS: dict[str, tuple[_Rule, ...]] = {
    DISPATCH: (
        _Rule("responsible_person", lambda e: bool(e.responsible_person.strip() or e.responsible_unit.strip()),
              "交办须填写责任人或责任单位"),
        _present("deadline", "交办须填写办理期限"),
    ),
    EXTEND: (
        _filled("reason", "延期须填写延期理由"),
        _filled("approved_by", "延期须填写批准人"),
        _present("deadline", "延期须填写新的办理期限"),
    ),
    RATE: (_Rule("rating", lambda e: e.rating in RATINGS, "评价须为“满意”“基本满意”或“不满意”"),),
    VOID: (_filled("reason", "撤销须填写撤销理由"),),
    MERGE: (_filled("merged_into_id", "合并须指明并入的问题"),),
}


def validate(event: Event) -> None:
    """Raise :class:`~ledgerdesk.core.errors.ValidationError` (with ``field``) if a required field is missing.

    Only the event itself is checked; whether it fits the problem's state is :func:`apply`'s job.
    """
    for rule in COMMON_RULES + REQUIRED_FIELDS.get(event.kind, ()):
        if not rule.ok(event):
            raise ValidationError(rule.message.format(kind=event.kind), field=rule.field)


# -- the state --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemState:
    """What a problem's events add up to. ``ProblemState()`` is the blank state before 登记.

    Fields are those of the latest applicable event: ``deadline`` is the
    effective deadline (the latest 交办's, moved by each 延期),
    ``original_deadline`` the latest 交办's; ``resolved_at`` and the rating
    belong to the current resolution and are cleared by 退回 and 重新打开 (the
    history stays in the events). ``flags`` lists, in Chinese, every event
    :func:`derive` skipped as illegal, so the problem can be reviewed.
    """

    state: str = UNREGISTERED
    registered_at: dt.datetime | None = None
    responsible_person: str = ""
    responsible_unit: str = ""
    dispatched_at: dt.datetime | None = None  # the latest 交办
    deadline: dt.date | None = None
    deadline_kind: str | None = None
    original_deadline: dt.date | None = None
    extensions: int = 0
    handling_since: dt.datetime | None = None  # latest 交办, 退回 or 重新打开
    last_note_at: dt.datetime | None = None  # latest 办理 (progress note)
    resolved_at: dt.datetime | None = None
    resolution_note: str = ""
    rating: str | None = None
    rated_by: str = ""
    rating_method: str = ""
    rated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    returned: bool = False  # a 退回 awaits rework or re-dispatch
    returns: int = 0
    reopened: int = 0
    revisits: tuple[Revisit, ...] = ()
    # How many revisits existed when the current resolution was recorded. Counting
    # (not comparing times) keeps "a 回访 after this 办结" exact when two events
    # share a timestamp and are ordered by id.
    revisits_at_resolution: int = 0
    merged_into_id: str | None = None
    voided_reason: str = ""
    updated_at: dt.datetime | None = None  # the latest applied event
    flags: tuple[str, ...] = ()

    # -- classification ---------------------------------------------------------------------------

    @property
    def is_terminal(self) -> bool:
        """Merged or voided: no further event is accepted."""
        return self.state in TERMINAL_STATES

    @property
    def is_resolved(self) -> bool:
        """已办结, 已评价 or 已销号: counts toward 办结数."""
        return self.state in RESOLVED_STATES

    @property
    def needs_decision(self) -> bool:
        """Rated 不满意 and not yet reopened or returned: the secretary must decide."""
        return self.state == RATED and self.rating == DISSATISFIED

    @property
    def last_revisit(self) -> Revisit | None:
        return self.revisits[-1] if self.revisits else None

    @property
    def revisited_since_resolved(self) -> bool:
        """A 回访 was recorded after the current resolution."""
        return self.resolved_at is not None and len(self.revisits) > self.revisits_at_resolution

    # -- figures of the statistics (domain.md, "Statistics") ------------------------------------

    @property
    def resolved_on_time(self) -> bool:
        """Resolved on or before the effective (extended) deadline; no deadline counts as on time.

        False while not resolved: this is the 按期办结数 test.
        """
        if not self.is_resolved:
            return False
        return self.deadline is None or self.resolved_at.date() <= self.deadline

    @property
    def days_to_resolve(self) -> int | None:
        """Calendar days from 登记 to the current 办结 (by date); None while unresolved (平均办理天数)."""
        if not self.is_resolved or self.registered_at is None:
            return None
        return (self.resolved_at.date() - self.registered_at.date()).days

    def is_overdue(self, today: dt.date) -> bool:
        """Unresolved (neither terminal nor resolved) and the effective deadline is before ``today`` (超期未办结)."""
        return self.state in UNRESOLVED_STATES and self.deadline is not None and self.deadline < today

    def yellow_card(self, today: dt.date, stale_days: int | None = None) -> str | None:
        """The 黄牌预警 reason in Chinese, or None.

        Raised when overdue; with ``stale_days``, also when a dispatched,
        unresolved problem has had no progress note for ``stale_days`` days or
        more (counted from the latest 办理, else from the latest 交办, 退回 or
        重新打开). Cleared once resolved, merged or voided.
        """
        if self.is_overdue(today):
            return f"超期未办结：办理期限{self.deadline.isoformat()}，已超期{(today - self.deadline).days}天"
        idle = self._idle_days(today)
        if stale_days is not None and idle is not None and idle >= stale_days:
            return f"已{idle}天无办理进展"
        return None

    def _idle_days(self, today: dt.date) -> int | None:
        if self.state not in (DISPATCHED, IN_PROGRESS):
            return None
        marks = [t for t in (self.last_note_at, self.handling_since) if t is not None]
        return (today - max(marks).date()).days if marks else None


# -- guards and effects ----------------------------------------------------------------------------


def _dispatch_guard(s: ProblemState) -> str | None:
    if s.state == DISPATCHED and not s.returned:
        return "只有退回后才能重新交办"
    return None


def _close_guard(s: ProblemState) -> str | None:
    if s.rating == DISSATISFIED:
        return "群众评价为“不满意”，须重新打开或退回"
    return None


def _reopen_guard(s: ProblemState) -> str | None:
    if s.rating != DISSATISFIED and not s.revisited_since_resolved:
        return "群众评价“不满意”或回访后才能重新打开"
    return None


#: Conditions on the state beyond the table: kind → check returning the refusal reason, or None.
STATE_GUARDS: dict[str, Callable[[ProblemState], str | None]] = {
    DISPATCH: _dispatch_guard,
    CLOSE: _close_guard,
    REOPEN: _reopen_guard,
}


def _check_extension(s: ProblemState, e: Event) -> None:
    if s.deadline is not None and e.deadline <= s.deadline:
        raise ValidationError(f"延期后的期限须晚于当前期限{s.deadline.isoformat()}", field="deadline")


#: Conditions on the event given the state: kind → check that raises.
EVENT_CHECKS: dict[str, Callable[[ProblemState, Event], None]] = {EXTEND: _check_extension}


def _dispatch(s: ProblemState, e: Event) -> dict[str, Any]:
    return dict(responsible_person=e.responsible_person, responsible_unit=e.responsible_unit, dispatched_at=e.at,
                deadline=e.deadline, deadline_kind=e.deadline_kind, original_deadline=e.deadline, handling_since=e.at)


def _extend(s: ProblemState, e: Event) -> dict[str, Any]:
    return dict(deadline=e.deadline, deadline_kind=e.deadline_kind or s.deadline_kind, extensions=s.extensions + 1)


_UNRESOLVE = dict(resolved_at=None, resolution_note="", rating=None, rated_by="", rating_method="", rated_at=None,
                  closed_at=None)

#: kind → the fields an event of that kind sets (beyond ``state``, ``updated_at`` and ``returned``).
EFFECTS: dict[str, Callable[[ProblemState, Event], dict[str, Any]]] = {
    REGISTER: lambda s, e: dict(registered_at=e.at),
    DISPATCH: _dispatch,
    PROGRESS: lambda s, e: dict(last_note_at=e.at),
    RESOLVE: lambda s, e: dict(resolved_at=e.at, resolution_note=e.note, revisits_at_resolution=len(s.revisits)),
    RATE: lambda s, e: dict(rating=e.rating, rated_by=e.rated_by, rating_method=e.rating_method, rated_at=e.at),
    CLOSE: lambda s, e: dict(closed_at=e.at),
    RETURN: lambda s, e: dict(_UNRESOLVE, returns=s.returns + 1, handling_since=e.at),
    EXTEND: _extend,
    REOPEN: lambda s, e: dict(_UNRESOLVE, reopened=s.reopened + 1, handling_since=e.at),
    REVISIT: lambda s, e: dict(revisits=s.revisits + (Revisit(e.at, e.revisit_result, e.actor),)),
    MERGE: lambda s, e: dict(merged_into_id=e.merged_into_id),
    VOID: lambda s, e: dict(voided_reason=e.reason),
}


# -- stepping and replay ---------------------------------------------------------------------------


def _refusal(s: ProblemState, kind: str) -> str | None:
    """Why ``kind`` is refused in ``s`` ("" for not in the table), or None when it is allowed."""
    if s.state not in TRANSITIONS[kind]:
        return ""
    guard = STATE_GUARDS.get(kind)
    return guard(s) if guard else None


def legal_kinds(state: ProblemState | None) -> tuple[str, ...]:
    """The event kinds the state allows (table and state guards; the 延期 deadline is checked per event)."""
    s = state or ProblemState()
    return tuple(kind for kind in KINDS if _refusal(s, kind) is None)


def apply(state: ProblemState | None, event: Event) -> ProblemState:
    """The state after ``event`` (``None`` = no event yet). Pure: ``state`` is left as it was.

    Raises :class:`~ledgerdesk.core.errors.ValidationError` for a missing
    field (see :func:`validate`) or a 延期 that does not move the deadline
    later, and :class:`~ledgerdesk.core.ledger_errors.IllegalTransitionError`
    when the state does not allow the event.
    """
    validate(event)
    s = state or ProblemState()
    refusal = _refusal(s, event.kind)
    if refusal is not None:
        raise IllegalTransitionError(s.state, event.kind, refusal)
    check = EVENT_CHECKS.get(event.kind)
    if check is not None:
        check(s, event)
    changes = EFFECTS[event.kind](s, event)
    changes["state"] = TRANSITIONS[event.kind][s.state]
    changes["updated_at"] = event.at
    changes["returned"] = event.kind == RETURN or (s.returned and event.kind == EXTEND)
    return _evolve(s, changes)


def _evolve(s: ProblemState, changes: dict[str, Any]) -> ProblemState:
    """``dataclasses.replace`` without re-running ``__init__``: a replay applies hundreds of
    thousands of events, and ``replace`` on this 30-field frozen class cost most of the time."""
    new = object.__new__(ProblemState)
    new.__dict__.update(s.__dict__)
    new.__dict__.update(changes)
    return new


def _flag(error: LedgerDeskError, event: Event) -> str:
    """The Chinese review note for an event :func:`derive` skipped."""
    when = f"（{event.at:%Y-%m-%d %H:%M}{'，' + event.actor if event.actor else ''}）"
    if not isinstance(error, IllegalTransitionError):
        return f"无效记录：{error.message}{when}"
    if error.state == UNREGISTERED:
        return f"次序异常：登记之前已有“{error.kind}”{when}"
    detail = f"（{error.detail}）" if error.detail else ""
    return f"并发操作：{error.state}后又有“{error.kind}”{detail}{when}"


def derive(events: Iterable[Event], *, strict: bool = False) -> ProblemState:
    """Replay ``events`` in ``(at, id)`` order into the current state.

    ``strict=True`` raises on the first illegal event (a single device's own
    history must be legal). ``strict=False`` is for synced logs, where events
    of several devices interleave: an illegal event is skipped and described
    in ``flags``, so the result is still deterministic — the same events give
    the same state in whatever order they are passed — and the problem is
    shown for review, never hidden. No events give the blank state (未登记).
    """
    state = ProblemState()
    for event in sorted(events, key=lambda e: e.order_key):
        try:
            state = apply(state, event)
        except (IllegalTransitionError, ValidationError) as error:
            if strict:
                raise
            state = _evolve(state, {"flags": state.flags + (_flag(error, event),)})
    return state


# -- roles ----------------------------------------------------------------------------------------

ADMIN, SECRETARY, CLERK, READ_ONLY = ROLES  # core.vocab

_REVIEWERS = frozenset({ADMIN, SECRETARY})  # the secretary-reviewer decides
_RECORDERS = _REVIEWERS | {CLERK}  # a clerk records what happened

#: event kind → roles that may record it. A clerk (录入员) records facts:
#: registration, progress notes, the responsible's 办结 report, a resident's
#: rating (e.g. taken on a visit) and revisits. Decisions — dispatching,
#: approving extensions, returning, signing off, merging, voiding, reopening —
#: belong to the secretary (书记) or an administrator. 只读 records nothing.
PERMISSIONS: dict[str, frozenset[str]] = {
    REGISTER: _RECORDERS,
    PROGRESS: _RECORDERS,
    RESOLVE: _RECORDERS,
    RATE: _RECORDERS,
    REVISIT: _RECORDERS,
    DISPATCH: _REVIEWERS,
    EXTEND: _REVIEWERS,
    RETURN: _REVIEWERS,
    CLOSE: _REVIEWERS,
    MERGE: _REVIEWERS,
    VOID: _REVIEWERS,
    REOPEN: _REVIEWERS,
}


def check_permission(role: str, kind: str) -> None:
    """Raise :class:`~ledgerdesk.core.ledger_errors.PermissionDeniedError` unless ``role`` may record ``kind``."""
    if role not in PERMISSIONS.get(kind, ()):
        raise PermissionDeniedError(role, kind)
