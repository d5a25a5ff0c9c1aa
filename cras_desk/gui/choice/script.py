"""The patient-choice scripts: one Markdown file per service in resources/scripts, {placeholders} filled.

Service managers edit the wording without a code change. A placeholder the desk does not know is
left visibly as {name} rather than failing, so a typo in a script shows up on screen instead of
blanking the whole script in the middle of a call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from cras_desk.domain.enums import ServiceCode
from cras_desk.paths import resources_dir

SUFFIXES = (".md", ".txt")

# What a script may use; resources/scripts/README.md lists the same names for script authors.
PLACEHOLDERS = (
    "patient_name",
    "patient_title_name",
    "advisor_name",
    "service_name",
    "site_count",
    "places",
    "shortest_wait_weeks",
    "shortest_wait",
    "shortest_wait_site",
    "nearest_site",
    "waits_as_of",
)

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class ScriptMissing(FileNotFoundError):
    pass


def scripts_dir() -> Path:
    return resources_dir() / "scripts"


def script_path(service: ServiceCode, folder: Path | None = None) -> Path:
    folder = folder or scripts_dir()
    code = ServiceCode(service).value
    for suffix in SUFFIXES:
        path = folder / f"{code}{suffix}"
        if path.is_file():
            return path
    raise ScriptMissing(f"No choice script for {code}: add {folder / (code + '.md')}.")


def load_script(service: ServiceCode, folder: Path | None = None) -> str:
    return script_path(service, folder).read_text(encoding="utf-8")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(text: str) -> str:
    """A value safe to drop into Markdown: a name like "*Jo*" must not turn into italics."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def fill(template: str, values: Mapping[str, object]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return _PLACEHOLDER.sub(one, template)
