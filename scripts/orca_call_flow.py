"""Run Orca against the desk and show what it speaks during a call; walk the AT-SPI tree as Orca sees it.

For people and CI jobs that have the Linux accessibility stack; the in-process tests
(tests/gui/test_accessibility.py) run everywhere. What it does, under a private X server and
D-Bus session (nothing of the desktop you run it from is touched):

1. builds the small test world (tests/world.py) in a temporary SQLite file;
2. starts Xvfb, a D-Bus session, the AT-SPI bus and Orca 43 with `--debug-file`;
3. starts an AT-SPI listener (system python3 + pyatspi) that records the desk's events;
4. runs the desk (QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1) and drives the call flow through its real
   widgets with QTest keys: sign in, F2 (next patient), outcome "1" + notes + Ctrl+Return,
   choice (Ctrl+Return, Return), booking (Return, Return), Ctrl+L and a wrong unlock password;
5. asks the listener to walk the accessibility tree at the sign-in dialog, the desk and the lock
   screen: every interactive control with its role and name, unnamed ones flagged;
6. reports which of the desk's result messages Orca spoke (its "SPEECH OUTPUT" log lines), and
   any password character seen in any AT-SPI event (text inserted, names, values).

Needs (Debian 12): apt-get install orca at-spi2-core dbus-x11 xvfb python3-pyatspi gir1.2-atspi-2.0
Run from the repository:

    .venv/bin/python scripts/orca_call_flow.py            # report on stdout, exit 1 on a problem
    .venv/bin/python scripts/orca_call_flow.py --keep     # and keep the logs (path printed)

Exit status 0: every result message spoken, every control named, no password character leaked.
The desk's own modes, used by the script itself: --drive (the desk, in the venv) and --listen
(the AT-SPI listener, in the system python3 that has pyatspi).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
WRONG = "Zebra-Quartz 42"  # typed on the lock screen: must not be spoken either
STEP_S = 4.0  # time for Orca (slow with its debug log) to catch up before the next step


# --- orchestration (venv python) ----------------------------------------------------------------------


def world_password() -> str:
    """The small test world's (synthetic) password, from tests/world.py: the one place it is kept."""
    if str(ROOT / "tests") not in sys.path:
        sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from world import PASSWORD

    return PASSWORD


