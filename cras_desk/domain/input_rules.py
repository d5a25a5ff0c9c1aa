"""What the desk accepts from a person or a file before anything is written: characters, lengths,
dates and numbers, each with a sentence naming the field.

PostgreSQL refuses a NUL byte in text outright and cannot encode a lone surrogate (a half of an
emoji cut by a broken paste), so a save carrying one failed with a driver error; SQLite stores
them and C code reading the text later cuts it short. Other control characters print as boxes
on a letter. Python dates end at year 9999, so "the next 10 million days" raised OverflowError
deep in the slot finder; a range people can mean keeps every later sum inside what Python, SQLite
and PostgreSQL hold.

The services call these where input enters them; the GUI calls the same ones for its inline
messages, so both say the same thing.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

from cras_desk.domain.errors import ValidationError
from cras_desk.domain.search_terms import classify

# Line breaks and tabs are what a multi-line note is made of; anywhere else they are controls.
_BLOCK_ALLOWED = frozenset("\n\t\r")
# Categories no record should hold: controls (C0, DEL, C1) and lone surrogates. Line and paragraph
# separators break a one-line field into lines where nothing expects them.
_NEVER = frozenset({"Cc", "Cs"})
_NOT_IN_LINE = frozenset({"Zl", "Zp"})

FIRST_BIRTH_DATE = date(1900, 1, 1)
LAST_BIRTH_DATE = date(2100, 12, 31)
CALLBACK_HORIZON = timedelta(days=366)  # "within the next year"
SLOT_SEARCH_AHEAD = timedelta(days=2 * 366)  # "within the next 2 years"
SLOT_SEARCH_BEHIND = timedelta(days=366)  # a "from" in the past is harmless, but not centuries
# Row ids are INTEGER columns; a larger number given as an id is no row, and SQLite's driver
# cannot even bind one past 64 bits.
MAX_ID = 2**31 - 1
SEARCH_MAX = 100  # nobody reads out a search longer than this on a call
SEARCH_NEEDS_KEY = "Type letters or digits to search."


def unstorable(text: str, *, multiline: bool = False) -> str | None:
    """The first character of text that no field may hold (multiline: line breaks and tabs are
    allowed), or None. Most text is printable, which is checked in C before any loop."""
    if text.isprintable():
        return None
    for ch in text:
        if multiline and ch in _BLOCK_ALLOWED:
            continue
        category = unicodedata.category(ch)
        if category in _NEVER or (not multiline and category in _NOT_IN_LINE):
            return ch
        if not multiline and ch in _BLOCK_ALLOWED:
            return ch
    return None


def _contain(label: str) -> str:
    # "Notes contain", "Reason contains": the labels are English nouns, and plural ones end in s.
    return "contain" if label.endswith("s") and not label.endswith("ss") else "contains"


def check_text(value: str, label: str, *, multiline: bool = False, max_length: int | None = None) -> str:
    """value unchanged if it can be stored in the field called label; ValidationError if not."""
    if not isinstance(value, str):
        raise ValidationError(f"{label} must be text.")
    bad = unstorable(value, multiline=multiline)
    if bad is not None:
        raise ValidationError(
            f"{label} {_contain(label)} a character that cannot be stored (U+{ord(bad):04X})."
        )
    if max_length is not None and len(value.strip()) > max_length:
        raise ValidationError(
            f"{label} is too long: {len(value.strip())} characters, at most {max_length}. "
            "Shorten it and save again."
        )
    return value


def check_optional_text(
    value: str | None, label: str, *, multiline: bool = False, max_length: int | None = None
) -> str | None:
    return None if value is None else check_text(value, label, multiline=multiline, max_length=max_length)


def whole_number(value: int, label: str, low: int, high: int) -> int:
    """value if it is a whole number from low to high (bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label} must be a whole number.")
    if not low <= value <= high:
        raise ValidationError(f"{label} must be from {low:,} to {high:,} (it is {value:,}).")
    return value


def record_id(value: int, what: str) -> int:
    """An id handed in by a caller: a whole number a row could have."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValidationError(f"There is no {what} with that number.")
    return value


def date_between(value: date, label: str, earliest: date, latest: date) -> date:
    if not isinstance(value, date):
        raise ValidationError(f"{label} must be a date.")
    day = value.date() if isinstance(value, datetime) else value
    if not earliest <= day <= latest:
        raise ValidationError(
            f"{label} must be between {_day(earliest)} and {_day(latest)} (it is {_day(day)})."
        )
    return value


def birth_date(value: date, label: str = "Date of birth") -> date:
    return date_between(value, label, FIRST_BIRTH_DATE, LAST_BIRTH_DATE)


def callback_time(moment: datetime, now: datetime) -> datetime:
    """A callback the patient asked for: later than now, and within the next year."""
    if not isinstance(moment, datetime):
        raise ValidationError("The callback time must be a date and time.")
    if moment.tzinfo is None:
        raise ValidationError("The callback time must include its time zone.")
    if moment <= now:
        raise ValidationError("The callback time must be later than the call.")
    # Compared as a difference: now + horizon cannot overflow, moment - now may be huge but is exact.
    if moment - now > CALLBACK_HORIZON:
        raise ValidationError(
            f"The callback time must be within the next year (by {_day((now + CALLBACK_HORIZON).date())})."
        )
    return moment


def call_moment(moment: datetime, now: datetime, label: str = "The time of the call") -> datetime:
    """When a call happened: a datetime with a zone, not in the future, within the last year
    (a replayed outbox item may be days old, never decades)."""
    if not isinstance(moment, datetime):
        raise ValidationError(f"{label} must be a date and time.")
    if moment.tzinfo is None:
        raise ValidationError(f"{label} must include its time zone.")
    if moment - now > timedelta(minutes=5) or now - moment > timedelta(days=366):
        raise ValidationError(f"{label} must be within the last year, not in the future.")
    return moment


def slot_search_dates(date_from: date | None, date_to: date | None, today: date) -> None:
    """A slot search's days: from a year back to 2 years ahead, from no later than to."""
    earliest, latest = today - SLOT_SEARCH_BEHIND, today + SLOT_SEARCH_AHEAD
    if date_from is not None:
        date_between(date_from, "The first day to search", earliest, latest)
    if date_to is not None:
        date_between(date_to, "The last day to search", earliest, latest)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError("The first day to search must not be after the last day.")


def search_text(text: str) -> str:
    """A worklist or patient search as typed: storable, not too long, and something the search
    keys can hold when it is not blank (punctuation alone, or a script the keys do not fold, would
    otherwise search for nothing and show every referral)."""
    check_text(text, "The search", max_length=SEARCH_MAX)
    if search_problem(text) is not None:
        raise ValidationError(SEARCH_NEEDS_KEY)
    return text


def search_problem(text: str) -> str | None:
    """Why this non-blank search cannot search (for the GUI's hint), or None."""
    if text.strip() and classify(text) is None:
        return SEARCH_NEEDS_KEY
    return None


def _day(d: date) -> str:
    return f"{d.day} {d:%b} {d.year}"
