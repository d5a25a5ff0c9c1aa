"""The worklist model and panel against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from desk_helpers import WAIT, add_referrals, drain, panel_for
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtTest import QTest
from sqlalchemy import func, select

from cras_desk.db.models import AuditEvent
from cras_desk.domain.enums import Priority
from cras_desk.domain.rtt import RttBand
from cras_desk.gui.style import BAND_COLOURS
from cras_desk.gui.worklist.model import BAND_ROLE, COLUMN_INDEX, Query, WorklistModel
from cras_desk.services.worklist import Scope, SortKey, WorklistFilter


def loaded_model(qtbot, ctx, flt: WorklistFilter, page_size: int) -> WorklistModel:
    model = WorklistModel(ctx.services.worklist, ctx.actor, ctx.tasks, page_size)
    with qtbot.waitSignal(model.query_loaded, timeout=WAIT):
        model.set_query(Query(flt))
    return model


def names(model: WorklistModel) -> list[str]:
    col = COLUMN_INDEX["name"]
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_pages_arrive_through_fetch_more_with_a_reentry_guard(qtbot, world, make_desk) -> None:
    add_referrals(world.db, 250, assignee="amy")  # amy also has one referral of her own: 251
    ctx = make_desk(world, "amy")
    model = loaded_model(qtbot, ctx, WorklistFilter(scope=Scope.MINE), page_size=100)
    assert model.rowCount() == 100
    assert model.canFetchMore(QModelIndex())

    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.page_loaded, timeout=WAIT):
        model.fetchMore(QModelIndex())
        assert not model.canFetchMore(QModelIndex())  # a page is on its way: the guard holds
        model.fetchMore(QModelIndex())  # ignored, not a second page
    drain(qtbot, ctx)
    assert model.rowCount() == 200
    assert inserted == [(100, 199)]  # beginInsertRows(first, first + n - 1)

    with qtbot.waitSignal(model.page_loaded, timeout=WAIT):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 251
    assert inserted[-1] == (200, 250)
    assert not model.canFetchMore(QModelIndex())
    ids = [model.referral_id(r) for r in range(model.rowCount())]
    assert len(set(ids)) == 251  # no row twice across the page boundaries

    # The model's order is the service's SQL order, page after page.
    expected = ctx.services.worklist.page(ctx.actor, WorklistFilter(scope=Scope.MINE), limit=1000)
    assert ids == [r.referral_id for r in expected]


def test_the_view_fetches_more_when_scrolled_to_the_end(qtbot, world, make_desk) -> None:
    add_referrals(world.db, 120, assignee="amy")
    ctx = make_desk(world, "amy", page_size=50)
    panel = panel_for(qtbot, ctx)
    assert panel.model.rowCount() == 50
    with qtbot.waitSignal(panel.model.page_loaded, timeout=WAIT):
        panel.table.scrollToBottom()
        bar = panel.table.verticalScrollBar()
        bar.setValue(bar.maximum())
    assert panel.model.rowCount() >= 100


def test_rows_show_rtt_bands_and_nhs_numbers_3_3_4(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, "lena")
    model = loaded_model(qtbot, ctx, WorklistFilter(scope=Scope.TEAM), page_size=100)
    rows = {model.index(r, COLUMN_INDEX["name"]).data(): r for r in range(model.rowCount())}
    assert set(rows) == {"Ó SÚILLEABHÁIN, Zoë", "NOWAK, Łukasz", "SMITH, Siobhán"}

    def cell(name: str, key: str, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return model.index(rows[name], COLUMN_INDEX[key]).data(role)

    # Urgent 5 days ago (14-day target): 9 days left, critical. Routine 100 days ago (126): warning.
    assert cell("Ó SÚILLEABHÁIN, Zoë", "breach") == "9 <2wk"  # the band in words too, not colour alone
    assert cell("Ó SÚILLEABHÁIN, Zoë", "breach", BAND_ROLE) == RttBand.CRITICAL
    assert (
        cell("Ó SÚILLEABHÁIN, Zoë", "breach", Qt.ItemDataRole.BackgroundRole)
        == BAND_COLOURS[RttBand.CRITICAL][0]
    )
    assert cell("NOWAK, Łukasz", "weeks") == "14"
    assert cell("NOWAK, Łukasz", "breach", BAND_ROLE) == RttBand.WARNING
    assert cell("SMITH, Siobhán", "breach", BAND_ROLE) == RttBand.OK
    assert cell("Ó SÚILLEABHÁIN, Zoë", "nhs") == "999 000 0018"
    assert cell("Ó SÚILLEABHÁIN, Zoë", "priority") == "Urgent"
    assert cell("NOWAK, Łukasz", "status") == "Awaiting contact"


def test_sort_by_header_click_is_a_new_sql_query(qtbot, world, make_desk) -> None:
    add_referrals(world.db, 30, assignee="amy", family=lambda i: f"Zed{29 - i:02d}")
    ctx = make_desk(world, "amy")
    panel = panel_for(qtbot, ctx)
    assert panel.table.model() is panel.model  # no proxy model between the view and the SQL
    header = panel.table.horizontalHeader()

    def click(column: int) -> None:
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
            QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
        drain(qtbot, ctx)

    click(COLUMN_INDEX["name"])
    assert panel.model.query.sort is SortKey.NAME
    shown = names(panel.model)
    expected = ctx.services.worklist.page(
        ctx.actor, panel.model.query.filter, SortKey.NAME, panel.model.query.descending, limit=1000
    )
    assert shown == [r.patient_name for r in expected]
    assert shown[0] == "Ó SÚILLEABHÁIN, Zoë" and shown[-1] == "ZED29, Test"  # ó sorts as o

    click(COLUMN_INDEX["name"])  # the second click reverses, in SQL too
    assert panel.model.query.descending
    assert names(panel.model) == list(reversed(shown))

    click(COLUMN_INDEX["weeks"])  # weeks waited ascending = received most recently first
    assert panel.model.query.sort is SortKey.RECEIVED
    weeks = [int(panel.model.index(r, COLUMN_INDEX["weeks"]).data()) for r in range(panel.model.rowCount())]
    assert weeks == sorted(weeks)

    before = panel.model.query
    x = header.sectionViewportPosition(COLUMN_INDEX["claimed"]) + 5
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert panel.model.query == before  # not sortable in SQL: nothing asked, arrow put back
    assert header.sortIndicatorSection() == COLUMN_INDEX["weeks"]


def test_search_as_you_type_shows_only_the_last_keystrokes_rows(qtbot, world, make_desk) -> None:
    add_referrals(world.db, 40, assignee=None)
    ctx = make_desk(world, "amy")
    panel = panel_for(qtbot, ctx)
    panel.set_scope(Scope.TEAM)
    drain(qtbot, ctx)

    def searches() -> int:
        with world.db.read() as s:
            return s.scalar(select(func.count()).where(AuditEvent.action == "search")) or 0

    before = searches()
    gate = threading.Event()
    ctx.tasks.run(lambda: gate.wait(10))  # hold the worker while the advisor types
    shown: list[list[str]] = []
    panel.model.query_loaded.connect(lambda *_: shown.append(names(panel.model)))
    qtbot.keyClicks(panel.search, "nowa")
    gate.set()
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=WAIT)
    drain(qtbot, ctx)
    assert shown == [["NOWAK, Łukasz"]]  # one result shown: the last keystroke's
    assert searches() - before == 1  # "n", "no", "now" were superseded before they ran

    # Typing on while a query runs: each new keystroke supersedes, the list ends on the last text.
    qtbot.keyClicks(panel.search, "k")
    panel.search.clear()
    qtbot.keyClicks(panel.search, "999 000 0034")
    qtbot.waitUntil(lambda: names(panel.model) == ["SMITH, Siobhán"], timeout=WAIT)
    drain(qtbot, ctx)
    assert names(panel.model) == ["SMITH, Siobhán"]


def test_filters_are_sql_filters(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, "amy")
    panel = panel_for(qtbot, ctx)
    assert names(panel.model) == ["Ó SÚILLEABHÁIN, Zoë"]  # my work
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        panel.set_scope(Scope.TEAM)
    assert sorted(names(panel.model)) == ["NOWAK, Łukasz", "SMITH, Siobhán", "Ó SÚILLEABHÁIN, Zoë"]
    assert panel.scope.findData(Scope.ALL) == -1  # advisors are not offered every team's work
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        panel.priority.setCurrentIndex(panel.priority.findData(Priority.ROUTINE))
    assert sorted(names(panel.model)) == ["NOWAK, Łukasz", "SMITH, Siobhán"]
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        panel.breach.setValue(30)
    assert names(panel.model) == ["NOWAK, Łukasz"]  # breaches in 26 days
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        panel.callbacks.setChecked(True)
    assert names(panel.model) == []
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        panel.clear_filters()
    assert len(names(panel.model)) == 3
    drain(qtbot, ctx)
    assert panel.count_label.text() == "3 of 3 referrals"


def test_worklist_model_passes_the_model_tester(qtbot, qtmodeltester, world, make_desk) -> None:
    add_referrals(world.db, 30, assignee="amy")
    ctx = make_desk(world, "amy", page_size=10)
    model = loaded_model(qtbot, ctx, WorklistFilter(scope=Scope.MINE), page_size=10)
    qtmodeltester.check(model)  # also calls fetchMore; the page lands later under the tester's eye
    drain(qtbot, ctx)
    qtmodeltester.check(model)
    assert model.rowCount() >= 10


def test_searches_too_short_to_be_selective_wait_for_more(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, "amy")
    panel = panel_for(qtbot, ctx)
    panel.set_scope(Scope.TEAM)
    drain(qtbot, ctx)
    before = panel.model.query
    qtbot.keyClicks(panel.search, "07700")  # every mobile starts like this: nothing asked yet
    assert panel.model.query is before
    assert panel.search_hint.text() == "Keep typing: a phone number needs 6 digits or more"
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        qtbot.keyClicks(panel.search, "9001")
    assert len(names(panel.model)) == 3  # 07700 9001..: all three world patients
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        qtbot.keyClicks(panel.search, "21")  # 07700 900121: Nowak's number
    assert names(panel.model) == ["NOWAK, Łukasz"]
    assert panel.search_hint.text() == ""
    with qtbot.waitSignal(panel.model.query_loaded, timeout=WAIT):
        panel.search.setText("N")  # back to one letter: the whole list again, and a hint
    assert len(names(panel.model)) == 3
    assert panel.search_hint.text() == "Keep typing: 2 letters of the name or more"