def build_world(path: Path) -> None:
    world_password()  # puts tests/ on the path
    from world import build_world as build

    from cras_desk.db.engine import Database, make_engine, sqlite_url
    from cras_desk.db.migrate import upgrade

    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()
    db = Database(sqlite_url(path))
    build(db)
    db.dispose()


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # its own session: only what this script started
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def missing_tools() -> list[str]:
    need = {
        "Xvfb": shutil.which("Xvfb"),
        "dbus-launch": shutil.which("dbus-launch"),
        "orca": shutil.which("orca"),
    }
    need["at-spi-bus-launcher"] = BUS_LAUNCHER if Path(BUS_LAUNCHER).exists() else None
    ok = subprocess.run([SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True).returncode == 0
    need["python3-pyatspi"] = "yes" if ok else None
    return [name for name, found in need.items() if not found]


def orchestrate(keep: bool) -> int:
    missing = missing_tools()
    if missing:
        print(f"missing: {', '.join(missing)} (see this script's docstring)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="cras-orca-"))
    build_world(work / "world.db")
    runtime = work / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work / "home"),
        "DISPLAY": ":97",
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "LANG": "C.UTF-8",
    }
    (work / "home").mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            start(["Xvfb", ":97", "-screen", "0", "1366x768x24", "-nolisten", "tcp"], env, work / "xvfb.log")
        )
        time.sleep(1.5)
        bus = subprocess.run(
            ["dbus-launch", "--sh-syntax"], env=env, capture_output=True, text=True, check=True
        )
        for line in bus.stdout.splitlines():
            if line.startswith("DBUS_SESSION_BUS_ADDRESS="):
                env["DBUS_SESSION_BUS_ADDRESS"] = line.split("=", 1)[1].rstrip(";").strip("'")
            if line.startswith("DBUS_SESSION_BUS_PID="):
                env["CRAS_DBUS_PID"] = line.split("=", 1)[1].rstrip(";")
        procs.append(start([BUS_LAUNCHER, "--launch-immediately"], env, work / "at-spi.log"))
        time.sleep(1.0)
        orca_log = work / "orca-debug.out"
        prefs = work / "orca-prefs"
        prefs.mkdir()
        orca = start(
            ["orca", "--replace", "-u", str(prefs), "--debug-file", str(orca_log)], env, work / "orca.log"
        )
        procs.append(orca)
        time.sleep(4.0)
        listener = start([SYSTEM_PYTHON, __file__, "--listen", str(work)], env, work / "listener.log")
        procs.append(listener)
        time.sleep(1.5)
        desk_env = {
            **env,
            "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
            "QT_ACCESSIBILITY": "1",
            "CRAS_DATA_DIR": str(work / "desk-data"),
            "CRAS_CONFIG_DIR": str(work / "desk-config"),
        }
        desk = subprocess.run(
            [sys.executable, __file__, "--drive", str(work)],
            env=desk_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        (work / "desk.log").write_text(desk.stdout + desk.stderr, encoding="utf-8")
        (work / "stop").touch()
        time.sleep(1.5)
    finally:
        for proc in reversed(procs):
            stop(proc)
        pid = env.get("CRAS_DBUS_PID")
        if pid and pid.isdigit():
            os.kill(int(pid), signal.SIGTERM)  # the session bus dbus-launch started for us
    status = report(work, desk.returncode)
    if keep or status:
        print(f"\nlogs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return status


def report(work: Path, desk_status: int) -> int:
    problems: list[str] = []
    if desk_status != 0:
        problems.append(f"the desk driver failed ({desk_status}): see desk.log")
    spoken = [
        line.strip()
        for line in (work / "orca-debug.out").read_text(encoding="utf-8", errors="replace").splitlines()
        if "SPEECH OUTPUT:" in line
    ]
    expected_file = work / "announced.json"
    timed = json.loads(expected_file.read_text(encoding="utf-8")) if expected_file.exists() else []
    # A message replaced before its notice was shown ("Saving..." then "Saved") is never shown.
    expected = [
        text
        for (at, text), nxt in zip(timed, [*timed[1:], None], strict=True)
        if nxt is None or nxt[0] - at > 0.5
    ]
    print(
        f"Orca spoke {len(spoken)} utterances; the desk announced {len(timed)} messages,"
        f" {len(expected)} shown.\n"
    )
    print("Result messages and what Orca said:")
    for message in expected:
        key = message[:60]
        hits = [line for line in spoken if key in line]
        print(f"  {'SPOKEN ' if hits else 'SILENT '} {message}")
        for line in hits[:1]:
            print(f"           {line}")
        if not hits:
            problems.append(f"Orca did not speak: {message}")
    secrets = (world_password(), WRONG, "Zebra", "Quartz", "horse")
    leaks = [line for line in spoken if any(s.lower() in line.lower() for s in secrets if len(s) > 3)]
    for line in leaks:
        problems.append(f"Orca spoke a password: {line}")
    for walk_file in sorted(work.glob("walk-*.json")):
        walk = json.loads(walk_file.read_text(encoding="utf-8"))
        unnamed = [c for c in walk["controls"] if not c["name"].strip()]
        print(
            f"\nAT-SPI walk at {walk['at']}: {len(walk['controls'])} interactive controls,"
            f" {len(unnamed)} unnamed"
        )
        for c in walk["controls"]:
            print(f"  {'UNNAMED ' if not c['name'].strip() else ''}{c['role']}: {c['name']!r}")
        problems += [f"unnamed {c['role']} at {walk['at']}" for c in unnamed]
    events_file = work / "events.jsonl"
    events = (
        [json.loads(line) for line in events_file.read_text(encoding="utf-8").splitlines()]
        if events_file.exists()
        else []
    )
    leaked = [e for e in events if any(s in json.dumps(e) for s in secrets if len(s) > 3)]
    password_events = [
        e for e in events if e["role"] == "password text" and e["type"].startswith("object:text")
    ]
    print(
        f"\nAT-SPI events recorded from the desk: {len(events)}; from password fields: {len(password_events)}"
    )
    problems += [f"password characters in an AT-SPI event: {e}" for e in leaked + password_events]
    print("\n" + ("PROBLEMS:\n  " + "\n  ".join(problems) if problems else "No problems."))
    return 1 if problems else 0


# --- the desk, driven (venv python) -----------------------------------------------------------------------


def drive(work: Path) -> int:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from sqlalchemy.engine import make_url

    from cras_desk.db.engine import sqlite_url
    from cras_desk.gui import style
    from cras_desk.gui.app import DeskApp
    from cras_desk.gui.sign_in.connection import Target
    from cras_desk.gui.tasks import TaskRunner
    from cras_desk.gui.widgets import accessible_roles
    from cras_desk.gui.widgets.announcer import Announcer
    from cras_desk.settings import Settings

    app = QApplication(style.qt_arguments([sys.argv[0]]))
    app.setApplicationName("CRAS Desk")
    style.apply(app, style_chosen=True)
    accessible_roles.install()
    app.setQuitOnLastWindowClosed(False)
    settings = Settings(last_username="")
    target = Target(make_url(sqlite_url(work / "world.db")))  # not embedded: never seeded with demo data
    desk = DeskApp(app, settings, TaskRunner(app), target)
    announced: list[str] = []
    hooked: set[int] = set()
    ctrl = Qt.KeyboardModifier.ControlModifier

    def hook_announcers() -> None:
        for widget in QApplication.topLevelWidgets():
            for announcer in widget.findChildren(Announcer):
                if id(announcer) not in hooked:
                    hooked.add(id(announcer))
                    announcer.announced.connect(lambda text: announced.append((time.monotonic(), text)))

    def walk(name: str) -> None:
        (work / f"walk-{name}.request").touch()

    def focused():  # noqa: ANN202 - where a key goes: the focus of the desk's (or dialog's) window
        top = desk.window if desk.window is not None else desk.dialog
        if top is None:
            return None
        return QApplication.focusWidget() or top.focusWidget() or top

    def key(k: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        target = focused()
        if target is not None:
            QTest.keyClick(target, k, mods)

    def typed(text: str) -> None:
        target = focused()
        if target is not None:
            QTest.keyClicks(target, text)

    def window():  # noqa: ANN202 - the MainWindow, once signed in
        return desk.window

    def sign_in() -> None:
        dialog = desk.dialog
        assert dialog is not None
        dialog.activateWindow()
        hook_announcers()
        dialog.ui.userName.setFocus()
        QTest.keyClicks(dialog.ui.userName, "amy")
        dialog.ui.password.setFocus()
        QTest.keyClicks(dialog.ui.password, world_password())
        QTest.keyClick(dialog.ui.password, Qt.Key.Key_Return)

    def activate() -> None:
        w = window()
        assert w is not None, "not signed in"
        w.activateWindow()
        hook_announcers()

    steps = [
        lambda: walk("sign-in"),
        sign_in,
        activate,
        lambda: key(Qt.Key.Key_F2),  # next patient: "Referral claimed ..."
        lambda: (key(Qt.Key.Key_1), key(Qt.Key.Key_Tab), key(Qt.Key.Key_Tab), typed("Happy to be seen")),
        lambda: key(Qt.Key.Key_Return, ctrl),  # save the call: "Done: ..."
        lambda: key(Qt.Key.Key_F7),
        lambda: key(Qt.Key.Key_Return, ctrl),  # the patient chose the site: the question
        lambda: key(Qt.Key.Key_Return),  # confirmed: "Done: ... choice letter ..."
        lambda: None,
        lambda: key(Qt.Key.Key_Return),  # book the soonest slot: the question
        lambda: key(Qt.Key.Key_Return),  # confirmed: "Done: Booked ..."
        lambda: walk("desk"),
        lambda: key(Qt.Key.Key_L, ctrl),
        lambda: (hook_announcers(), typed(WRONG), key(Qt.Key.Key_Return)),  # "That password is not right."
        lambda: walk("lock-screen"),
        lambda: (typed(world_password()), key(Qt.Key.Key_Return)),
        lambda: None,
    ]
    failures: list[str] = []

    def run_step(i: int = 0) -> None:
        if i == len(steps):
            (work / "announced.json").write_text(json.dumps(announced, indent=1), encoding="utf-8")
            if desk.window is not None:
                desk.window.shutdown()
            app.exit(1 if failures else 0)
            return
        try:
            steps[i]()
        except Exception as exc:  # a step that cannot run is reported, the rest still run
            failures.append(f"step {i}: {exc!r}")
            print(failures[-1], file=sys.stderr)
        QTimer.singleShot(int(STEP_S * 1000), lambda: run_step(i + 1))

    desk.start()
    QTimer.singleShot(3000, run_step)
    return app.exec()


# --- the AT-SPI listener (system python3 with pyatspi) ------------------------------------------------


def listen(work: Path) -> int:
    import pyatspi
    from gi.repository import GLib

    interactive = {
        "push button", "toggle button", "check box", "radio button", "combo box", "text", "entry",
        "password text", "spin button", "table", "list", "tree", "tree table", "page tab", "slider",
    }  # fmt: skip
    events = (work / "events.jsonl").open("a", encoding="utf-8")

    def from_desk(acc) -> bool:  # noqa: ANN001 - an Atspi.Accessible
        try:
            return "orca_call_flow" in acc.getApplication().name or acc.getApplication().name == "CRAS Desk"
        except Exception:
            return False

    def on_event(event) -> None:  # noqa: ANN001 - an Atspi.Event
        source = event.source
        if source is None or not from_desk(source):
            return
        try:
            role, name = source.getRoleName(), source.name or ""
        except Exception:
            return
        record = {"type": event.type, "role": role, "name": name, "detail1": event.detail1}
        if isinstance(event.any_data, str):
            record["data"] = event.any_data
        events.write(json.dumps(record) + "\n")
        events.flush()

    def is_ancestor(candidate, node) -> bool:  # noqa: ANN001 - Atspi.Accessible both
        parent = node.parent
        while parent is not None:
            if parent == candidate:
                return True
            parent = parent.parent
        return False

    def walk(name: str) -> None:
        controls = []
        desktop = pyatspi.Registry.getDesktop(0)
        for app in desktop:
            if app is None or not from_desk(app):
                continue
            stack = [app]
            while stack:
                node = stack.pop()
                try:
                    role = node.getRoleName()
                    showing = node.getState().contains(pyatspi.STATE_SHOWING)
                    if not showing and role != "application":
                        continue
                    if role in interactive:
                        labels = [
                            t.name
                            for r in node.getRelationSet()
                            if r.getRelationType() == pyatspi.RELATION_LABELLED_BY
                            for t in (r.getTarget(i) for i in range(r.getNTargets()))
                            if not is_ancestor(t, node)
                        ]
                        # What Orca says: the label (labelled-by, not a group box around it) if
                        # there is one, else the name.
                        said = " ".join(labels) or node.name or ""
                        controls.append({"role": role, "name": said})
                    if role in ("table", "tree", "tree table", "list"):
                        continue  # cells: named by their contents
                    stack.extend(node[i] for i in range(node.childCount))
                except Exception:
                    continue
        (work / f"walk-{name}.json").write_text(
            json.dumps({"at": name, "controls": controls}), encoding="utf-8"
        )

    def poll() -> bool:
        for request in work.glob("walk-*.request"):
            request.unlink()
            walk(request.stem.removeprefix("walk-"))
        if (work / "stop").exists():
            pyatspi.Registry.stop()
            return False
        return True

    pyatspi.Registry.registerEventListener(
        on_event,
        "object:text-changed",
        "object:text-caret-moved",
        "object:property-change:accessible-name",
        "object:property-change:accessible-value",
        "object:state-changed:showing",
        "object:state-changed:focused",
        "object:announcement",
    )
    GLib.timeout_add(200, poll)
    pyatspi.Registry.start()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the logs")
    parser.add_argument("--drive", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--listen", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.listen:
        return listen(args.listen)
    if args.drive:
        return drive(args.drive)
    return orchestrate(args.keep)


if __name__ == "__main__":
    raise SystemExit(main())
