"""Whatever an advisor types or pastes into a note, the save either refuses it with a sentence or
stores exactly the cleaned text, on both engines: never a driver error, never a cut-short note.

Generated text covers every Unicode category, lone surrogates and NUL included (what a broken
paste gives), mixed with line breaks, tabs and the letters of real names.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cras_desk.db.models import ReferralNote
from cras_desk.domain import free_text
from cras_desk.domain.errors import ValidationError
from cras_desk.services.contact_details import NOTE_MAX, ContactDetailsService

ANY_CHARACTER = st.characters(blacklist_categories=())  # surrogates too
TYPED = st.text(
    st.one_of(
        ANY_CHARACTER, st.sampled_from("\n\t\r ÓŁüñ'-ß"), st.characters(min_codepoint=32, max_codepoint=126)
    ),
    max_size=80,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=TYPED)
@example(typed="Rang\x00back")
@example(typed="half an emoji \ud83d")
@example(typed="Ó Súilleabháin asked for\r\nmornings")
@example(typed="\u2028line separator")
@example(typed=" \n\t ")
def test_a_note_saves_exactly_or_says_why(world, typed: str) -> None:
    service = ContactDetailsService(world.db)
    amy, rid = world.actor("amy"), world.referrals["Ó Súilleabháin"]
    try:
        expected = free_text.block(typed, "Note", NOTE_MAX)
    except ValidationError as refusal:
        assert str(refusal).startswith(("Note", "Type the note"))
        try:
            service.add_note(amy, rid, typed)
        except ValidationError as same:
            assert str(same) == str(refusal)
        else:
            raise AssertionError(f"the service saved what the rules refuse: {typed!r}")
        return
    note_id = service.add_note(amy, rid, typed)
    with world.db.read() as s:
        stored = s.scalar(select(ReferralNote.text).where(ReferralNote.id == note_id))
    assert stored == expected
