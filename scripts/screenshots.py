"""Screenshots of the desk's main screens, taken in a real window (run it under Xvfb).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py \\
        --data /tmp/cras-bench/data-30000 --out docs/screenshots

Works on a copy of a seeded demo database (the demo users' password is public), so the
screens show realistic volume and the source database is left as it was. Writes desk-*.png.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DEMO_PASSWORD = "demo-password"  # published in the README for the demo data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding a seeded cras-desk.sqlite3")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--size", default="1440x900")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    work = Path(tempfile.mkdtemp(prefix="cras-shots-"))
    shutil.copyfile(args.data / "cras-desk.sqlite3", work / "cras-desk.sqlite3")
    os.environ["CRAS_DATA_DIR"] = str(work)
    os.environ["CRAS_CONFIG_DIR"] = str(work)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget
    from sqlalchemy import select

    from cras_desk.db.engine import Database, sqlite_url
    from cras_desk.db.models import Patient, Referral, User
    from cras_desk.drafts import DraftStore
    from cras_desk.gui import style
    from cras_desk.gui.desk_context import DeskContext
    from cras_desk.gui.main_window import MainWindow
    from cras_desk.gui.sign_in.connection import target_from
    from cras_desk.gui.sign_in.dialog import SignInDialog
    from cras_desk.gui.tasks import TaskRunner
    from cras_desk.services.bundle import ServiceBundle
    from cras_desk.settings import Settings

    app = QApplication(sys.argv[:1])
    style.apply(app)
    args.out.mkdir(parents=True, exist_ok=True)
    tasks = TaskRunner()

    def wait(done: Callable[[], bool], timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError("screen did not settle")
            app.processEvents()
            time.sleep(0.01)

    def settle(ms: int = 400) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(widget: QWidget, name: str) -> None:
        settle()
        path = args.out / f"desk-{name}.png"
        # 256 colours without dithering: flat UI colours stay exact, and the file stays small.
        image = (
            widget.grab()
            .toImage()
            .convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither)
        )
        image.save(str(path), "PNG")
        print(f"{path} {path.stat().st_size // 1024} KB")

    db_path = work / "cras-desk.sqlite3"
    settings = Settings(last_username="advisor")
    dialog = SignInDialog(settings, tasks, target_from(None, ""))
    dialog.show()
    wait(lambda: dialog.database is not None)
    QTest.keyClicks(dialog.ui.password, "x" * len(DEMO_PASSWORD))
    shot(dialog, "sign-in")
    dialog.close()
    dialog.take_database().dispose()

    db = Database(sqlite_url(db_path))
    services = ServiceBundle.build(db)

    def desk(username: str) -> MainWindow:
        actor = services.auth.sign_in(username, DEMO_PASSWORD)
        ctx = DeskContext(services, actor, tasks, DraftStore(username), Settings())
        window = MainWindow(ctx, database_text=f"embedded database ({db_path})")
        window.resize(width, height)
        window.show()
        window.start()
        wait(lambda: window._first_page_done and tasks.pending == 0)
        return window

    # An advisor's own patient with reasonable adjustments, the kind the pane must not let slip.
    advisor = desk("advisor")
    with db.read() as s:
        me = s.scalar(select(User.id).where(User.username == "advisor"))
        candidates = s.execute(
            select(Referral.id, Patient.adjustments, Patient.interpreter_needed)
            .join(Patient, Patient.id == Referral.patient_id)
            .where(Referral.assigned_to == me, Referral.is_open.is_(True))
            .order_by(Referral.priority_rank, Referral.breach_on)
            .limit(400)
        ).all()
    rid = next(
        (r for r, adj, interp in candidates if adj and interp),
        next((r for r, adj, _i in candidates if adj), candidates[0][0]),
    )
    services.claims.claim(advisor.ctx.actor, rid)
    advisor.claimed_referral = rid
    advisor.open_referral(rid)
    advisor.worklist.refresh_referral(rid)
    wait(lambda: advisor.patient.record is not None and tasks.pending == 0)
    outcome = advisor.flow["outcome"].widget()
    advisor.show_flow("outcome")
    wait(lambda: outcome is not None and outcome.number_combo.count() > 0)
    shot(advisor, "worklist")

    QTest.keyClick(outcome, Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)  # callback requested
    outcome.notes_edit.setPlainText("Patient at work until 4pm; asked for a call back after 5.")
    wait(lambda: tasks.pending == 0)
    shot(advisor, "call-outcome")

    advisor.show_flow("choice")
    choice = advisor.flow["choice"].widget()
    wait(lambda: choice is not None and choice.model.rowCount() > 0 and tasks.pending == 0)
    shot(advisor, "choice")

    advisor.show_flow("booking")
    booking = advisor.flow["booking"].widget()
    wait(lambda: booking is not None and tasks.pending == 0)
    settle(800)
    shot(advisor, "booking")

    advisor.lock.lock()
    shot(advisor, "locked")
    advisor.lock.unlock()
    advisor.close()

    lead = desk("lead")
    lead.ui.screens.setCurrentWidget(lead.team)
    wait(lambda: lead.team.ready is not None and tasks.pending == 0)
    settle(1000)
    shot(lead, "team-lead")
    lead.close()

    tasks.wait_idle(10_000)
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
