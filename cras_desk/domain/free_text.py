"""Text an advisor types (or pastes) into a record: trimmed, length-checked, free of control bytes.

Which characters may be stored is domain/input_rules.py's rule (NUL, controls and lone surrogates
are refused there, naming the field); this module adds the trimming and the length limits.
"""

from __future__ import annotations

import re

from cras_desk.domain import input_rules
from cras_desk.domain.errors import ValidationError

_SPACES = re.compile(r"\s+")


def _check(text: str, label: str, *, multiline: bool) -> None:
    # A tab in one line is a space here (pasted from a spreadsheet cell), so it is not refused.
    input_rules.check_text(text if multiline else text.replace("\t", " "), label, multiline=multiline)


def _limit(text: str, label: str, max_length: int) -> str:
    if len(text) > max_length:
        raise ValidationError(
            f"{label} is too long: {len(text)} characters, at most {max_length}. Shorten it and save again."
        )
    return text


def line(text: str | None, label: str, max_length: int, *, required: bool = False) -> str | None:
    """One line (an address line, a town): inner runs of spaces become one; None when blank."""
    _check(text or "", label, multiline=False)
    cleaned = _SPACES.sub(" ", (text or "").strip())
    if not cleaned:
        if required:
            raise ValidationError(f"Enter the {label.lower()}.")
        return None
    return _limit(cleaned, label, max_length)


def block(text: str | None, label: str, max_length: int) -> str:
    """Several lines (a note): line breaks kept, outer blank space dropped; required."""
    _check(text or "", label, multiline=True)
    cleaned = "\n".join(_lines(text or ""))
    if not cleaned:
        raise ValidationError(f"Type the {label.lower()} first.")
    return _limit(cleaned, label, max_length)


def _lines(text: str) -> list[str]:
    return [part.rstrip() for part in text.strip().replace("\r\n", "\n").replace("\r", "\n").split("\n")]
