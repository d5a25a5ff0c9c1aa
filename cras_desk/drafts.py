"""Drafts: what an advisor types is kept on the PC as they type it, and given back after a crash.

Per user, in the drafts folder:
  <user>.json          the snapshot: every draft as of the last compaction ({"<referral>:<field>":
                       text}), replaced atomically (cras_desk/private_files.py);
  <user>.journal       one JSON line per change since then ({"referral", "field", "text"}; an empty
                       text clears that draft), each appended with a single write;
  <user>.journal.old   the journal being folded into the snapshot (present only during a
                       compaction, or after one was interrupted).

A keystroke costs one append to the journal: no fsync and no rename on the GUI thread. What the
process has handed the kernel survives the process being killed (kill -9, a crash, a frozen desk
ended from the task manager); only a power cut or a kernel crash can lose what was typed since the
last pause. Once typing has paused for quiet_seconds a background thread writes the whole snapshot
(0600, fsync, rename, folder fsync) and starts a new journal; close() does the same at once.
Loading reads the snapshot and replays the journals over it, the older one first; a last line torn
by a kill mid-write is ignored. Cleared when the note is saved to the database.

One desk per user per PC: two desks of the same user typing at once would fold each other's
journal into snapshots that lack the other's drafts.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import weakref
from pathlib import Path

from cras_desk.paths import drafts_dir
from cras_desk.private_files import open_private_append, write_private

log = logging.getLogger(__name__)

QUIET_SECONDS = 1.5  # a pause in typing this long writes the snapshot

# The store currently open on each snapshot path in this process. A new store for the same user
# (signing out and in again) first closes the previous one, so two stores never fold the same
# journal at once; at a clean exit every open store writes its snapshot.
_OPEN: weakref.WeakValueDictionary[Path, DraftStore] = weakref.WeakValueDictionary()


class DraftStore:
    def __init__(
        self, username: str, folder: Path | None = None, quiet_seconds: float = QUIET_SECONDS
    ) -> None:
        self.path, self.folding_path, self.journal_path = _paths(username, folder)
        self.quiet_seconds = quiet_seconds
        previous = _OPEN.get(self.path)
        if previous is not None:
            previous.close()
        # Guards the drafts, the journal's descriptor and the compactor's bookkeeping. Held only
        # for in-memory work and one write, never across an fsync.
        self._lock = threading.Lock()
        self._compacting = threading.Lock()  # one compaction at a time
        self._closing = threading.Event()
        self._fd: int | None = None
        self._puts = 0
        self._last_put = 0.0
        self._compactor: threading.Thread | None = None
        self._drafts, live = _load(self.path, self.folding_path, self.journal_path)
        # A journal whose last line was torn by a kill: the next record must start a line of its
        # own, or it would be joined to the torn one and lost with it.
        self._needs_break = bool(live) and not live.endswith(b"\n")
        _OPEN[self.path] = self
        if live or self.folding_path.exists():
            # Left by a desk that did not close: folded into the snapshot once the desk is quiet.
            with self._lock:
                self._last_put = time.monotonic()
                self._schedule_compaction()

    @staticmethod
    def key(referral_id: int, field_name: str) -> str:
        return f"{referral_id}:{field_name}"

    def get(self, referral_id: int, field_name: str) -> str:
        return self._drafts.get(self.key(referral_id, field_name), "")

    def put(self, referral_id: int, field_name: str, text: str) -> None:
        """Keep text as the draft of this referral's field (empty text: no draft). One append to
        the journal; the snapshot is written later, off this thread."""
        k = self.key(referral_id, field_name)
        record = json.dumps({"referral": referral_id, "field": field_name, "text": text}, ensure_ascii=False)
        data = record.encode("utf-8") + b"\n"
        with self._lock:
            if self._drafts.get(k, "") == text:
                return
            if self._fd is None:
                self._fd = open_private_append(self.journal_path)
            if self._needs_break:
                data = b"\n" + data
            self._needs_break = True  # until the whole record is in
            _write_all(self._fd, data)
            self._needs_break = False
            if text:
                self._drafts[k] = text
            else:
                self._drafts.pop(k, None)
            self._puts += 1
            self._last_put = time.monotonic()
            self._schedule_compaction()

    def clear(self, referral_id: int, field_name: str) -> None:
        self.put(referral_id, field_name, "")

    def referrals_with_drafts(self) -> list[int]:
        with self._lock:
            return sorted({int(k.split(":", 1)[0]) for k in self._drafts})

    def compact(self) -> None:
        """Write every draft to the snapshot and start the journal afresh.

        The journal is renamed aside (under the lock, so no keystroke is appended to a file that
        is about to go) and a new one starts with the next put; the snapshot is written outside
        the lock, so typing goes on meanwhile. A crash at any step leaves files that load to the
        same drafts: the old snapshot and both journals, or the new snapshot and journals whose
        records it already holds.
        """
        with self._compacting:
            # A journal left aside by an interrupted compaction is folded in first; the live one
            # cannot be set aside over it, so it is folded by a second pass.
            while not self._fold():
                pass

    def _fold(self) -> bool:
        """One pass of compact(): False if a journal set aside earlier was in the way of the live one."""
        with self._lock:
            if self._fd is None and not self.journal_path.exists() and not self.folding_path.exists():
                return True  # nothing typed since the snapshot was written
            drafts = dict(self._drafts)
            rotated = not self.folding_path.exists()
            if rotated:
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None
                self._needs_break = False
                if self.journal_path.exists():
                    os.replace(self.journal_path, self.folding_path)
        write_private(self.path, json.dumps(drafts, ensure_ascii=False).encode("utf-8"))
        self.folding_path.unlink(missing_ok=True)
        return rotated

    def close(self) -> None:
        """Write the snapshot now and stop the background thread (a clean shutdown). The store
        still works afterwards: a later put opens the journal again."""
        self._closing.set()
        thread = self._compactor
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._closing.clear()
        self.compact()
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _schedule_compaction(self) -> None:
        """Start the compactor unless it is already waiting for typing to pause (lock held)."""
        if self._compactor is None:
            self._compactor = threading.Thread(target=self._compact_when_quiet, name="drafts", daemon=True)
            self._compactor.start()

    def _compact_when_quiet(self) -> None:
        try:
            while True:
                with self._lock:
                    wait = self._last_put + self.quiet_seconds - time.monotonic()
                    seen = self._puts
                if wait > 0:
                    if self._closing.wait(wait):
                        return  # close() compacts
                    continue
                self.compact()
                with self._lock:
                    if self._puts == seen:  # nothing typed while the snapshot was written
                        self._compactor = None
                        return
        except OSError as exc:
            # The journal still holds every draft; the next keystroke tries again.
            log.warning("drafts snapshot not written: %s", exc.strerror or type(exc).__name__)
        finally:
            with self._lock:
                if self._compactor is threading.current_thread():
                    self._compactor = None


def saved_drafts(username: str, folder: Path | None = None) -> dict[str, str]:
    """The drafts as the files in folder hold them (what a desk starting now would restore)."""
    drafts, _live = _load(*_paths(username, folder))
    return drafts


def _paths(username: str, folder: Path | None) -> tuple[Path, Path, Path]:
    """The snapshot, the journal set aside for folding into it, and the live journal."""
    folder = folder or drafts_dir()
    return folder / f"{username}.json", folder / f"{username}.journal.old", folder / f"{username}.journal"


def _load(snapshot: Path, folding: Path, journal: Path) -> tuple[dict[str, str], bytes]:
    """The snapshot with the journal set aside and then the live one replayed over it; and the
    live journal's bytes."""
    drafts = _read_snapshot(snapshot)
    _replay(folding, drafts)
    return drafts, _replay(journal, drafts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_snapshot(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("drafts snapshot unreadable, starting from the journal: %s", type(exc).__name__)
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and v}


def _replay(path: Path, drafts: dict[str, str]) -> bytes:
    """Apply a journal's records to drafts, in order; a line that is not a whole record is skipped.
    Returns the journal's bytes."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        log.warning("drafts journal unreadable: %s", exc.strerror or type(exc).__name__)
        return b""
    for line in data.split(b"\n"):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue  # torn by a kill mid-write
        if not isinstance(record, dict):
            continue
        referral, field_name, text = record.get("referral"), record.get("field"), record.get("text")
        if type(referral) is not int or not isinstance(field_name, str) or not isinstance(text, str):
            continue
        k = DraftStore.key(referral, field_name)
        if text:
            drafts[k] = text
        else:
            drafts.pop(k, None)
    return data


@atexit.register
def _close_open_stores() -> None:
    for store in list(_OPEN.values()):
        try:
            store.close()
        except OSError as exc:
            log.warning("drafts snapshot not written at exit: %s", exc.strerror or type(exc).__name__)
