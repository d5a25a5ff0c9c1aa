"""The worklist: filtered, sorted, paged referral rows for the GUI's table model.

Everything happens in SQL (see worklist_statements), so a table of 300,000 referrals pages as fast
as one of 300. This module decides who may see which view, turns a view into a statement shape and
its parameters, and runs it on a session's connection with plain SQLAlchemy Core.

Listing is not audited (it shows the actor's own or team's workload, as a paper worklist would),
but a page of search results is: it picks patients by an identifier. The audit records the kind
of search only, never the typed text, which may itself identify a patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, text

from cras_desk.db.engine import Database
from cras_desk.domain import input_rules
from cras_desk.domain.clock import today_london, utcnow
from cras_desk.domain.enums import Priority, ReferralStatus, Role, ServiceCode
from cras_desk.domain.errors import PermissionDenied, ValidationError
from cras_desk.domain.search_terms import SearchKind, SearchTerm, classify
from cras_desk.services import access, audit
from cras_desk.services.actor import Actor
from cras_desk.services.worklist_statements import (
    NARROW,
    PG_CUSTOM_PLANS,
    ROW_STATEMENT,
    VERY_BROAD,
    VERY_BROAD_COUNT,
    WALK_PATIENTS,
    Shape,
    capped_count_statement,
    count_statement,
    needs_patient,
    page_statement,
    probe_statement,
    search_params,
)
from cras_desk.services.worklist_view import (
    MAX_PAGE,
    Scope,
    SortKey,
    WorklistFilter,
    WorklistRow,
    display_name,
)

# Ten years: every referral that could still be open breaches within it (and the sum stays a date).
MAX_BREACH_WITHIN_DAYS = 3660


def _to_row(rec: Sequence[Any]) -> WorklistRow:
    return WorklistRow(
        referral_id=rec[0],
        patient_id=rec[1],
        priority=rec[2],
        received_on=rec[3],
        breach_on=rec[4],
        patient_name=display_name(rec[5], rec[6]),
        nhs_number=rec[7],
        service=rec[8],
        service_name=rec[9],
        status=rec[10],
        attempt_count=rec[11],
        next_action_at=rec[12],
        claimed_by_name=rec[13],
        claimed_until=rec[14],
        assigned_to_name=rec[15],
        postcode=rec[16],
    )


def _plan_walk(conn: Connection, shape: Shape, params: dict[str, Any]) -> Shape:
    """Whether SQLite should walk the patients for a page sorted by a patient column (see Shape)."""
    if conn.dialect.name != "sqlite" or shape.search is not None or not needs_patient(shape.sort):
        return shape
    many = conn.execute(capped_count_statement(shape), {**params, "at_most": WALK_PATIENTS}).scalar_one()
    return shape._replace(walk_patients=int(many) >= WALK_PATIENTS)


def _plan_search(conn: Connection, shape: Shape, params: dict[str, Any], very_broad: int) -> Shape:
    """Decide how to run the search (see NARROW), or make sure PostgreSQL decides it afresh."""
    if shape.search is None or shape.search is SearchKind.NHS_NUMBER:
        return shape
    if conn.dialect.name != "sqlite":
        # psycopg prepares a statement run five times, and PostgreSQL may then reuse one generic
        # plan whatever the prefix: the plan for "smith" on "s" took 100 ms instead of 12.
        conn.execute(text(PG_CUSTOM_PLANS))
        return shape
    probe = probe_statement(shape.search, shape.search_given, shape.search_whole)
    matched = int(conn.execute(probe, {**params, "probe_limit": very_broad}).scalar_one())
    return shape._replace(from_patients=matched < NARROW, exists=matched >= very_broad)


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
        # The shape was worked out from the Actor as given; caller() refuses unless its role and
        # team are the users row's, so the shape stands only for a caller who really has them.
        if term is None:
            with self.db.read() as session:
                access.caller(session, actor)
                conn = session.connection()
                shape = _plan_walk(conn, shape, params)
                return [_to_row(rec) for rec in conn.execute(page_statement(shape), params)]
        with self.db.write() as session:
            actor = access.caller(session, actor)
            conn = session.connection()
            shape = _plan_search(conn, shape, params, VERY_BROAD)
            rows = [_to_row(rec) for rec in conn.execute(page_statement(shape), params)]
            audit.record(session, actor, "search", "referral", detail={"kind": term.kind.value})
        return rows

    def count(self, actor: Actor, flt: WorklistFilter, *, at_most: int | None = None) -> int:
        """How many rows page() would give in all (not audited: it shows no patient).

        With at_most, stop counting there: a search box can show "1,000+" at the cost of a page
        where an exact count of a very broad search ("0" in the phone box) tests every row.
        """
        with self.db.read() as session:
            actor = access.caller(session, actor)
            conn = session.connection()
            statement, params = self._count_query(conn, actor, flt, at_most)
            return int(conn.execute(statement, params).scalar_one())

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
        with self.db.read() as session:
            access.caller(session, actor)
            conn = session.connection()
            shape = _plan_walk(conn, _plan_search(conn, shape, params, VERY_BROAD), params)
            return page_statement(shape), params

    def count_statement(
        self, actor: Actor, flt: WorklistFilter, *, at_most: int | None = None
    ) -> tuple[Select[Any], dict[str, Any]]:
        """The SELECT and parameters count() runs now."""
        with self.db.read() as session:
            actor = access.caller(session, actor)
            return self._count_query(session.connection(), actor, flt, at_most)

    def _count_query(
        self, conn: Connection, actor: Actor, flt: WorklistFilter, at_most: int | None
    ) -> tuple[Select[Any], dict[str, Any]]:
        if at_most is not None and at_most < 1:
            raise ValidationError("Count at most 1 or more rows.")
        if at_most is not None:
            input_rules.whole_number(at_most, "Count at most", 1, input_rules.MAX_ID)
        _term, shape, params = _planned(actor, flt, SortKey.URGENCY, False)
        params = _with_clock(flt, params)
        if at_most is None:
            return count_statement(_plan_search(conn, shape, params, VERY_BROAD_COUNT)), params
        # Capped, the count stops early like a page does, so it is planned like one.
        params["at_most"] = at_most
        return capped_count_statement(_plan_search(conn, shape, params, VERY_BROAD)), params

    def _page_shape(
        self,
        actor: Actor,
        flt: WorklistFilter,
        sort: SortKey,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[SearchTerm | None, Shape, dict[str, Any]]:
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"A worklist page holds 1 to {MAX_PAGE} rows from offset 0 or more.")
        input_rules.whole_number(offset, "The worklist position", 0, input_rules.MAX_ID)
        term, shape, params = _planned(actor, flt, sort, bool(descending))
        params = _with_clock(flt, params)
        params["limit"] = limit
        params["offset"] = offset
        return term, shape, params

    def row(self, actor: Actor, referral_id: int) -> WorklistRow | None:
        """One row again after a change; None if it is gone or outside what the actor may list.

        Filters are not applied: the GUI decides whether a changed row still belongs in its view.
        """
        with self.db.read() as session:
            actor = access.caller(session, actor)
            found = session.connection().execute(ROW_STATEMENT, {"referral_id": referral_id, "now": utcnow()})
            rec = found.first()
        if rec is None or not self._may_list(actor, rec.assigned_to, rec.team_id):
            return None
        return _to_row(rec)

    @staticmethod
    def _may_list(actor: Actor, assigned_to: int | None, team_id: int | None) -> bool:
        if actor.role is Role.ADMIN:
            return True
        return assigned_to == actor.user_id or (team_id is not None and team_id == actor.team_id)

    @staticmethod
    def _compile(
        actor: Actor, flt: WorklistFilter, term: SearchTerm | None, sort: SortKey, descending: bool
    ) -> tuple[Shape, dict[str, Any]]:
        """Check the actor may see this scope and turn the filter into a shape and its parameters."""
        scope = Scope(flt.scope)
        if scope is Scope.ALL:
            # A lead's scope is their own team, as the database's row-level security has it.
            actor.require(Role.ADMIN, action="see every team's worklist")
        if flt.advisor_id is not None and flt.advisor_id != actor.user_id and not actor.is_lead:
            raise PermissionDenied("Only a team lead may look at another advisor's worklist.")
        if flt.breach_within_days is not None and flt.breach_within_days < 0:
            raise ValidationError("Breach within must be 0 days or more.")
        if flt.breach_within_days is not None:
            input_rules.whole_number(
                flt.breach_within_days, "Breach within (days)", 0, MAX_BREACH_WITHIN_DAYS
            )
        if flt.advisor_id is not None:
            input_rules.record_id(flt.advisor_id, "advisor")

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
            params.update(search_params(term))

        shape = Shape(
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
) -> tuple[SearchTerm | None, Shape, dict[str, Any]]:
    """The search term, statement shape and clock-free parameters of one view of the worklist.

    Cached: the same view is asked for again and again (the next page, the refresh after a change,
    the count beside the page), and working it out again costs a fifth of an NHS-number search on
    SQLite. Callers copy the parameters (see _with_clock); a refused view raises every time, as
    exceptions are not cached.
    """
    term = classify(input_rules.search_text(flt.search))
    shape, params = WorklistService._compile(actor, flt, term, SortKey(sort), descending)
    return term, shape, params


def _with_clock(flt: WorklistFilter, params: dict[str, Any]) -> dict[str, Any]:
    """A copy of a view's parameters with the ones that move with the clock."""
    params = {**params, "now": utcnow()}
    if flt.breach_within_days is not None:
        params["breach_limit"] = today_london() + timedelta(days=flt.breach_within_days)
    return params


__all__ = [
    "MAX_PAGE",
    "Scope",
    "SortKey",
    "WorklistFilter",
    "WorklistRow",
    "WorklistService",
    "display_name",
]
