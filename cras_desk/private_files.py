"""The desk's own files on the PC (the embedded database, settings, drafts, the outbox, logs, letter
PDFs, exports): the user's alone, replaced whole.

Everything the desk keeps beside the database may name a patient or the database server, so each
file is created 0600 inside a 0700 folder and is never, even for a moment, readable by anybody
else, whatever the umask: the mode is given to the call that creates the file or folder and then
set again (a umask can only take bits away, and a file left by an older desk keeps its own mode).
A file is replaced by writing a new one beside it and renaming it into place, so a crash or a
full disk at any point leaves either the old contents or the new, never half of each.

Every place the desk creates a file or folder goes through this module. A file is written only
into a folder that is there: the desk's own folders are made (0700) by cras_desk.paths and the
stores that own them; a folder named by the user that does not exist is an error to report. On
Windows the modes are not enforced (the user's profile folder is private by its ACL); the calls
still succeed.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, TextIO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> Path:
    """One of the desk's own folders (data, drafts, log, config): created 0700 if missing (any
    missing parents too) and made 0700 if it is wider.

    A sticky folder that others may write to (/tmp named in CRAS_DATA_DIR, say) is not ours to
    close; the files in it still are.
    """
    if not new_folder(folder):
        mode = folder.stat().st_mode
        if mode & 0o077 and not mode & stat.S_ISVTX:
            _tighten(folder, FOLDER_MODE)
    return folder


def new_folder(folder: Path) -> bool:
    """Create folder and its missing parents 0700; True if folder itself was created here.

    Folders that already exist are left as they are: a folder the user chose for printed letters
    or an export (their Documents, a shared drive) is theirs, not the desk's, to close.
    """
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for created in reversed(missing):
        try:
            os.mkdir(created, FOLDER_MODE)
        except FileExistsError:  # another desk (or thread) made it a moment ago
            continue
        _tighten(created, FOLDER_MODE)  # a umask such as 0o200 could have taken our own bits
    return bool(missing)


def private_file(path: Path) -> Path:
    """path, created empty and 0600 if missing, and made 0600 if it is wider.

    For files another library then opens by name (SQLite, the logging module's handler): they
    find the file there and keep its mode.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), FILE_MODE))
    _tighten(path, FILE_MODE)
    return path


# The files SQLite makes beside a database. It creates each with the main file's own mode (its
# unix VFS copies it and fchmods the new file, whatever the umask), so a 0600 database has 0600
# sidecars (tests/security/test_file_modes.py); ones an older desk left are tightened here.
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def private_database_file(path: Path) -> Path:
    """An SQLite database file made 0600 (created empty if missing) before SQLite opens it.

    Its folder is not made: a database URL naming a folder that is not there is a mistake for
    SQLite to report, not one to paper over (the embedded file's folder is made by paths.data_dir).
    """
    if not path.parent.is_dir():
        return path
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), FILE_MODE))
    _tighten(path, FILE_MODE)
    for suffix in SQLITE_SIDECARS:
        tighten_if_present(path.with_name(path.name + suffix))
    return path


def tighten_if_present(path: Path) -> None:
    """Make an existing file 0600 (one an older desk created with the umask's mode); nothing if absent."""
    with contextlib.suppress(FileNotFoundError):
        _tighten(path, FILE_MODE)


def _tighten(path: Path, wanted: int) -> None:
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) != wanted:
        os.chmod(path, wanted)


def write_private(path: Path, data: bytes) -> None:
    """Replace path's contents with data, atomically and durably, as a 0600 file.

    The new contents go to a temporary file in the same folder (a rename is atomic only within
    one file system), which is flushed to disk before it is renamed over path; the folder is then
    flushed too, so that after a power cut the name points at the new file rather than at nothing.
    """
    folder = path.parent
    # mkstemp creates the file itself, exclusively, with mode 0600 and a fresh name: a temporary
    # file left by an earlier crash (whatever its mode) or another desk writing at the same time
    # can neither lend it wider permissions nor have its half-written bytes renamed into place.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """Make a rename or unlink in folder durable (POSIX; Windows makes renames durable itself and
    cannot open a folder as a file)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private_append(path: Path) -> int:
    """A file descriptor appending to path, which is created 0600 if it does not exist.

    Each os.write to it lands at the end of the file in one piece, and what the kernel has been
    given survives the process being killed (it is the kernel's, not the process's, to write out).
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), FILE_MODE)
    # O_CREAT's mode applies only to a file it creates; one left by an older desk keeps its own.
    if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
        os.fchmod(fd, FILE_MODE)
    return fd


def create_private(path: Path) -> BinaryIO:
    """path opened for writing from empty, as a 0600 file (a PDF of patients' letters, say)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
        os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


def create_private_text(path: Path, *, newline: str | None = None, encoding: str = "utf-8") -> TextIO:
    """path opened for writing text from empty, as a 0600 file (a CSV export, say)."""
    return io.TextIOWrapper(create_private(path), encoding=encoding, newline=newline)
