"""Patient identifiers taken out of log records before they reach the log file.

What a regular expression can recognise is replaced by a placeholder naming what was there: NHS
numbers (ten digits, plain or 3-3-4), UK phone numbers, any other run of ten or more digits,
postcodes and calendar dates (any date may be a date of birth, so every date in a message is
taken out; the record's own time stamp is added after this filter and stays). Names and addresses
cannot be recognised this way: they are kept out at the source (log calls name records by id,
and the database engines hide statement parameters from their error messages).

The filter rewrites the message, its arguments and the formatted exception and stack texts, so
every handler it is attached to writes only the redacted text.
"""

from __future__ import annotations

import logging
import re
import traceback

__all__ = ["PatientDataFilter", "redact"]

# The order matters: dates first (their digits must not feed the number rules), then UK phone
# numbers, then long digit runs, then NHS numbers, then postcodes.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # datetime.date(1960, 1, 1) and datetime.datetime(...) as reprs in exception texts.
    (re.compile(r"datetime\.(?:date|datetime)\(\s*\d{4}\s*,[^)]*\)"), "[date]"),
    # 1960-01-01, 1960/01/01 (also the date part of an ISO date-time).
    (re.compile(r"(?<!\d)\d{4}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?!\d)"), "[date]"),
    # 01/01/1960, 1-1-1960, 01.01.1960, and 01/01/60 (a two-digit year only with slashes: 1.2.34
    # is more likely a version number).
    (re.compile(r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|1[0-2])\1\d{4}(?!\d)"), "[date]"),
    (re.compile(r"(?<![\d/])(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])/\d{2}(?![\d/])"), "[date]"),
    # 1 January 1960, 01 Jan 1960
    (
        re.compile(
            r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
            r"[a-z]*\.?,?\s+\d{4}(?!\d)",
            re.IGNORECASE,
        ),
        "[date]",
    ),
    # UK phone numbers: 0 or +44 (optionally "(0)"), then 9 or 10 more digits with spaces,
    # hyphens or a bracketed area code.
    (
        re.compile(r"(?<![\w+])(?:\+44[ -]?(?:\(0\)[ -]?)?|\(?0)\d(?:[ \-)]{0,2}\d){8,9}(?!\d)"),
        "[phone]",
    ),
    # Eleven or more digits in a row (other countries' phones, numbers run together): first, so
    # the NHS rule below does not take ten of them and leave the rest.
    (re.compile(r"(?<!\w)\+?\d(?:[ -]?\d){10,}(?!\.?\d)"), "[number]"),
    # NHS number: ten digits, as 3-3-4 with spaces or hyphens, or run together.
    (re.compile(r"(?<![\d+])\d{3}([ -]?)\d{3}\1\d{4}(?!\d)"), "[NHS number]"),
    # Ten digits grouped some other way (a re-keyed NHS number, say).
    (re.compile(r"(?<!\w)\+?\d(?:[ -]?\d){9}(?!\.?\d)"), "[number]"),
    # UK postcodes: outward code, optional space, inward code (BN1 1AA, SW1A 1AA, bn11aa).
    (
        re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2}(?![A-Za-z0-9])"),
        "[postcode]",
    ),
)


def redact(text: str) -> str:
    """text with every recognisable patient identifier replaced by a placeholder."""
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text


class PatientDataFilter(logging.Filter):
    """Redacts each record in place; never drops one (a trail with gaps is no trail)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what was logged, redacted, rather than nothing
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            # Formatted here so the text the handler writes is the redacted one (the formatter
            # writes exc_text as it is when set).
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
