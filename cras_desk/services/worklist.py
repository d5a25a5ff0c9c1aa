"""The worklist: filtered, sorted, paged referral rows for the GUI's table model.

Everything happens in SQL, so a table of 300,000 referrals pages as fast as one of 300:

- The page is picked first, from `referrals` alone (plus `patients` only when the sort needs a
  patient column), ordered like one of the composite indexes so that LIMIT stops the index scan
  early; display fields (names, service, users) are joined for the page's ids only.
- Searches use the normalised key columns as ranges (`key >= p AND key < p + '~'`): keys hold
  only [a-z0-9 +], and on PostgreSQL they use collation "C", so the range is a prefix match on
  both backends and a plain b-tree range scan.
- A narrow search (an NHS number, a surname) starts from the patients it matches; a broad one
  ("s", "bn2") walks the worklist in sort order instead. PostgreSQL chooses from its statistics;
  SQLite is told, by a cheap count of the matches (see _NARROW, _Unindexed).

Statements are built once per *shape* (which filters are present, the sort, the direction) with
bind parameters, and cached: a page request costs a dictionary of parameters, not a recompile.

Descending order is the exact reverse of ascending, tie-breaks included: toggling a column header
reverses the list, and a backward index scan serves it.

Listing is not audited (it shows the actor's own or team's workload, as a paper worklist would),
but a page of search results is: it picks patients by an identifier. The audit records the kind
of search only, never the typed text, which may itself identify a patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from cras_desk.db.engine import Database
from cras_desk.db.models import Patient, PatientPhone, Referral, Service, User
from cras_desk.db.prepared import Prepared, PreparedConnection
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import Priority, ReferralStatus, Role, ServiceCode
from cras_desk.domain.errors import PermissionDenied, ValidationError
from cras_desk.domain.search_terms import SearchKind, SearchTerm, classify
from cras_desk.services import audit
from cras_desk.services.actor import Actor

# Core tables, not ORM entities: a Core select skips the ORM's compile and row machinery, which
# on a one-row search would cost more than the query itself.
_R = Referral.__table__
_P = Patient.__table__
_PH = PatientPhone.__table__
_S = Service.__table__
_U = User.__table__

MAX_PAGE = 1000
_KEY_END = "~"  # sorts after every character a search key may hold ([a-z0-9 +])


class Scope(StrEnum):
    MINE = "mine"
    TEAM = "team"
    ALL = "all"  # team leads and admins only


class SortKey(StrEnum):
    URGENCY = "urgency"  # priority, then breach date
    BREACH = "breach"
    NAME = "name"  # family name, then given name
    RECEIVED = "received"
    STATUS = "status"  # in workflow order, then urgency
    ATTEMPTS = "attempts"  # then urgency
    NEXT_ACTION = "next_action"  # referrals without one sort last (first when descending)
    SERVICE = "service"  # service name, then urgency
    NHS = "nhs"


@dataclass(frozen=True)
class WorklistFilter:
    scope: Scope = Scope.MINE
    advisor_id: int | None = None  # team leads: one advisor's work (within the scope)
    service: ServiceCode | None = None
    priority: Priority | None = None
    # None: every open status (and closed ones too with include_closed). A status given is
    # shown whether open or closed: asking for "booked" means wanting to see booked referrals.
    status: ReferralStatus | None = None
    include_closed: bool = False
    # With no status and no search: leave out booked referrals, which need no call (the advisor's
    # to-do list). A search still finds them: the patient who rings in about an appointment.
    to_do: bool = False
    breach_within_days: int | None = None  # breach date on or before today + n (includes breached)
    callbacks_due: bool = False  # open, next_action_at <= now
    search: str = ""  # interpreted by domain.search_terms.classify


@dataclass(frozen=True)
class WorklistRow:
    referral_id: int
    patient_id: int
    priority: Priority
    received_on: date
    breach_on: date
    patient_name: str  # "NOWAK, Łukasz"
    nhs_number: str  # 10 digits; the GUI formats it 3-3-4
    service: ServiceCode
    service_name: str
    status: ReferralStatus
    attempt_count: int
    next_action_at: datetime | None
    claimed_by_name: str | None  # only while the claim is live
    claimed_until: datetime | None  # likewise
    assigned_to_name: str | None
    postcode: str

    def weeks_waited(self, today: date) -> int:
        """Completed weeks since the referral was received (the RTT reporting unit)."""
        return (today - self.received_on).days // 7

    def days_to_breach(self, today: date) -> int:
        """0 on the breach date, negative once breached."""
        return (self.breach_on - today).days


def display_name(family_name: str, given_name: str) -> str:
    """NHS style "NOWAK, Łukasz": the family name stands out when read aloud over the phone."""
    return f"{family_name.upper()}, {given_name}"


# --- statement shapes ------------------------------------------------------------------------------


class _Shape(NamedTuple):
    """Everything that changes the SQL text; the values go in bind parameters.

    A NamedTuple, not a frozen dataclass: made and hashed (the statement caches' key) on every
    page request, and a tuple does both several times faster.
    """

    assignee: bool
    team: bool
    nothing: bool  # a team scope for a user without a team
    service: bool
    priority: bool
    status: ReferralStatus | None
    include_closed: bool
    to_do: bool
    breach_within: bool
    callbacks_due: bool
    search: SearchKind | None
    search_given: bool
    search_whole: bool
    sort: SortKey
    descending: bool
    # How a search is run (see _plan_search); only SQLite needs telling, on PostgreSQL the SQL is
    # the same either way. from_patients: start from the patients the search matches (few).
    # Otherwise walk the worklist in its order, testing each row against a list of the matching
    # patients built first, or, when they are very many, against the patient row itself (exists).
    from_patients: bool = True
    exists: bool = False


def _prefix_range(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    return and_(column >= bindparam(f"{name}_lo"), column < bindparam(f"{name}_hi"))


def _patient_condition(shape: _Shape, p: Any) -> ColumnElement[bool]:
    """The search as a condition on a `patients` table (not used for phone searches)."""
    assert shape.search is not None
    return _patient_match(shape.search, shape.search_given, shape.search_whole, p)


def _patient_match(kind: SearchKind, given: bool, whole: bool, p: Any) -> ColumnElement[bool]:
    if kind is SearchKind.NHS_NUMBER:
        return p.c.nhs_number == bindparam("nhs")
    if kind is SearchKind.NHS_PREFIX:
        # nhs_number does not use collation "C" on PostgreSQL, so compare whole 10-digit strings,
        # which every collation orders by digit.
        return and_(p.c.nhs_number >= bindparam("nhs_lo"), p.c.nhs_number <= bindparam("nhs_hi"))
    if kind is SearchKind.POSTCODE:
        return _prefix_range(p.c.postcode_key, "pc")
    if kind is SearchKind.DATE_OF_BIRTH:
        return p.c.date_of_birth == bindparam("dob")  # ix_patients_date_of_birth: a dozen a day
    assert kind is SearchKind.NAME
    family = _prefix_range(p.c.family_key, "fam")
    if given:
        family = and_(family, _prefix_range(p.c.given_key, "giv"))
    if whole:
        # "o suil": the words may all be the family name, or given name then family name.
        return or_(_prefix_range(p.c.family_key, "whole"), family)
    return family


def _sort_columns(sort: SortKey, r: Any, p: Any, s: Any) -> list[ColumnElement[Any]]:
    """The ascending sort, ending with the referral id so every order is total."""
    urgency = [r.c.priority_rank, r.c.breach_on]
    if sort is SortKey.URGENCY:
        cols = urgency
    elif sort is SortKey.BREACH:
        cols = [r.c.breach_on]
    elif sort is SortKey.NAME:
        cols = [p.c.family_key, p.c.given_key]
    elif sort is SortKey.RECEIVED:
        cols = [r.c.received_on]
    elif sort is SortKey.STATUS:
        workflow = case({st.value: i for i, st in enumerate(ReferralStatus)}, value=r.c.status)
        cols = [workflow, *urgency]
    elif sort is SortKey.ATTEMPTS:
        cols = [r.c.attempt_count, *urgency]
    elif sort is SortKey.NEXT_ACTION:
        cols = [r.c.next_action_at]
    elif sort is SortKey.SERVICE:
        cols = [s.c.name, *urgency]
    elif sort is SortKey.NHS:
        cols = [p.c.nhs_number]
    else:  # pragma: no cover - exhaustive over SortKey
        raise ValueError(sort)
    return [*cols, r.c.id]


def _order_by(shape: _Shape, r: Any, p: Any, s: Any) -> list[ColumnElement[Any]]:
    out: list[ColumnElement[Any]] = []
    for col in _sort_columns(shape.sort, r, p, s):
        if col is r.c.next_action_at and not shape.callbacks_due:
            # Same NULL placement on both engines (their defaults differ). With callbacks_due
            # there are no NULLs, and leaving the clause out lets SQLite use the index order.
            out.append(col.desc().nulls_first() if shape.descending else col.asc().nulls_last())
        else:
            out.append(col.desc() if shape.descending else col.asc())
    return out


def _needs_patient(sort: SortKey) -> bool:
    return sort in (SortKey.NAME, SortKey.NHS)


class _Unindexed(ColumnElement[Any]):
    """A column SQLite must not pick an index for: written `+col`, SQLite's documented planner hint.

    Renders as the plain column on other engines (PostgreSQL plans from statistics).
    """

    inherit_cache = True
    _traverse_internals: ClassVar = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _unindexed_default(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def _conditions(shape: _Shape, r: Any, p: Any | None) -> list[ColumnElement[bool]]:
    """WHERE clauses on `referrals` r; a patient search uses p if the page already joins it."""

    def col(name: str) -> Any:
        # A narrow search starts from the few patients it matches, then their referrals. Left to
        # itself SQLite (with or without ANALYZE statistics) may prefer the index with the most
        # equality columns, e.g. (team_id, is_open), and test every open referral of the team
        # against the search: 50-300 ms at 300,000 referrals instead of 1.
        return _Unindexed(r.c[name]) if shape.search is not None and shape.from_patients else r.c[name]

    where: list[ColumnElement[bool]] = []
    if shape.nothing:
        where.append(false())
    if shape.assignee:
        where.append(col("assigned_to") == bindparam("assignee"))
    if shape.team:
        where.append(col("team_id") == bindparam("team"))
    if shape.status is not None:
        where.append(col("is_open") == (true() if shape.status.is_open else false()))
        where.append(col("status") == bindparam("status"))
    elif shape.callbacks_due or not shape.include_closed:
        where.append(col("is_open") == true())
    if shape.to_do:
        where.append(col("status") != ReferralStatus.BOOKED.value)
    if shape.priority:
        where.append(col("priority_rank") == bindparam("priority_rank"))
    if shape.service:
        where.append(
            col("service_id") == select(_S.c.id).where(_S.c.code == bindparam("service")).scalar_subquery()
        )
    if shape.breach_within:
        where.append(col("breach_on") <= bindparam("breach_limit"))
    if shape.callbacks_due:
        where.append(col("next_action_at") <= bindparam("now"))
    # A broad search must not start from its patients, and with statistics SQLite would.
    patient_id = _patient_id(shape, r)
    if shape.search is SearchKind.PHONE and shape.exists:
        number = _Unindexed(_PH.c.number_key)  # look the patient's phones up, not the range
        where.append(
            exists().where(
                _PH.c.patient_id == r.c.patient_id,
                number >= bindparam("phone_lo"),
                number < bindparam("phone_hi"),
            )
        )
    elif shape.search is SearchKind.PHONE:
        phones = select(_PH.c.patient_id).where(_prefix_range(_PH.c.number_key, "phone"))
        where.append(patient_id.in_(phones))  # IN, not a join: two matching phones, one row
    elif shape.search is not None:
        if p is not None:
            where.append(_patient_condition(shape, p))
        elif shape.exists:
            pp = _P.alias("ps")
            where.append(exists().where(pp.c.id == r.c.patient_id, _patient_condition(shape, pp)))
        else:
            pp = _P.alias("ps")
            where.append(patient_id.in_(select(pp.c.id).where(_patient_condition(shape, pp))))
    return where


def _patient_id(shape: _Shape, r: Any) -> Any:
    """referrals.patient_id, kept from its index when a broad search must walk the worklist."""
    broad = shape.search is not None and not shape.from_patients
    return _Unindexed(r.c.patient_id) if broad else r.c.patient_id


@lru_cache(maxsize=256)
def _page_statement(shape: _Shape) -> Select[Any]:
    ri = _R.alias("ri")
    pi = _P.alias("pi") if _needs_patient(shape.sort) else None
    si = _S.alias("si") if shape.sort is SortKey.SERVICE else None
    source: Any = ri
    if pi is not None:
        source = source.join(pi, pi.c.id == _patient_id(shape, ri))
    if si is not None:
        source = source.join(si, si.c.id == ri.c.service_id)
    page = (
        select(ri.c.id.label("rid"))
        .select_from(source)
        .where(*_conditions(shape, ri, pi))
        .order_by(*_order_by(shape, ri, pi, si))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    return _rows_for(page.join(_R, _R.c.id == page.c.rid)).order_by(*_order_by(shape, _R, _P, _S))


def _rows_for(source: Any) -> Select[Any]:
    """The display columns for referrals already chosen in `source` (which must hold _R).

    Enum and datetime columns come back undecoded (type_coerce to String) and _to_row decodes
    them: SQLAlchemy's per-value processors cost more than the query on a 100-row page.
    """
    claimer = _U.alias("claimer")
    assignee = _U.alias("assignee")
    live = _R.c.claimed_until > bindparam("now")
    return select(
        _R.c.id,
        _R.c.patient_id,
        type_coerce(_R.c.priority, String),
        _R.c.received_on,
        _R.c.breach_on,
        _P.c.family_name,
        _P.c.given_name,
        _P.c.nhs_number,
        type_coerce(_S.c.code, String),
        _S.c.name,
        type_coerce(_R.c.status, String),
        _R.c.attempt_count,
        type_coerce(_R.c.next_action_at, String),
        claimer.c.full_name,
        type_coerce(case((live, _R.c.claimed_until), else_=None), String),
        assignee.c.full_name,
        _P.c.postcode,
    ).select_from(
        source.join(_P, _P.c.id == _R.c.patient_id)
        .join(_S, _S.c.id == _R.c.service_id)
        .outerjoin(claimer, and_(claimer.c.id == _R.c.claimed_by, live))
        .outerjoin(assignee, assignee.c.id == _R.c.assigned_to)
    )


@lru_cache(maxsize=128)
def _count_statement(shape: _Shape) -> Select[Any]:
    return select(func.count()).select_from(_R).where(*_conditions(shape, _R, None))


@lru_cache(maxsize=64)
def _capped_count_statement(shape: _Shape) -> Select[Any]:
    ri = _R.alias("ri")
    matches = select(ri.c.id).where(*_conditions(shape, ri, None)).limit(bindparam("at_most"))
    return select(func.count()).select_from(matches.subquery())


# The display columns, then what decides whether the actor may list the row at all.
_ROW_STATEMENT = Prepared(
    _rows_for(_R).add_columns(_R.c.assigned_to, _R.c.team_id).where(_R.c.id == bindparam("referral_id"))
)

_PRIORITIES = {p.value: p for p in Priority}
_STATUSES = {s.value: s for s in ReferralStatus}
_SERVICES = {s.value: s for s in ServiceCode}


def _utc(value: str | datetime) -> datetime:
    """What UtcDateTime would give: SQLite hands back naive UTC text, psycopg an aware datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")  # a tenth of the cost of .replace(tzinfo=)
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _date(value: str | date) -> date:
    """SQLite hands back dates as ISO text (prepared statements run no result processors)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _to_row(rec: Any) -> WorklistRow:
    next_action, claimed_until = rec[12], rec[14]
    # A frozen dataclass's __init__ sets its 16 fields one by one through object.__setattr__,
    # which costs more than SQLite takes to find the row. Filling __dict__ makes the same object.
    row = object.__new__(WorklistRow)
    row.__dict__.update(
        {
            "referral_id": rec[0],
            "patient_id": rec[1],
            "priority": _PRIORITIES[rec[2]],
            "received_on": _date(rec[3]),
            "breach_on": _date(rec[4]),
            "patient_name": display_name(rec[5], rec[6]),
            "nhs_number": rec[7],
            "service": _SERVICES[rec[8]],
            "service_name": rec[9],
            "status": _STATUSES[rec[10]],
            "attempt_count": rec[11],
            "next_action_at": None if next_action is None else _utc(next_action),
            "claimed_by_name": rec[13],
            "claimed_until": None if claimed_until is None else _utc(claimed_until),
            "assigned_to_name": rec[15],
            "postcode": rec[16],
        }
    )
    return row


# How SQLite runs a search depends on how many patients it matches, counted (up to _VERY_BROAD)
# by an index range scan first. Fewer than _NARROW: start from them (their referrals by
# patient_id). More: walk the worklist in sort order so LIMIT stops early, testing each row
# against a list of the matches built first; from _VERY_BROAD on (a phone number's first digits,
# "0", "07700", match nearly everyone), building that list costs more than looking each row's
# patient up. Measured on SQLite at 300,000 referrals: 1,000 matching patients take 4-8 ms from the
# patients, 8,000 take 100 ms that way and 10-25 ms walking; the phone prefix "07700" (all
# patients) took 0.5-1 s with a list and a few ms looking rows up.
_NARROW = 2000
PG_CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"
_VERY_BROAD = 20000
# A full count tests every row of the scope, not just a page's worth, so the list pays for itself
# up to many more matches: "s" (22,000 patients) counts in 45-75 ms with it, 100-300 ms without.
_VERY_BROAD_COUNT = 100_000


@lru_cache(maxsize=32)
def _probe_statement(kind: SearchKind, given: bool, whole: bool) -> Select[Any]:
    """How many patients (or phones) the search matches, counting no further than the probe."""
    if kind is SearchKind.PHONE:
        matches = select(_PH.c.id).where(_prefix_range(_PH.c.number_key, "phone"))
    else:
        pp = _P.alias("pp")
        matches = select(pp.c.id).where(_patient_match(kind, given, whole, pp))
    return select(func.count()).select_from(matches.limit(bindparam("probe_limit")).subquery())


@lru_cache(maxsize=512)
def _prepared(statement: Select[Any]) -> Prepared:
    """The Prepared form of one of this module's cached statements (cached by identity)."""
    return Prepared(statement)


def _plan_search(conn: PreparedConnection, shape: _Shape, params: dict[str, Any], very_broad: int) -> _Shape:
    """Decide how to run the search (see _NARROW), or make sure PostgreSQL decides it afresh."""
    if shape.search is None or shape.search is SearchKind.NHS_NUMBER:
        return shape
    if conn.dialect_name != "sqlite":
        # psycopg prepares a statement run five times, and PostgreSQL may then reuse one generic
        # plan whatever the prefix: the plan for "smith" on "s" took 100 ms instead of 12.
        conn.run_text(PG_CUSTOM_PLANS)
        return shape
    probe = _prepared(_probe_statement(shape.search, shape.search_given, shape.search_whole))
    matched = conn.scalar(probe, {**params, "probe_limit": very_broad})
    return shape._replace(from_patients=matched < _NARROW, exists=matched >= very_broad)


# --- the service -----------------------------------------------------------------------------------


class WorklistService:
    """Pages of referral rows for the worklist table; the GUI's model pages through these."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def page(
        self,
        actor: Actor,
        flt: WorklistFilter,
        sort: SortKey = SortKey.URGENCY,
        descending: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> list[WorklistRow]:
        """Rows offset..offset+limit-1 of the filtered, sorted worklist.

        A page of a search is audited (action "search", the kind of search only, never the typed
        text): it lists patients picked by an identifier, not by the actor's own workload.
        """
        term, shape, params = self._page_shape(actor, flt, sort, descending, offset, limit)
        # Prepared statements, not a Session: on SQLite the Session's and Core's per-statement
        # machinery costs several times a query that takes a tenth of a millisecond.
        with self.db.prepared(write=term is not None) as conn:
            if term is not None:
                shape = _plan_search(conn, shape, params, _VERY_BROAD)
            rows = [_to_row(rec) for rec in conn.rows(_prepared(_page_statement(shape)), params)]
            if term is not None:
                audit.record_prepared(conn, actor, "search", "referral", detail={"kind": term.kind.value})
        return rows

    def count(self, actor: Actor, flt: WorklistFilter, *, at_most: int | None = None) -> int:
        """How many rows page() would give in all (not audited: it shows no patient).

        With at_most, stop counting there: a search box can show "1,000+" at the cost of a page
        where an exact count of a very broad search ("0" in the phone box) tests every row.
        """
        with self.db.prepared() as conn:
            statement, params = self._count_query(conn, actor, flt, at_most)
            return int(conn.scalar(_prepared(statement), params))

    def page_statement(
        self,
        actor: Actor,
        flt: WorklistFilter,
        sort: SortKey = SortKey.URGENCY,
        descending: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[Select[Any], dict[str, Any]]:
        """The SELECT and parameters page() runs now (without its audit), for EXPLAIN and benchmarks."""
        _term, shape, params = self._page_shape(actor, flt, sort, descending, offset, limit)
        with self.db.prepared() as conn:
            return _page_statement(_plan_search(conn, shape, params, _VERY_BROAD)), params

    def count_statement(
        self, actor: Actor, flt: WorklistFilter, *, at_most: int | None = None
    ) -> tuple[Select[Any], dict[str, Any]]:
        """The SELECT and parameters count() runs now."""
        with self.db.prepared() as conn:
            return self._count_query(conn, actor, flt, at_most)

    def _count_query(
        self, conn: PreparedConnection, actor: Actor, flt: WorklistFilter, at_most: int | None
    ) -> tuple[Select[Any], dict[str, Any]]:
        if at_most is not None and at_most < 1:
            raise ValidationError("Count at most 1 or more rows.")
        _term, shape, params = _planned(actor, flt, SortKey.URGENCY, False)
        params = _with_clock(flt, params)
        if at_most is None:
            return _count_statement(_plan_search(conn, shape, params, _VERY_BROAD_COUNT)), params
        # Capped, the count stops early like a page does, so it is planned like one.
        params["at_most"] = at_most
        return _capped_count_statement(_plan_search(conn, shape, params, _VERY_BROAD)), params

    def _page_shape(
        self,
        actor: Actor,
        flt: WorklistFilter,
        sort: SortKey,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[SearchTerm | None, _Shape, dict[str, Any]]:
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"A worklist page holds 1 to {MAX_PAGE} rows from offset 0 or more.")
        term, shape, params = _planned(actor, flt, sort, bool(descending))
        params = _with_clock(flt, params)
        params["limit"] = limit
        params["offset"] = offset
        return term, shape, params

    def row(self, actor: Actor, referral_id: int) -> WorklistRow | None:
        """One row again after a change; None if it is gone or outside what the actor may list.

        Filters are not applied: the GUI decides whether a changed row still belongs in its view.
        """
        with self.db.prepared() as conn:
            found = conn.rows(_ROW_STATEMENT, {"referral_id": referral_id, "now": utcnow()})
        if not found or not self._may_list(actor, found[0][-2], found[0][-1]):
            return None
        return _to_row(found[0])

    @staticmethod
    def _may_list(actor: Actor, assigned_to: int | None, team_id: int | None) -> bool:
        if actor.is_lead:
            return True
        return assigned_to == actor.user_id or (team_id is not None and team_id == actor.team_id)

    @staticmethod
    def _compile(
        actor: Actor, flt: WorklistFilter, term: SearchTerm | None, sort: SortKey, descending: bool
    ) -> tuple[_Shape, dict[str, Any]]:
        """Check the actor may see this scope and turn the filter into a shape and its parameters."""
        scope = Scope(flt.scope)
        if scope is Scope.ALL:
            actor.require(Role.TEAM_LEAD, action="see every team's worklist")
        if flt.advisor_id is not None and flt.advisor_id != actor.user_id and not actor.is_lead:
            raise PermissionDenied("Only a team lead may look at another advisor's worklist.")
        if flt.breach_within_days is not None and flt.breach_within_days < 0:
            raise ValidationError("Breach within must be 0 days or more.")

        params: dict[str, Any] = {}
        assignee = flt.advisor_id if flt.advisor_id is not None else None
        if assignee is None and scope is Scope.MINE:
            assignee = actor.user_id
        if assignee is not None:
            params["assignee"] = assignee
        team = scope is Scope.TEAM and actor.team_id is not None
        if team:
            params["team"] = actor.team_id
        if flt.service is not None:
            params["service"] = ServiceCode(flt.service).value
        if flt.priority is not None:
            params["priority_rank"] = Priority(flt.priority).rank
        status = ReferralStatus(flt.status) if flt.status is not None else None
        if status is not None:
            params["status"] = status.value
        if term is not None:
            params.update(_search_params(term))

        shape = _Shape(
            assignee=assignee is not None,
            team=team,
            nothing=scope is Scope.TEAM and actor.team_id is None,
            service=flt.service is not None,
            priority=flt.priority is not None,
            status=status,
            include_closed=flt.include_closed,
            to_do=flt.to_do and status is None and not flt.include_closed and term is None,
            breach_within=flt.breach_within_days is not None,
            callbacks_due=flt.callbacks_due,
            search=term.kind if term is not None else None,
            search_given=term is not None and term.given is not None,
            search_whole=term is not None and term.whole is not None,
            sort=sort,
            descending=bool(descending),
        )
        return shape, params


@lru_cache(maxsize=256)
def _planned(
    actor: Actor, flt: WorklistFilter, sort: SortKey, descending: bool
) -> tuple[SearchTerm | None, _Shape, dict[str, Any]]:
    """The search term, statement shape and clock-free parameters of one view of the worklist.

    Cached: the same view is asked for again and again (the next page, the refresh after a change,
    the count beside the page), and working it out again costs a fifth of an NHS-number search on
    SQLite. Callers copy the parameters (see _with_clock); a refused view raises every time, as
    exceptions are not cached.
    """
    term = classify(flt.search)
    shape, params = WorklistService._compile(actor, flt, term, SortKey(sort), descending)
    return term, shape, params


def _with_clock(flt: WorklistFilter, params: dict[str, Any]) -> dict[str, Any]:
    """A copy of a view's parameters with the ones that move with the clock."""
    params = {**params, "now": utcnow()}
    if flt.breach_within_days is not None:
        params["breach_limit"] = today_london() + timedelta(days=flt.breach_within_days)
    return params


def _search_params(term: SearchTerm) -> dict[str, Any]:
    kind, value = term.kind, term.value
    if kind is SearchKind.NHS_NUMBER:
        return {"nhs": value}
    if kind is SearchKind.NHS_PREFIX:
        return {"nhs_lo": value.ljust(10, "0"), "nhs_hi": value.ljust(10, "9")}
    if kind is SearchKind.PHONE:
        return {"phone_lo": value, "phone_hi": value + _KEY_END}
    if kind is SearchKind.POSTCODE:
        return {"pc_lo": value, "pc_hi": value + _KEY_END}
    if kind is SearchKind.DATE_OF_BIRTH:
        # A date still being typed, or one nobody is born on, matches nothing (NULL equals nothing).
        return {"dob": date.fromisoformat(value) if value and term.note is None else None}
    params = {"fam_lo": value, "fam_hi": value + _KEY_END}
    if term.given is not None:
        params |= {"giv_lo": term.given, "giv_hi": term.given + _KEY_END}
    if term.whole is not None:
        params |= {"whole_lo": term.whole, "whole_hi": term.whole + _KEY_END}
    return params


__all__ = [
    "Scope",
    "SortKey",
    "WorklistFilter",
    "WorklistRow",
    "WorklistService",
    "display_name",
]
