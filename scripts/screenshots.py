"""Screenshots of every step of the call flow, at 1366x768 and at 1920x1080 (run it under Xvfb).

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshots.py \\
        --data /tmp/shots-data --out docs/screenshots

--data is a folder holding a seeded cras-desk.sqlite3 (`CRAS_DATA_DIR=/tmp/shots-data cras-desk seed`).
Each size works on its own copy of it (the demo users' password is public), so the source is left
as it was and both sizes show the same patient at the same point. Writes desk-<width>-<step>.png:
sign-in, worklist, patient, call-outcome (typed), call-outcome-saved (its result message),
call-outcome-confirm (the discharge question), choice, choice-confirm, booking, booking-confirm,
booking-slot-taken, booking-booked, letters, team, locked; the lead's dashboard as
dashboard-<width>.png; and the admin's windows as admin-<width>-users.png,
admin-<width>-audit.png and admin-<width>-settings.png (opened from the Admin menu, at the size
they open at). The window is the whole screen, as on a laptop or monitor with the desk
maximised; the images are what an advisor sees, unscrolled.

A step that cannot be shown (no free slot in the copy, say) is reported and skipped; the exit code
is 1 if any was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cras_desk.demo.organisation import DEMO_PASSWORD  # published in the README for the demo data

SIZES = ((1366, 768), (1920, 1080))
ADVISOR, OTHER_ADVISOR, LEAD, ADMIN = "advisor", "advisor2", "lead", "admin"
TIMEOUT_S = 120


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding a seeded cras-desk.sqlite3")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    source = args.data / "cras-desk.sqlite3"
    if not source.is_file():
        parser.error(f"no seeded database at {source}")

    work = Path(tempfile.mkdtemp(prefix="cras-shots-"))
    os.environ["CRAS_DATA_DIR"] = str(work / "sign-in")
    os.environ["CRAS_CONFIG_DIR"] = str(work / "config")
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    (work / "sign-in").mkdir()
    shutil.copyfile(source, work / "sign-in" / "cras-desk.sqlite3")

    from PySide6.QtWidgets import QApplication

    from cras_desk.gui import style

    app = QApplication([*sys.argv[:1], *style.qt_arguments([])])
    style.apply(app, style_chosen=True)
    args.out.mkdir(parents=True, exist_ok=True)
    shots = Shots(app, args.out)
    try:
        for width, height in sizes:
            copy = work / f"{width}x{height}"
            copy.mkdir()
            shutil.copyfile(source, copy / "cras-desk.sqlite3")
            shots.sign_in(width)
            shots.call_flow(copy / "cras-desk.sqlite3", width, height)
    finally:
        shots.tasks.wait_idle(10_000)
        shutil.rmtree(work, ignore_errors=True)
    for problem in shots.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    return 1 if shots.problems else 0


class Shots:
    """Drives real desks through the call flow and saves what the screen shows at each step."""

    def __init__(self, app: Any, out: Path) -> None:
        from cras_desk.gui.tasks import TaskRunner

        self.app = app
        self.out = out
        self.tasks = TaskRunner()
        self.problems: list[str] = []

    # -- waiting --------------------------------------------------------------------------------

    def wait(self, done: Callable[[], object], what: str, timeout: float = TIMEOUT_S) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}")
            self.app.processEvents()
            time.sleep(0.01)

    def settle(self, ms: int = 400) -> None:
        """Let the worker finish and the screen repaint (reveals run on the next event-loop turn)."""
        self.wait(lambda: self.tasks.pending == 0, "the database worker")
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def shot(self, widget: Any, width: int, name: str, file: str = "") -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QImage

        self.settle()
        path = self.out / (file or f"desk-{width}-{name}.png")
        # 256 colours without dithering: flat UI colours stay exact, and the file stays small.
        image = (
            widget.grab()
            .toImage()
            .convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither)
        )
        image.save(str(path), "PNG")
        print(f"{path} {image.width()}x{image.height()} {path.stat().st_size // 1024} KB", flush=True)

    def step(self, name: str, fn: Callable[[], None]) -> bool:
        try:
            fn()
            return True
        except Exception as exc:  # a missing step is reported, the others are still taken
            self.problems.append(f"{name}: {exc}")
            traceback.print_exc()
            return False

    # -- screens --------------------------------------------------------------------------------

    def sign_in(self, width: int) -> None:
        from PySide6.QtTest import QTest

        from cras_desk.gui.sign_in.connection import target_from
        from cras_desk.gui.sign_in.dialog import SignInDialog
        from cras_desk.settings import Settings

        dialog = SignInDialog(Settings(last_username=ADVISOR), self.tasks, target_from(None, ""))
        dialog.show()
        try:
            self.wait(lambda: dialog.database is not None, "the sign-in dialog's database")
            QTest.keyClicks(dialog.ui.password, "x" * len(DEMO_PASSWORD))
            self.shot(dialog, width, "sign-in")
        finally:
            dialog.close()
            database = dialog.take_database()
            if database is not None:
                database.dispose()

    def desk(self, services: Any, username: str, width: int, height: int) -> Any:
        from PySide6.QtCore import QRect

        from cras_desk.drafts import DraftStore
        from cras_desk.gui.desk_context import DeskContext
        from cras_desk.gui.main_window import MainWindow
        from cras_desk.settings import Settings

        actor = services.auth.sign_in(username, DEMO_PASSWORD)
        ctx = DeskContext(services, actor, self.tasks, DraftStore(username), Settings())
        window = MainWindow(ctx, database_text="embedded demo database")
        shown: list[bool] = []
        window.first_page_shown.connect(lambda: shown.append(True))
        window.show_on_screen(QRect(0, 0, width, height))  # the whole screen, as if maximised
        window.start()
        self.wait(lambda: shown, "the first worklist page")
        self.settle()
        return window

    def call_flow(self, db_path: Path, width: int, height: int) -> None:
        from cras_desk.db.engine import Database, sqlite_url
        from cras_desk.services.bundle import ServiceBundle

        db = Database(sqlite_url(db_path))
        services = ServiceBundle.build(db)
        try:
            advisor = self.desk(services, ADVISOR, width, height)
            try:
                self.advisor_steps(advisor, services, db, width)
            finally:
                advisor.close()
                self.settle(100)
            lead = self.desk(services, LEAD, width, height)
            try:
                self.step(f"{width} team", lambda: self.team_step(lead, width))
                self.step(f"{width} dashboard", lambda: self.dashboard_step(lead, width))
            finally:
                lead.close()
                self.settle(100)
            admin = self.desk(services, ADMIN, width, height)
            try:
                self.step(f"{width} admin users", lambda: self.admin_users_step(admin, width))
                self.step(f"{width} admin audit", lambda: self.admin_audit_step(admin, width))
                self.step(f"{width} admin settings", lambda: self.admin_settings_step(admin, width))
            finally:
                admin.close()
                self.settle(100)
        finally:
            self.tasks.wait_idle(10_000)
            db.dispose()

    def advisor_steps(self, window: Any, services: Any, db: Any, width: int) -> None:
        rid = pick_referral(db, ADVISOR)
        window.worklist.select_referral(rid)
        self.step(f"{width} worklist", lambda: self.shot(window, width, "worklist"))
        services.claims.claim(window.ctx.actor, rid)
        window.claimed_referral = rid
        failures: list[BaseException] = []
        window.patient.load_failed.connect(failures.append)
        window.open_referral(rid)
        window.worklist.refresh_referral(rid)
        self.wait(lambda: window.patient.record is not None or failures, "the patient's record")
        if failures:
            raise RuntimeError(f"the patient's record did not load: {failures[0]!r}")
        window.show_flow("outcome")
        outcome = window.flow["outcome"].widget()
        self.wait(lambda: outcome.number_combo.count() > 0, "the call outcome panel")
        self.step(f"{width} patient", lambda: self.shot(window, width, "patient"))
        ok = self.step(f"{width} call outcome", lambda: self.outcome_steps(window, outcome, width))
        if ok:
            self.step(f"{width} choice", lambda: self.choice_steps(window, width))
        self.step(f"{width} booking", lambda: self.booking_steps(window, services, db, rid, width))
        self.step(f"{width} letters", lambda: self.letters_step(window, width))
        self.step(f"{width} locked", lambda: self.lock_step(window, width))

    def outcome_steps(self, window: Any, outcome: Any, width: int) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(outcome, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # spoke to the patient
        outcome.notes_edit.setPlainText("Spoke to the patient; happy to choose a clinic now.")
        self.wait(lambda: "If you save" in outcome.preview_text(), "the outcome preview")
        self.shot(window, width, "call-outcome")
        QTest.keyClick(outcome.notes_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        self.wait(lambda: outcome.banner.level == "success", "the saved call's message")
        self.shot(window, width, "call-outcome-saved")
        outcome.discharge_reason.setText("Patient feels better and no longer wants treatment.")
        outcome.request_discharge()
        self.wait(lambda: outcome.confirm.pending, "the discharge question")
        self.shot(window, width, "call-outcome-confirm")
        outcome.confirm.reject()  # not discharged: the call goes on to choice and booking
        outcome.discharge_reason.clear()

    def choice_steps(self, window: Any, width: int) -> None:
        from cras_desk.services.choice import Decision

        window.show_flow("choice")
        choice = window.flow["choice"].widget()
        self.wait(lambda: choice.model.rowCount() > 0, "the choice options")
        self.wait(lambda: choice.selected_option() is not None, "a selected site")
        self.shot(window, width, "choice")
        choice.ask(Decision.CHOSEN)
        self.wait(lambda: choice.confirm.pending, "the choice question")
        self.shot(window, width, "choice-confirm")
        choice.confirm.accept()  # the desk moves on to booking at the chosen site
        self.settle()

    def booking_steps(self, window: Any, services: Any, db: Any, rid: int, width: int) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        window.show_flow("booking")
        booking = window.flow["booking"].widget()
        self.wait(lambda: booking.selected_slot() is not None, "a free slot")
        self.shot(window, width, "booking")
        QTest.keyClick(booking.table, Qt.Key.Key_Return)
        self.wait(lambda: booking.confirm.pending, "the booking question")
        self.shot(window, width, "booking-confirm")
        taken = self.take_slot_elsewhere(services, db, rid, booking.selected_slot())
        QTest.keyClick(booking.confirm.yes_button, Qt.Key.Key_Return)
        if taken:
            self.wait(lambda: booking.banner.level == "error", "the slot-taken message")
            self.shot(window, width, "booking-slot-taken")
            self.wait(lambda: booking.selected_slot() is not None, "the refreshed slots")
            QTest.keyClick(booking.table, Qt.Key.Key_Return)
            self.wait(lambda: booking.confirm.pending, "the booking question")
            QTest.keyClick(booking.confirm.yes_button, Qt.Key.Key_Return)
        self.wait(lambda: booking.banner.level == "success", "the booked message")
        self.shot(window, width, "booking-booked")

    def take_slot_elsewhere(self, services: Any, db: Any, rid: int, slot: Any) -> bool:
        """Another advisor books the slot on screen for another patient: "slot just taken"."""
        try:
            other = services.auth.sign_in(OTHER_ADVISOR, DEMO_PASSWORD)
            for candidate in bookable_referrals(db, rid):
                try:
                    services.booking.book(other, candidate, slot.slot_id)
                    return True
                except Exception:  # not bookable by them, or not at this service: the next one
                    continue
        except Exception as exc:
            self.problems.append(f"slot taken: {exc}")
            return False
        self.problems.append("slot taken: no other referral could take the slot")
        return False

    def letters_step(self, window: Any, width: int) -> None:
        window.ui.screens.setCurrentWidget(window.letters)
        self.wait(lambda: window.letters.ready is not None, "the letters queue")
        self.settle(1500)  # the queue and its first letter's preview
        self.shot(window, width, "letters")
        window.show_desk()

    def lock_step(self, window: Any, width: int) -> None:
        window.lock.lock()
        self.shot(window, width, "locked")
        window.lock.unlock()

    def dashboard_step(self, window: Any, width: int) -> None:
        window.ui.screens.setCurrentWidget(window.dashboard)
        self.wait(lambda: window.dashboard.ready is not None, "the dashboard")
        self.wait(lambda: window.dashboard.ready.loads_finished > 0, "the dashboard's figures")
        self.settle(1000)
        self.shot(window, width, "dashboard", f"dashboard-{width}.png")

    def team_step(self, window: Any, width: int) -> None:
        window.ui.screens.setCurrentWidget(window.team)
        self.wait(lambda: window.team.ready is not None, "the team view")
        self.settle(1000)
        self.shot(window, width, "team")

    def admin_users_step(self, window: Any, width: int) -> None:
        from cras_desk.gui.admin.users_screen import UsersScreen
        from cras_desk.gui.desk_menus import open_admin_window

        screen = open_admin_window(window, window.ctx, UsersScreen.__module__, UsersScreen.__name__)
        try:
            self.wait(lambda: screen.model.rowCount() > 0, "the users list")
            self.shot(screen, width, "users", f"admin-{width}-users.png")
        finally:
            screen.close()

    def admin_audit_step(self, window: Any, width: int) -> None:
        from cras_desk.gui.admin.audit_viewer import AuditViewer
        from cras_desk.gui.desk_menus import open_admin_window

        viewer = open_admin_window(window, window.ctx, AuditViewer.__module__, AuditViewer.__name__)
        try:
            # The advisor's and the lead's steps above wrote the trail this shows: their sign-ins,
            # the records they opened, the calls and the booking.
            viewer.user_edit.setText(ADVISOR)
            shown: list[bool] = []
            viewer.searched.connect(lambda _page: shown.append(True))
            viewer.search()
            self.wait(lambda: shown, "the audit search")
            self.shot(viewer, width, "audit", f"admin-{width}-audit.png")
        finally:
            viewer.close()

    def admin_settings_step(self, window: Any, width: int) -> None:
        from cras_desk.gui.admin.settings_screen import CentralSettingsScreen
        from cras_desk.gui.desk_menus import open_admin_window

        name = CentralSettingsScreen.__name__
        screen = open_admin_window(window, window.ctx, CentralSettingsScreen.__module__, name)
        try:
            self.wait(lambda: screen.version is not None, "the central settings")
            self.shot(screen, width, "settings", f"admin-{width}-settings.png")
        finally:
            screen.close()


def pick_referral(db: Any, username: str) -> int:
    """The advisor's most urgent patient with reasonable adjustments (what the pane must not let
    slip), not yet offered a choice, so the flow from call to booking can be shown."""
    from sqlalchemy import select

    from cras_desk.db.models import Patient, Referral, User
    from cras_desk.domain.enums import ReferralStatus

    with db.read() as s:
        me = s.scalar(select(User.id).where(User.username == username))
        rows = s.execute(
            select(Referral.id, Patient.adjustments, Patient.interpreter_needed)
            .join(Patient, Patient.id == Referral.patient_id)
            .where(
                Referral.assigned_to == me,
                Referral.is_open.is_(True),
                Referral.status.in_([ReferralStatus.AWAITING_CONTACT, ReferralStatus.CONTACTING]),
            )
            .order_by(Referral.priority_rank, Referral.breach_on)
            .limit(400)
        ).all()
    if not rows:
        raise RuntimeError(f"{username} has no referral awaiting contact in this database")
    return next(
        (r for r, adj, interp in rows if adj and interp),
        next((r for r, adj, _i in rows if adj), rows[0][0]),
    )


def bookable_referrals(db: Any, rid: int) -> list[int]:
    from sqlalchemy import select

    from cras_desk.db.models import Referral
    from cras_desk.domain.enums import ReferralStatus

    with db.read() as s:
        service = s.scalar(select(Referral.service_id).where(Referral.id == rid))
        return list(
            s.scalars(
                select(Referral.id)
                .where(
                    Referral.service_id == service,
                    Referral.id != rid,
                    Referral.is_open.is_(True),
                    Referral.claimed_by.is_(None),
                    Referral.status.in_([ReferralStatus.AWAITING_CONTACT, ReferralStatus.CHOICE_PENDING]),
                )
                .limit(20)
            )
        )


if __name__ == "__main__":
    raise SystemExit(main())
