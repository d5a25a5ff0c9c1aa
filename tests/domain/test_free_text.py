"""Typed text on its way into a record: trimmed, limited, and free of NUL and control bytes."""

from __future__ import annotations

import pytest

from cras_desk.domain import free_text
from cras_desk.domain.errors import ValidationError


def test_a_line_is_trimmed_and_its_spaces_collapsed() -> None:
    assert free_text.line("  Flat 2,\t  4 Marine   Parade ", "Address", 120) == "Flat 2, 4 Marine Parade"
    assert free_text.line("   ", "Address", 120) is None
    assert free_text.line(None, "Address", 120) is None


def test_a_required_line_must_be_given() -> None:
    with pytest.raises(ValidationError, match="Enter the town"):
        free_text.line(" ", "Town", 60, required=True)


@pytest.mark.parametrize("text", ["Bright\x00on", "\x00"])
def test_nul_is_refused_in_words(text: str) -> None:
    with pytest.raises(ValidationError, match=r"Town contains a character that cannot be stored \(U\+0000\)"):
        free_text.line(text, "Town", 60)
    with pytest.raises(ValidationError, match=r"Note contains a character that cannot be stored \(U\+0000\)"):
        free_text.block(text, "Note", 60)


def test_control_characters_are_refused_but_a_note_keeps_its_lines() -> None:
    with pytest.raises(
        ValidationError, match=r"County contains a character that cannot be stored \(U\+001B\)"
    ):
        free_text.line("East\x1bSussex", "County", 60)
    with pytest.raises(ValidationError, match=r"\(U\+000A\)"):
        free_text.line("two\nlines", "County", 60)
    assert free_text.block(" first line  \r\nsecond\rthird\n\n", "Note", 60) == "first line\nsecond\nthird"


def test_lengths_are_counted_after_trimming_and_told() -> None:
    assert free_text.line(" " + "a" * 60 + " ", "Town", 60) == "a" * 60
    with pytest.raises(ValidationError, match="Town is too long: 61 characters, at most 60"):
        free_text.line("a" * 61, "Town", 60)
    with pytest.raises(ValidationError, match="Note is too long: 11 characters, at most 10"):
        free_text.block("b" * 11, "Note", 10)


def test_a_blank_note_is_refused() -> None:
    with pytest.raises(ValidationError, match="Type the note first"):
        free_text.block(" \n ", "Note", 10)
