"""The trail on disk: the log file, its modes and rotation, the crash dump, the uncaught-exception
hooks and the message the advisor sees, and that no patient identifier reaches the file."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from cras_desk import log_files
from cras_desk.db.models import Patient
from cras_desk.log_redaction import redact

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+ \[[^\]]+\] "
)
# One synthetic patient, as the demo data has them (999 range NHS number, Ofcom drama numbers).
NHS, NHS_334 = "9990000034", "999 000 0034"
PHONE, POSTCODE, BORN = "07700 900121", "BN1 1AA", date(1958, 3, 14)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[log_files.LogTrail]:
    previous = os.umask(0o022)  # the usual umask: files would be 0644 if the trail left it to it
    started = log_files.start(tmp_path / "log", max_bytes=4000, backups=2)
    assert started.folder == tmp_path / "log"  # no trail was left running by an earlier test
    yield started
    log_files.stop()
    os.umask(previous)


def written(trail: log_files.LogTrail) -> str:
    trail.handler.flush()
    return trail.log_path.read_text(encoding="utf-8")


def test_patient_identifiers_never_reach_the_file(trail) -> None:
    log = logging.getLogger("cras_desk.test")
    log.warning("booking failed for %s (%s), %s, phone %s, born %s", NHS, NHS_334, POSTCODE, PHONE, BORN)
    try:
        raise ValueError(f"no slot for {NHS_334} at {POSTCODE}; call back on {PHONE}, dob {BORN:%d/%m/%Y}")
    except ValueError:
        log.exception("while booking referral %d", 123)
    text = written(trail)
    for identifier in (NHS, NHS_334, PHONE, POSTCODE, "1958-03-14", "14/03/1958", "07700900121"):
        assert identifier not in text
    assert "booking failed for [NHS number] ([NHS number]), [postcode], phone [phone], born [date]" in text
    assert "while booking referral 123" in text  # ids stay: they are how IT finds the record
    assert "ValueError: no slot for [NHS number] at [postcode]; call back on [phone], dob [date]" in text
    records = [ln for ln in text.splitlines() if LINE.match(ln)]
    assert [r.split()[1] for r in records] == ["INFO", "WARNING", "ERROR"]  # "started", then ours
    assert " cras_desk.test [MainThread] " in records[1]


def test_database_errors_keep_names_and_values_out_of_the_log(trail, db) -> None:
    def patient() -> Patient:
        return Patient(
            nhs_number=NHS,
            given_name="Siobhán",
            family_name="Quilliam",
            family_key="quilliam",
            given_key="siobhan",
            date_of_birth=BORN,
            sex="female",
            address_line1="12 Marine Parade",
            town="Brighton",
            postcode=POSTCODE,
            postcode_key="BN11AA",
            adjustments=[],
        )

    with db.write() as s:
        s.add(patient())
    with pytest.raises(IntegrityError) as caught, db.write() as s:
        s.add(patient())  # the same NHS number again
    logging.getLogger("cras_desk.test").error("could not add the patient", exc_info=caught.value)
    text = written(trail)
    assert "IntegrityError" in text
    for value in ("Siobhán", "Quilliam", "Marine Parade", NHS, POSTCODE):
        assert value not in text


def test_folder_and_files_are_private_rotated_ones_included(trail) -> None:
    log = logging.getLogger("cras_desk.test")
    for i in range(200):
        log.info("line %03d of the rotation test, padded to make the file grow: %s", i, "x" * 40)
    folder = trail.folder
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["cras-desk.log", "cras-desk.log.1", "cras-desk.log.2", "faults.log"]  # 2 kept
    assert mode(folder) == 0o700
    assert {p.name: mode(p) for p in folder.iterdir()} == dict.fromkeys(names, 0o600)
    for name in names[:3]:
        assert (folder / name).stat().st_size <= 4000
    assert "line 199 of" in written(trail)
    assert "line 199 of" not in (folder / "cras-desk.log.1").read_text(encoding="utf-8")


def test_loose_modes_left_by_an_older_run_are_tightened(tmp_path) -> None:
    folder = tmp_path / "log"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    (folder / "cras-desk.log").write_text("", encoding="utf-8")
    (folder / "cras-desk.log").chmod(0o644)
    (folder / "cras-desk.log.1").write_text("older\n", encoding="utf-8")
    (folder / "cras-desk.log.1").chmod(0o644)
    log_files.start(folder)
    log_files.stop()
    assert mode(folder) == 0o700
    assert mode(folder / "cras-desk.log") == 0o600 and mode(folder / "cras-desk.log.1") == 0o600


def test_the_log_folder_follows_the_overrides(tmp_path, monkeypatch) -> None:
    from cras_desk.paths import log_dir

    monkeypatch.setenv("CRAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CRAS_LOG_DIR", raising=False)
    assert log_dir() == tmp_path / "data" / "log"  # tests and demos keep their trail beside their data
    monkeypatch.setenv("CRAS_LOG_DIR", str(tmp_path / "logs"))
    assert log_dir() == tmp_path / "logs"
    assert mode(tmp_path / "logs") == 0o700


def test_an_uncaught_exception_in_a_slot_is_logged_and_the_advisor_told_plainly(qtbot, trail) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from cras_desk.gui.crash_notice import CrashNotice

    notice = CrashNotice()
    trail.set_presenter(notice.show)
    carried_on: list[bool] = []

    def broken_slot() -> None:
        raise KeyError(f"patient {NHS_334}")

    QTimer.singleShot(0, broken_slot)  # raised inside Qt's event loop: PySide hands it to sys.excepthook
    QTimer.singleShot(20, lambda: carried_on.append(True))
    qtbot.waitUntil(lambda: notice.box is not None and notice.box.isVisible())
    box = notice.box
    assert isinstance(box, QMessageBox)
    assert box.text() == (
        f"Something went wrong. What you typed is kept. The details are in the log: {trail.log_path}"
    )
    assert "Traceback" not in box.text() and "KeyError" not in box.text()
    qtbot.waitUntil(lambda: carried_on == [True])  # the desk's event loop went on under the box

    # While the box is up, a second error is logged but does not stack a second box.
    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: written(trail).count("uncaught exception") == 2)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes == [box]
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: notice.box is None)

    text = written(trail)
    assert "CRITICAL" in text and "Traceback (most recent call last)" in text
    assert "KeyError: 'patient [NHS number]'" in text and NHS_334 not in text


def test_an_exception_in_another_thread_is_shown_on_the_ui_thread(qtbot, trail) -> None:
    from PySide6.QtCore import QThread

    from cras_desk.gui.crash_notice import CrashNotice

    notice = CrashNotice()
    trail.set_presenter(notice.show)
    seen_on: list[bool] = []
    notice.asked.connect(lambda _text: seen_on.append(QThread.currentThread().isMainThread()))

    def work() -> None:
        raise RuntimeError("the printer went away")

    worker = threading.Thread(target=work, name="letters-printer")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: notice.box is not None)
    assert seen_on == [True]
    assert "uncaught exception in thread letters-printer" in written(trail)
    notice.box.close()
    qtbot.waitUntil(lambda: notice.box is None)


def run_python(code: str, env_folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRAS_LOG_DIR": str(env_folder), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_a_hard_crash_leaves_the_stacks_in_the_faults_file(tmp_path) -> None:
    folder = tmp_path / "log"
    crash = (
        "import os, signal\n"
        "from cras_desk import log_files\n"
        "log_files.start()\n"
        "def deep_in_the_desk():\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
        "deep_in_the_desk()\n"
    )
    done = run_python(crash, folder)
    assert done.returncode == -11  # it did die of the signal
    faults = (folder / "faults.log").read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in faults
    assert "line 5 in deep_in_the_desk" in faults
    assert mode(folder / "faults.log") == 0o600

    # The next start keeps that dump aside, says so in the log, and starts an empty faults file.
    again = run_python("from cras_desk import log_files\nlog_files.start()\n", folder)
    assert again.returncode == 0, again.stderr
    assert "Fatal Python error" in (folder / "faults.log.1").read_text(encoding="utf-8")
    assert (folder / "faults.log").stat().st_size == 0
    assert "the previous run ended in a hard crash" in (folder / "cras-desk.log").read_text(encoding="utf-8")
    assert mode(folder / "faults.log.1") == 0o600


def test_the_command_line_starts_the_trail_and_says_where_it_is(tmp_path) -> None:
    folder = tmp_path / "log"
    missing = tmp_path / "no such folder" / "desk.sqlite3"  # SQLite cannot create it: uncaught
    code = f"import sys\nfrom cras_desk.cli import main\nsys.exit(main(['db', 'upgrade', '--url', 'sqlite:///{missing}']))\n"
    done = run_python(code, folder)
    assert done.returncode == 1
    log_path = folder / "cras-desk.log"
    assert done.stderr.strip() == f"Something went wrong. The details are in the log: {log_path}"
    text = log_path.read_text(encoding="utf-8")
    assert re.search(r"INFO cras_desk\.log_files \[MainThread\] CRAS Desk [\d.]+ started", text)
    assert "CRITICAL" in text and "Traceback (most recent call last)" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS 943 476 5919, 9434765919, 943-476-5919", "NHS [NHS number], [NHS number], [NHS number]"),
        ("07700 900121 / +44 7700 900121 / (01273) 123456", "[phone] / [phone] / [phone]"),
        ("BN1 1AA, SW1A 1AA, bn11aa", "[postcode], [postcode], [postcode]"),
        ("1958-03-14, 14/03/1958, 14 March 1958", "[date], [date], [date]"),
        ("(datetime.date(1958, 3, 14), 'x')", "([date], 'x')"),
        ("+1 415 555 0100 99", "[number]"),
        # What the trail needs stays: ids, versions, addresses in memory, times of day.
        ("referral 12345, PySide6 6.11.3, at 0x7f5a1e84c190, 10:30", None),
        ("KeyError: 'provider_name'", None),
    ],
)
def test_redaction(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)
