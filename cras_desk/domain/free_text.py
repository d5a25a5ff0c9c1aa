"""Text an advisor types (or pastes) into a record: trimmed, length-checked, free of control bytes.

PostgreSQL refuses a NUL byte in text outright ("A string literal cannot contain NUL"), and SQLite
would store it and cut the text short wherever C code reads it, so both engines get the same clear
message before anything is written. Other control characters come from pasting out of other
programs and would print as boxes on a letter.
"""

from __future__ import annotations

import re

from cras_desk.domain.errors import ValidationError

_NUL = "\x00"
_CONTROL_IN_LINE = re.compile(r"[\x01-\x08\x0a-\x1f\x7f]")  # a tab is a space here
_CONTROL_IN_BLOCK = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tabs and line breaks allowed
_SPACES = re.compile(r"\s+")


def _check(text: str, label: str, control: re.Pattern[str]) -> None:
    if _NUL in text:
        raise ValidationError(
            f"{label} contains a NUL character (often carried over when pasting from another "
            "program): delete it or type the text again."
        )
    if control.search(text):
        raise ValidationError(
            f"{label} contains an invisible control character (from pasting): type the text again."
        )


def _limit(text: str, label: str, max_length: int) -> str:
    if len(text) > max_length:
        raise ValidationError(
            f"{label} is too long: {len(text)} characters, at most {max_length}. Shorten it and save again."
        )
    return text


def line(text: str | None, label: str, max_length: int, *, required: bool = False) -> str | None:
    """One line (an address line, a town): inner runs of spaces become one; None when blank."""
    _check(text or "", label, _CONTROL_IN_LINE)
    cleaned = _SPACES.sub(" ", (text or "").strip())
    if not cleaned:
        if required:
            raise ValidationError(f"Enter the {label.lower()}.")
        return None
    return _limit(cleaned, label, max_length)


def block(text: str | None, label: str, max_length: int) -> str:
    """Several lines (a note): line breaks kept, outer blank space dropped; required."""
    _check(text or "", label, _CONTROL_IN_BLOCK)
    cleaned = "\n".join(_lines(text or ""))
    if not cleaned:
        raise ValidationError(f"Type the {label.lower()} first.")
    return _limit(cleaned, label, max_length)


def _lines(text: str) -> list[str]:
    return [part.rstrip() for part in text.strip().replace("\r\n", "\n").replace("\r", "\n").split("\n")]
