"""The desk's own files on the PC (settings, drafts, letter PDFs): the user's alone, replaced whole.

Everything the desk keeps beside the database may name a patient or the database server, so each
file is created 0600 and is never, even for a moment, readable by anybody else. A file is
replaced by writing a new one beside it and renaming it into place, so a crash or a full disk at
any point leaves either the old contents or the new, never half of each.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600


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
