"""The worklist's SQL: one statement per *shape* of view, with bind parameters, built once.

- The page is picked first, from `referrals` alone (plus `patients` only when the sort needs a
  patient column), ordered like one of the composite indexes so that LIMIT stops the index scan
  early; display fields (names, service, users) are joined for the page's ids only.
- Searches use the normalised key columns as ranges (`key >= p AND key < p + '~'`): keys hold
  only [a-z0-9 +], and on PostgreSQL they use collation "C", so the range is a prefix match on
  both backends and a plain b-tree range scan.
- A narrow search (an NHS number, a surname) starts from the patients it matches; a broad one
  ("s", "bn2") walks the worklist in sort order instead. PostgreSQL chooses from its statistics;
  SQLite is told, by a cheap count of the matches (see NARROW and db.sqlite_hints).

Descending order is the exact reverse of ascending, tie-breaks included: toggling a column header
reverses the list, and a backward index scan serves it.

Statements are cached per shape (lru_cache), so a page request builds a dictionary of parameters,
not a statement; SQLAlchemy's compiled cache then compiles each shape once per engine.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
)

from cras_desk.db.models import Patient, PatientPhone, Referral, Service, User
from cras_desk.db.sqlite_hints import unindexed
from cras_desk.domain.enums import ReferralStatus
from cras_desk.domain.search_terms import SearchKind, SearchTerm
from cras_desk.services.worklist_view import SortKey

# Core tables, not ORM entities: a worklist page is rows of columns, not objects to change.
R = Referral.__table__
P = Patient.__table__
PH = PatientPhone.__table__
S = Service.__table__
U = User.__table__

KEY_END = "~"  # sorts after every character a search key may hold ([a-z0-9 +])


class Shape(NamedTuple):
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
    # A list sorted by a patient column (name, NHS number) with many rows: SQLite walks the
    # patients in that index's order and looks up each one's referrals, so LIMIT stops early;
    # left to itself it sorts every matching row (a team's 35,000: 100-150 ms). Only for many
    # rows: with few, the walk would visit every patient looking for them.
    walk_patients: bool = False


def _prefix_range(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    return and_(column >= bindparam(f"{name}_lo"), column < bindparam(f"{name}_hi"))


def _patient_condition(shape: Shape, p: FromClause) -> ColumnElement[bool]:
    """The search as a condition on a `patients` table (not used for phone searches)."""
    assert shape.search is not None
    return _patient_match(shape.search, shape.search_given, shape.search_whole, p)


def _patient_match(kind: SearchKind, given: bool, whole: bool, p: FromClause) -> ColumnElement[bool]:
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


def _order_by(shape: Shape, r: Any, p: Any, s: Any) -> list[ColumnElement[Any]]:
    out: list[ColumnElement[Any]] = []
    for col in _sort_columns(shape.sort, r, p, s):
        if col is r.c.next_action_at and not shape.callbacks_due:
            # Same NULL placement on both engines (their defaults differ). With callbacks_due
            # there are no NULLs, and leaving the clause out lets SQLite use the index order.
            out.append(col.desc().nulls_first() if shape.descending else col.asc().nulls_last())
        else:
            out.append(col.desc() if shape.descending else col.asc())
    return out


def needs_patient(sort: SortKey) -> bool:
    return sort in (SortKey.NAME, SortKey.NHS)


def _conditions(shape: Shape, r: Any, p: Any | None) -> list[ColumnElement[bool]]:
    """WHERE clauses on `referrals` r; a patient search uses p if the page already joins it."""

    def col(name: str) -> Any:
        # A narrow search starts from the few patients it matches, then their referrals. Left to
        # itself SQLite (with or without ANALYZE statistics) may prefer the index with the most
        # equality columns, e.g. (team_id, is_open), and test every open referral of the team
        # against the search: 50-300 ms at 300,000 referrals instead of 1.
        return unindexed(r.c[name]) if shape.search is not None and shape.from_patients else r.c[name]

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
            col("service_id") == select(S.c.id).where(S.c.code == bindparam("service")).scalar_subquery()
        )
    if shape.breach_within:
        where.append(col("breach_on") <= bindparam("breach_limit"))
    if shape.callbacks_due:
        where.append(col("next_action_at") <= bindparam("now"))
    # A broad search must not start from its patients, and with statistics SQLite would.
    patient_id = _patient_id(shape, r)
    if shape.search is SearchKind.PHONE and shape.exists:
        number = unindexed(PH.c.number_key)  # look the patient's phones up, not the range
        where.append(
            exists().where(
                PH.c.patient_id == r.c.patient_id,
                number >= bindparam("phone_lo"),
                number < bindparam("phone_hi"),
            )
        )
    elif shape.search is SearchKind.PHONE:
        phones = select(PH.c.patient_id).where(_prefix_range(PH.c.number_key, "phone"))
        where.append(patient_id.in_(phones))  # IN, not a join: two matching phones, one row
    elif shape.search is not None:
        if p is not None:
            where.append(_patient_condition(shape, p))
        elif shape.exists:
            pp = P.alias("ps")
            where.append(exists().where(pp.c.id == r.c.patient_id, _patient_condition(shape, pp)))
        else:
            pp = P.alias("ps")
            where.append(patient_id.in_(select(pp.c.id).where(_patient_condition(shape, pp))))
    return where


def _patient_id(shape: Shape, r: Any) -> Any:
    """referrals.patient_id, kept from its index when a broad search must walk the worklist."""
    broad = shape.search is not None and not shape.from_patients
    return unindexed(r.c.patient_id) if broad else r.c.patient_id


@lru_cache(maxsize=256)
def page_statement(shape: Shape) -> Select[Any]:
    ri = R.alias("ri")
    pi = P.alias("pi") if needs_patient(shape.sort) else None
    si = S.alias("si") if shape.sort is SortKey.SERVICE else None
    source: Any = ri
    if pi is not None:
        # The hint on the patient's id leaves SQLite one way in: the patients, in index order.
        patient = unindexed(pi.c.id) if shape.walk_patients else pi.c.id
        source = source.join(pi, patient == _patient_id(shape, ri))
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
    return rows_for(page.join(R, R.c.id == page.c.rid)).order_by(*_order_by(shape, R, P, S))


def rows_for(source: Any) -> Select[Any]:
    """The display columns, in WorklistRow's order, for the referrals chosen in `source` (holding R)."""
    claimer = U.alias("claimer")
    assignee = U.alias("assignee")
    live = R.c.claimed_until > bindparam("now")
    return select(
        R.c.id,
        R.c.patient_id,
        R.c.priority,
        R.c.received_on,
        R.c.breach_on,
        P.c.family_name,
        P.c.given_name,
        P.c.nhs_number,
        S.c.code,
        S.c.name,
        R.c.status,
        R.c.attempt_count,
        R.c.next_action_at,
        claimer.c.full_name,
        case((live, R.c.claimed_until), else_=None),
        assignee.c.full_name,
        P.c.postcode,
    ).select_from(
        source.join(P, P.c.id == R.c.patient_id)
        .join(S, S.c.id == R.c.service_id)
        .outerjoin(claimer, and_(claimer.c.id == R.c.claimed_by, live))
        .outerjoin(assignee, assignee.c.id == R.c.assigned_to)
    )


