"""Where the app keeps its files on this machine (per-user, per-OS conventions via platformdirs).

Each folder is the user's alone (0700, cras_desk.private_files), made so as it is first asked for.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

from cras_desk.private_files import private_folder

_DIRS = PlatformDirs("cras-desk", "CRAS")


def data_dir() -> Path:
    """CRAS_DATA_DIR overrides, so tests and demos never touch a real desk's files."""
    return private_folder(Path(os.environ.get("CRAS_DATA_DIR") or _DIRS.user_data_dir))


def config_dir() -> Path:
    return private_folder(Path(os.environ.get("CRAS_CONFIG_DIR") or _DIRS.user_config_dir))


def log_dir() -> Path:
    """CRAS_LOG_DIR overrides; else a "log" folder in CRAS_DATA_DIR when that is set (tests and
    demos keep their trail beside their data); else the user's log folder. Made private (0700)."""
    override = os.environ.get("CRAS_LOG_DIR")
    if not override and os.environ.get("CRAS_DATA_DIR"):
        override = str(Path(os.environ["CRAS_DATA_DIR"]) / "log")
    return private_folder(Path(override or _DIRS.user_log_dir))


def default_database_path() -> Path:
    return data_dir() / "cras-desk.sqlite3"


def drafts_dir() -> Path:
    return private_folder(data_dir() / "drafts")


def resources_dir() -> Path:
    """resources/ at the top of the checkout, or beside the frozen app (PyInstaller)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "resources", here / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("resources/ folder not found beside the application")
