"""The admin's import screen, driven through its real widgets (pytest-qt) on a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_files import good_row, write_csv
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QTableView, QWidget
from sqlalchemy import func, select

from cras_desk.db.models import Referral
from cras_desk.drafts import DraftStore
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.imports.view import ImportView
from cras_desk.gui.main_window import MainWindow
from cras_desk.gui.tasks import TaskRunner
from cras_desk.services.bundle import ServiceBundle
from cras_desk.settings import Settings

WAIT = 60_000


@pytest.fixture
def world_sqlite(_factories):
    from world import World, build_world

    factory = _factories["sqlite"]
    yield World.load(factory.make("world", build_world))
    factory.cleanup()


@pytest.fixture
def make_view(qtbot, world_sqlite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CRAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRAS_CONFIG_DIR", str(tmp_path / "config"))
    runners: list[TaskRunner] = []

    def make(username: str, *, window: bool = False) -> ImportView | MainWindow:
        runner = TaskRunner()
        runners.append(runner)
        ctx = DeskContext(
            services=ServiceBundle.build(world_sqlite.db),
            actor=world_sqlite.actor(username),
            tasks=runner,
            drafts=DraftStore(username, tmp_path),
            settings=Settings(),
        )
        widget: ImportView | MainWindow = (
            MainWindow(ctx, database_text="test database", live_interval_ms=60_000)
            if window
            else ImportView(ctx)
        )
        qtbot.addWidget(widget)
        return widget

    yield make
    for runner in runners:
        runner.wait_idle(WAIT)


def referrals(world) -> int:
    with world.db.read() as s:
        return s.scalar(select(func.count()).select_from(Referral)) or 0


def test_check_then_import_with_progress_and_the_refusals_listed(
    make_view, qtbot, world_sqlite, tmp_path: Path
) -> None:
    rows = [good_row(i % 400, referral_ref=f"SCREEN-{i}") for i in range(2500)]
    rows[5] = good_row(5, referral_ref="SCREEN-5", postcode="ZZ", service="dentistry")
    path = write_csv(tmp_path / "in.csv", rows)
    view = make_view("root")
    view.resize(1366, 700)
    view.show()
    seen: list[tuple[str, int, int]] = []
    view.progressed.connect(lambda stage, done, total: seen.append((stage, done, total)))
    before = referrals(world_sqlite)

    view.path_edit.setFocus()
    qtbot.keyClicks(view.path_edit, str(path))
    assert view.check_button.isEnabled()
    with qtbot.waitSignal(view.finished, timeout=WAIT) as checked:
        qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    dry = checked.args[0]
    assert dry.dry_run and dry.counts()["errors"] == 1
    assert referrals(world_sqlite) == before
    assert view.problems_model.rowCount() == 2
    cells = {
        tuple(view.problems_model.index(r, c).data() for c in range(2))
        for r in range(view.problems_model.rowCount())
    }
    assert cells == {("line 7", "postcode"), ("line 7", "service")}
    assert view.announcer.text() == dry.sentence()
    assert "Checked only" in view.summary_label.text()

    with qtbot.waitSignal(view.finished, timeout=WAIT) as done:
        qtbot.mouseClick(view.import_button, Qt.MouseButton.LeftButton)
    summary = done.args[0]
    assert not summary.dry_run
    assert summary.counts() == {"rows": 2500, "imported": 2499, "updated": 0, "skipped": 0, "errors": 1}
    assert referrals(world_sqlite) == before + 2499
    assert view.progress_bar.maximum() == view.progress_bar.value() == 2500
    assert ("checking", 2000, 2500) in seen
    assert any(stage == "writing" for stage, _, _ in seen)
    assert view.announcer.text() == summary.sentence()


def test_every_control_is_named_and_it_fits_a_small_screen(make_view, qtbot) -> None:
    view = make_view("root")
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    assert view.minimumSizeHint().width() <= 1366
    controls = [
        w
        for w in view.findChildren(QWidget)
        if isinstance(w, (QAbstractButton, QComboBox, QLineEdit, QTableView))
    ]
    assert len(controls) >= 6
    for widget in controls:
        assert widget.accessibleName(), f"{type(widget).__name__} {widget.objectName()} has no name"
    assert view.progress_bar.accessibleName() == "Import progress"
    assert not view.problems_table.horizontalScrollBar().isVisible()


def test_a_missing_file_is_said_and_nothing_runs(make_view, qtbot, tmp_path: Path) -> None:
    view = make_view("root")
    view.path_edit.setText(str(tmp_path / "nope.csv"))
    view.import_button.click()
    assert "No such file" in view.announcer.text()
    assert view.import_button.isEnabled()


def test_a_lead_sees_the_screen_disabled(make_view) -> None:
    view = make_view("lena")
    view.path_edit.setText("x.csv")
    assert not view.import_button.isEnabled() and not view.check_button.isEnabled()
    assert "administrators" in view.announcer.text()


def test_only_an_admin_has_the_imports_tab_built_when_opened(make_view, qtbot) -> None:
    lead = make_view("lena", window=True)
    assert "Imports" not in [lead.ui.screens.tabText(i) for i in range(lead.ui.screens.count())]
    admin = make_view("root", window=True)
    tabs = [admin.ui.screens.tabText(i) for i in range(admin.ui.screens.count())]
    assert "Imports" in tabs
    assert admin.imports is not None and admin.imports.ready is None
    admin.show()
    admin.ui.screens.setCurrentWidget(admin.imports)
    assert isinstance(admin.imports.ready, ImportView)
