"""The editable wording in resources/letters: every file valid, and typos refused before they print."""

from __future__ import annotations

import re

import pytest

from cras_desk.domain.enums import LetterKind
from cras_desk.domain.errors import ValidationError
from cras_desk.letters import wording
from cras_desk.letters.compose import compose
from cras_desk.letters.samples import sample_spec


@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_kind_has_valid_wording(kind: LetterKind) -> None:
    words = wording.load_kind(kind)
    assert words["subject"] and words["body"]
    # The placeholder list at the top of each file, which a service manager reads, is the real one.
    text = (wording.wording_dir() / f"{kind.value}.toml").read_text(encoding="utf-8")
    header = text.split("subject =", 1)[0]
    listed = set(re.findall(r"\{(\w+)\}", header))
    assert listed == set(wording.PLACEHOLDERS[kind]), f"{kind.value}.toml lists other placeholders"


def test_common_file_has_contact_details() -> None:
    common = wording.load_common()
    assert common["office"]["phone"]
    assert common["office"]["opening_hours"]
    assert set(common["clinician_types"]) >= {
        "physiotherapist",
        "advanced_practitioner",
        "consultant",
        "podiatrist",
        "orthotist",
        "psychologist",
        "nurse_specialist",
    }


def test_unknown_placeholder_is_refused() -> None:
    words = wording.load_kind(LetterKind.APPOINTMENT)
    words["body"] += "\nYour number is {nhs_nubmer}."
    with pytest.raises(ValidationError, match=r"appointment.toml.*\{nhs_nubmer\}"):
        wording.check_kind(LetterKind.APPOINTMENT, words)
    words = wording.load_kind(LetterKind.APPOINTMENT)
    words["subject"] = "Unclosed {brace"
    with pytest.raises(ValidationError, match="subject"):
        wording.check_kind(LetterKind.APPOINTMENT, words)
    words = wording.load_kind(LetterKind.CANCELLED)
    del words["reason_provider"]
    with pytest.raises(ValidationError, match="reason_provider"):
        wording.check_kind(LetterKind.CANCELLED, words)


def test_body_markup_becomes_blocks() -> None:
    content = compose(sample_spec(LetterKind.APPOINTMENT))
    kinds = [type(b).__name__ for b in content.blocks]
    assert kinds[:3] == ["Para", "Para", "Table"]
    assert "Heading" in kinds and "Bullets" in kinds
    bullets = next(b for b in content.blocks if type(b).__name__ == "Bullets")
    assert bullets.items[0] == "this letter"  # type: ignore[union-attr]
    assert content.facts["appointment_time"] == "9:30am"
    assert content.facts["nhs_number"] == "999\u00a0000\u00a00018"  # never split across lines
