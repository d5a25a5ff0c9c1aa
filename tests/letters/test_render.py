"""Letters rendered from recorded inputs and read back with pypdf: what the patient holds in their hand."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

import pytest
from letter_pdf import all_text, flat, in_window, page_texts, reader, runs
from reportlab.pdfbase.pdfmetrics import stringWidth

from cras_desk.domain.enums import LetterKind
from cras_desk.letters import geometry as g
from cras_desk.letters.compose import compose
from cras_desk.letters.fonts import REGULAR
from cras_desk.letters.render import LARGE_BODY_PT, render_combined, render_pdf
from cras_desk.letters.samples import sample_spec

COMMON_FIELDS = (
    "999 000 0018",  # NHS number, 3-3-4
    "2 March 2026",  # letter date (created_at, London)
    "CRAS/4211/9001",  # reference CRAS/<referral>/<letter>
    "Page 1 of 1",
    "01632 960 123",  # CRAS phone from resources/letters/common.toml
)
PATIENT_ADDRESS = ("Ms Siobhán Ó Súilleabháin", "Flat 2, 14 Łódź Terrace", "Kemp Town", "Brighton", "BN2 1AB")

KIND_FIELDS: dict[LetterKind, tuple[str, ...]] = {
    LetterKind.CHOICE: (
        "Dear Ms Ó Súilleabháin,",
        "Lewes Victoria Hub",
        "Nevill Road, Lewes BN7 1PF",
        "4 weeks",
        "Brighton General Hub",
        "9 weeks",
        "Eastbourne Park Hub",
        "6 weeks",
        "as of 1 March 2026",
        "Monday to Friday, 8am to 6pm",
        "12 January 2026",  # referral received
    ),
    LetterKind.APPOINTMENT: (
        "Tuesday 17 March 2026",
        "9:30am",
        "30 minutes",
        "Brighton General Hub",
        "Elm Grove, Brighton BN2 3EW",
        "a physiotherapist",
        "What to bring",
        "There is step-free access to the building.",
        "There is a hearing loop at reception.",
        "There is no parking on site.",
        "If you need to cancel or change your appointment",
    ),
    LetterKind.CANCELLED: (
        "has been cancelled",
        "we have had to cancel this appointment",
        "Tuesday 17 March 2026",
        "9:30am",
        "Brighton General Hub",
        "We will phone you to offer you a new appointment",
    ),
    LetterKind.REBOOKED: (
        "Thursday 19 March 2026",
        "2pm",
        "Lewes Victoria Hub",
        "Nevill Road, Lewes BN7 1PF",
        "This replaces your appointment on Tuesday 17 March 2026 at 9:30am at Brighton General Hub",
        "This building does not have step-free access.",
        "There is parking on site.",
    ),
    LetterKind.UNABLE_TO_CONTACT: (
        "by 16 March 2026",
        "We have tried to phone you 3 times",
        "12 January 2026",
    ),
    LetterKind.DISCHARGE: (
        "wrote to you on 9 February 2026",
        "contact us by 23 February 2026",
        "Preston Park Surgery",
        "closed your referral",
    ),
    LetterKind.DISCHARGE_GP_COPY: (
        "Dear Colleague,",
        "Siobhán Ó Súilleabháin",
        "17 May 1962",  # date of birth: the GP must be able to identify the patient
        "Flat 2, 14 Łódź Terrace",
        "No reply to three calls or to our letter of 9 February.",
        "discharged your patient back to your care",
        "Yours faithfully,",
    ),
}


@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_field_is_printed(kind: LetterKind) -> None:
    pdf = render_pdf(sample_spec(kind))
    text = all_text(pdf)
    for field in (*COMMON_FIELDS, *KIND_FIELDS[kind]):
        assert field in text, f"{kind}: {field!r} missing from the letter"
    assert len(reader(pdf).pages) == 1


@pytest.mark.parametrize("kind", list(LetterKind))
def test_recipient_address_sits_inside_the_window(kind: LetterKind) -> None:
    pdf = render_pdf(sample_spec(kind))
    if kind is LetterKind.DISCHARGE_GP_COPY:
        expected = ("Preston Park Surgery", "2 Preston Road", "Brighton", "BN1 4QF")
    else:
        expected = (*PATIENT_ADDRESS[:4], "East Sussex", "BN2 1AB")
    first_page = [r for r in runs(pdf) if r.page == 1]
    window_runs = [r for r in first_page if g.ADDRESS_WINDOW.contains(r.x_mm, r.baseline_mm)]
    assert [r.text for r in window_runs] == list(expected), "exactly the address shows through the window"
    for run in window_runs:
        width_mm = stringWidth(run.text, REGULAR, run.size_pt) / g.MM
        assert in_window(run, width_mm), f"{run.text!r} pokes out of the window"
    # Lines in order, top to bottom, one below the other.
    baselines = [r.baseline_mm for r in window_runs]
    assert baselines == sorted(baselines)


def test_window_rectangle_is_a_dl_window() -> None:
    win = g.ADDRESS_WINDOW
    assert 20 <= win.left <= 25 and 45 <= win.top <= 55
    assert win.right <= 100 and win.bottom <= 95  # inside a 90 x 45 window 20 mm in, 50 mm down


def test_a_long_address_shrinks_to_fit_the_window() -> None:
    spec = sample_spec(LetterKind.APPOINTMENT)
    patient = dict(spec.inputs["patient"], title="Mx")
    patient["address"] = [
        "The Old Coach House, Flat 12 Ashburnham Place Mansions",
        "Upper St Johns Road",
        "Burgess Hill",
        "West Sussex",
        "RH15 8HJ",
    ]
    pdf = render_pdf(replace(spec, inputs={**spec.inputs, "patient": patient}))
    window_runs = [r for r in runs(pdf) if r.page == 1 and g.ADDRESS_WINDOW.contains(r.x_mm, r.baseline_mm)]
    assert len(window_runs) == 7  # the over-long first line wrapped once
    for run in window_runs:
        assert in_window(run, stringWidth(run.text, REGULAR, run.size_pt) / g.MM)
        assert run.size_pt >= 8
    assert " ".join(r.text for r in window_runs).startswith(
        "Mx Siobhán Ó Súilleabháin The Old Coach House, Flat 12 Ashburnham Place Mansions Upper St Johns Road"
    )


def test_unicode_names_survive_extraction() -> None:
    spec = sample_spec(LetterKind.APPOINTMENT)
    for given, family in (("Zoë", "Smith"), ("Siobhán", "Ó Súilleabháin"), ("Łukasz", "Nowak")):
        patient = {**spec.inputs["patient"], "given_name": given, "family_name": family, "title": "Mx"}
        text = all_text(render_pdf(replace(spec, inputs={**spec.inputs, "patient": patient})))
        assert f"Mx {given} {family}" in text
        assert f"Dear Mx {family}," in text


def test_font_is_embedded_truetype() -> None:
    pdf = render_pdf(sample_spec(LetterKind.CHOICE))
    fonts = reader(pdf).pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        if font.get("/Subtype") == "/TrueType":
            assert "/FontFile2" in font["/FontDescriptor"], "TrueType font program embedded"
            embedded.append(str(font["/BaseFont"]))
    assert any("DejaVuSans" in name for name in embedded)
    assert any("DejaVuSans-Bold" in name for name in embedded)


@pytest.mark.parametrize("kind", [LetterKind.CHOICE, LetterKind.APPOINTMENT, LetterKind.UNABLE_TO_CONTACT])
def test_large_print_is_at_least_16_pt(kind: LetterKind) -> None:
    pdf = render_pdf(sample_spec(kind, large_print=True))
    found = runs(pdf)
    outside_window = [
        r for r in found if not (r.page == 1 and g.ADDRESS_WINDOW.contains(r.x_mm, r.baseline_mm))
    ]
    assert len(outside_window) > 20
    too_small = [(r.text, r.size_pt) for r in outside_window if r.size_pt < 16]
    assert not too_small
    assert max(r.size_pt for r in outside_window) >= 16
    body = [r for r in outside_window if "Dear" in r.text]
    assert body and body[0].size_pt == LARGE_BODY_PT
    # The same letter in standard print is smaller: large print really was chosen.
    standard = [r.size_pt for r in runs(render_pdf(sample_spec(kind))) if "Dear" in r.text]
    assert standard[0] < 16
    pages = page_texts(pdf)
    assert f"Page {len(pages)} of {len(pages)}" in flat(pages[-1])


def test_long_letter_numbers_its_pages() -> None:
    pdf = render_pdf(sample_spec(LetterKind.CHOICE, long=True))
    pages = page_texts(pdf)
    assert len(pages) == 2
    assert "Page 1 of 2" in flat(pages[0])
    assert "Page 2 of 2" in flat(pages[1])
    # Continuation pages say whose letter they are, and the options table carries on.
    assert "Siobhán Ó Súilleabháin · NHS number 999 000 0018 · CRAS/4211/9001" in flat(pages[1])
    assert "Waiting time" in flat(pages[1])
    assert all_text(pdf).count("weeks") == 12


def test_nhs_number_is_never_split_across_lines() -> None:
    text = page_texts(render_pdf(sample_spec(LetterKind.CHOICE)))[0]
    assert "999 000 0018" in text.replace("\n", "#")


def test_same_record_gives_byte_identical_pdf() -> None:
    spec = sample_spec(LetterKind.APPOINTMENT)
    first = render_pdf(spec)
    render_pdf(sample_spec(LetterKind.CHOICE, large_print=True))  # other work in between
    again = render_pdf(replace(spec, inputs=dict(spec.inputs)))
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(again).hexdigest()


def test_creation_date_and_id_come_from_the_record() -> None:
    spec = sample_spec(LetterKind.APPOINTMENT)
    pdf = render_pdf(spec)
    meta = reader(pdf).metadata
    assert meta is not None
    assert meta["/CreationDate"].startswith("D:20260302101500")
    trailer_id = reader(pdf).trailer["/ID"]
    assert bytes(trailer_id[0].original_bytes).hex() == spec.document_id
    other = render_pdf(replace(spec, document_id="ab" * 16))
    assert other != pdf
    assert bytes(reader(other).trailer["/ID"][0].original_bytes).hex() == "ab" * 16
    # No patient identifiers in the metadata: a print spooler shows it.
    assert "Súilleabháin" not in str(meta) and "9990000018" not in str(meta)


def test_combined_pdf_holds_each_letter_numbered_on_its_own() -> None:
    specs = [sample_spec(kind, letter_id=i + 1) for i, kind in enumerate(LetterKind)]
    specs.append(sample_spec(LetterKind.CHOICE, letter_id=99, long=True))
    pdf = render_combined(specs)
    pages = [flat(t) for t in page_texts(pdf)]
    assert len(pages) == len(LetterKind) + 2
    assert sum("Page 1 of 1" in p for p in pages) == len(LetterKind)
    assert "Page 1 of 2" in pages[-2] and "Page 2 of 2" in pages[-1]
    refs = [re.search(r"CRAS/4211/(\d+)", p).group(1) for p in pages]  # type: ignore[union-attr]
    assert refs == [*(str(i + 1) for i in range(len(LetterKind))), "99", "99"]
    # duplex: a blank back page after each odd-length letter
    assert len(reader(render_combined(specs, duplex=True)).pages) == 2 * (len(LetterKind) + 1)


def test_wording_comes_from_the_frozen_inputs() -> None:
    spec = sample_spec(LetterKind.UNABLE_TO_CONTACT)
    content = compose(spec)
    assert content.subject == "Please contact us about your Physiotherapy referral"
    from cras_desk.letters.compose import frozen_wording

    frozen = frozen_wording(spec.kind)
    frozen["wording"]["subject"] = "Please ring us, {salutation}"
    text = all_text(render_pdf(replace(spec, inputs={**spec.inputs, **frozen})))
    assert "Please ring us, Ms Ó Súilleabháin" in text


def test_rendered_page_is_not_blank(qapp: object, tmp_path: object) -> None:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtPdf import QPdfDocument

    pdf = render_pdf(sample_spec(LetterKind.APPOINTMENT))
    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    doc = QPdfDocument()
    doc.load(buffer)
    assert doc.status() == QPdfDocument.Status.Ready
    assert doc.pageCount() == 1
    page = doc.render(0, QSize(420, 594))
    assert not page.isNull()
    # QtPdf renders onto a transparent background: lay the page on paper first.
    image = QImage(page.size(), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.drawImage(0, 0, page)
    painter.end()
    white = QColor("white").rgb()
    dark = sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) != white
    )
    total = (image.height() // 2) * (image.width() // 2)
    assert 0.02 * total < dark < 0.5 * total


def test_a_fresh_process_renders_the_same_bytes() -> None:
    """Caches warmed by other letters (word widths, line breaks, font subsets) change no byte."""
    import subprocess
    import sys

    for kind in LetterKind:
        render_pdf(sample_spec(kind, large_print=True))
    here = [hashlib.sha256(render_pdf(sample_spec(kind))).hexdigest() for kind in LetterKind]
    code = (
        "import hashlib\n"
        "from cras_desk.domain.enums import LetterKind\n"
        "from cras_desk.letters.render import render_pdf\n"
        "from cras_desk.letters.samples import sample_spec\n"
        "for kind in LetterKind:\n"
        "    print(hashlib.sha256(render_pdf(sample_spec(kind))).hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == here