@lru_cache(maxsize=128)
def count_statement(shape: Shape) -> Select[Any]:
    return select(func.count()).select_from(R).where(*_conditions(shape, R, None))


@lru_cache(maxsize=64)
def capped_count_statement(shape: Shape) -> Select[Any]:
    ri = R.alias("ri")
    matches = select(ri.c.id).where(*_conditions(shape, ri, None)).limit(bindparam("at_most"))
    return select(func.count()).select_from(matches.subquery())


# One row by id: the display columns, then what decides whether the actor may list the row at all.
ROW_STATEMENT = (
    rows_for(R).add_columns(R.c.assigned_to, R.c.team_id).where(R.c.id == bindparam("referral_id"))
)


# How SQLite runs a search depends on how many patients it matches, counted (up to VERY_BROAD)
# by an index range scan first. Fewer than NARROW: start from them (their referrals by
# patient_id). More: walk the worklist in sort order so LIMIT stops early, testing each row
# against a list of the matches built first; from VERY_BROAD on (a phone number's first digits,
# "0", "07700", match nearly everyone), building that list costs more than looking each row's
# patient up. Measured on SQLite at 300,000 referrals: 1,000 matching patients take 4-8 ms from the
# patients, 8,000 take 100 ms that way and 10-25 ms walking; the phone prefix "07700" (all
# patients) took 0.5-1 s with a list and a few ms looking rows up.
NARROW = 2000
# From this many matching rows on, a page sorted by a patient column walks the patients (see
# Shape.walk_patients). Measured on SQLite at 300,000 referrals: a team's 35,000 open referrals by
# name take 3 ms walking and 100-150 ms sorted; a view with no matches takes 0.8 s walking.
WALK_PATIENTS = 4000
PG_CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"
VERY_BROAD = 20000
# A full count tests every row of the scope, not just a page's worth, so the list pays for itself
# up to many more matches: "s" (22,000 patients) counts in 45-75 ms with it, 100-300 ms without.
VERY_BROAD_COUNT = 100_000


@lru_cache(maxsize=32)
def probe_statement(kind: SearchKind, given: bool, whole: bool) -> Select[Any]:
    """How many patients (or phones) the search matches, counting no further than the probe."""
    if kind is SearchKind.PHONE:
        matches = select(PH.c.id).where(_prefix_range(PH.c.number_key, "phone"))
    else:
        pp = P.alias("pp")
        matches = select(pp.c.id).where(_patient_match(kind, given, whole, pp))
    return select(func.count()).select_from(matches.limit(bindparam("probe_limit")).subquery())


def search_params(term: SearchTerm) -> dict[str, Any]:
    kind, value = term.kind, term.value
    if kind is SearchKind.NHS_NUMBER:
        return {"nhs": value}
    if kind is SearchKind.NHS_PREFIX:
        return {"nhs_lo": value.ljust(10, "0"), "nhs_hi": value.ljust(10, "9")}
    if kind is SearchKind.PHONE:
        return {"phone_lo": value, "phone_hi": value + KEY_END}
    if kind is SearchKind.POSTCODE:
        return {"pc_lo": value, "pc_hi": value + KEY_END}
    if kind is SearchKind.DATE_OF_BIRTH:
        # A date still being typed, or one nobody is born on, matches nothing (NULL equals nothing).
        return {"dob": date.fromisoformat(value) if value and term.note is None else None}
    params = {"fam_lo": value, "fam_hi": value + KEY_END}
    if term.given is not None:
        params |= {"giv_lo": term.given, "giv_hi": term.given + KEY_END}
    if term.whole is not None:
        params |= {"whole_lo": term.whole, "whole_hi": term.whole + KEY_END}
    return params
