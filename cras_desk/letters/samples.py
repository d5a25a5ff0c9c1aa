"""Example letter inputs of every kind, for screenshots, the benchmark and layout checks.

The people are fictional and their NHS numbers come from the 999 test range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cras_desk.domain.enums import LetterKind
from cras_desk.letters.compose import LetterSpec

SAMPLE_CREATED = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)

_PATIENT = {
    "title": "Ms",
    "given_name": "Siobhán",
    "family_name": "Ó Súilleabháin",
    "nhs_number": "9990000018",
    "date_of_birth": "1962-05-17",
    "address": ["Flat 2, 14 Łódź Terrace", "Kemp Town", "Brighton", "East Sussex", "BN2 1AB"],
}
_GP = {
    "name": "Preston Park Surgery",
    "address": ["2 Preston Road", "Brighton", "BN1 4QF"],
    "ods_code": "G81001",
}
_REFERRAL = {
    "service": "Physiotherapy",
    "service_code": "physio",
    "received_on": "2026-01-12",
    "priority": "routine",
    "failed_attempts": 3,
    "utc_letter_sent_on": "2026-02-09",
}
_BRIGHTON = {
    "site_name": "Brighton General Hub",
    "site_address": ["Elm Grove", "Brighton", "BN2 3EW"],
    "site_phone": "01632 960 456",
    "step_free": True,
    "hearing_loop": True,
    "parking": False,
}
_LEWES = {
    "site_name": "Lewes Victoria Hub",
    "site_address": ["Nevill Road", "Lewes", "BN7 1PF"],
    "site_phone": None,
    "step_free": False,
    "hearing_loop": False,
    "parking": True,
}


def _appointment(site: dict[str, Any], when: str, minutes: int = 30) -> dict[str, Any]:
    return {
        **site,
        "starts_local": when,
        "duration_minutes": minutes,
        "clinician_type": "physiotherapist",
        "slot_kind": "one_to_one",
        "title": "Physiotherapy clinic",
    }


def sample_inputs(kind: LetterKind, *, long: bool = False) -> dict[str, Any]:
    """Inputs as letter_inputs would snapshot them; long=True makes a choice letter run to two pages."""
    inputs: dict[str, Any] = {
        "v": 1,
        "referral_id": 4211,
        "patient": dict(_PATIENT),
        "gp": dict(_GP),
        "referral": dict(_REFERRAL),
    }
    if kind is LetterKind.CHOICE:
        sites = [
            ("Lewes Victoria Hub", ["Nevill Road", "Lewes", "BN7 1PF"], 4, False, True),
            ("Brighton General Hub", ["Elm Grove", "Brighton", "BN2 3EW"], 9, True, False),
            ("Eastbourne Park Hub", ["Kings Drive", "Eastbourne", "BN21 2UD"], 6, True, True),
        ]
        if long:
            sites *= 4
        inputs["choice_offer_id"] = 77
        inputs["choice_offer"] = {
            "offered_on": "2026-03-02",
            "options": [
                {
                    "site_name": name,
                    "address": address,
                    "wait_weeks": weeks,
                    "wait_as_of": "2026-03-01",
                    "step_free": step_free,
                    "hearing_loop": step_free,
                    "parking": parking,
                }
                for name, address, weeks, step_free, parking in sites
            ],
        }
    elif kind is LetterKind.APPOINTMENT:
        inputs["booking_id"] = 501
        inputs["appointment"] = _appointment(_BRIGHTON, "2026-03-17T09:30")
    elif kind is LetterKind.CANCELLED:
        inputs["booking_id"] = 501
        inputs["appointment"] = _appointment(_BRIGHTON, "2026-03-17T09:30")
        inputs["cancelled_by"] = "provider"
    elif kind is LetterKind.REBOOKED:
        inputs["booking_id"] = 502
        inputs["appointment"] = _appointment(_LEWES, "2026-03-19T14:00")
        inputs["previous_appointment"] = _appointment(_BRIGHTON, "2026-03-17T09:30")
    elif kind is LetterKind.UNABLE_TO_CONTACT:
        inputs["respond_by"] = "2026-03-16"
    elif kind in (LetterKind.DISCHARGE, LetterKind.DISCHARGE_GP_COPY):
        inputs["discharge"] = {
            "reason": "unable_to_contact",
            "advisor_reason": "No reply to three calls or to our letter of 9 February.",
            "utc_letter_sent_on": "2026-02-09",
            "respond_by": "2026-02-23",
        }
    return inputs


def sample_spec(
    kind: LetterKind, *, letter_id: int = 9001, large_print: bool = False, long: bool = False, n: int = 0
) -> LetterSpec:
    return LetterSpec(
        letter_id=letter_id,
        referral_id=4211,
        kind=kind,
        recipient="gp" if kind is LetterKind.DISCHARGE_GP_COPY else "patient",
        large_print=large_print,
        inputs=sample_inputs(kind, long=long),
        created_at=SAMPLE_CREATED + timedelta(minutes=n),
        document_id=f"{letter_id:032x}",
    )


SCREENSHOT_NAMES: dict[LetterKind, str] = {
    LetterKind.CHOICE: "letter-choice.png",
    LetterKind.APPOINTMENT: "letter-appointment.png",
    LetterKind.CANCELLED: "letter-cancelled.png",
    LetterKind.REBOOKED: "letter-rebooked.png",
    LetterKind.UNABLE_TO_CONTACT: "letter-unable-to-contact.png",
    LetterKind.DISCHARGE: "letter-discharge.png",
    LetterKind.DISCHARGE_GP_COPY: "letter-discharge-gp-copy.png",
}


def write_screenshots(out_dir: Path, dpi: int = 100) -> list[Path]:
    """Page 1 of each kind of letter as a PNG (rendered by QtPdf, as the desk's preview shows it)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    from PySide6.QtPdf import QPdfDocument

    from cras_desk.letters.render import render_pdf
    from cras_desk.private_files import new_folder, write_private

    _app = QGuiApplication.instance() or QGuiApplication([])
    new_folder(out_dir)
    written = []
    for kind, name in SCREENSHOT_NAMES.items():
        data = QByteArray(render_pdf(sample_spec(kind)))
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        doc = QPdfDocument()
        doc.load(buffer)
        points = doc.pagePointSize(0)
        page = doc.render(0, QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi)))
        image = QImage(page.size(), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.drawImage(0, 0, page)
        painter.end()
        path = out_dir / name
        png = QByteArray()
        out = QBuffer(png)
        out.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(out, b"PNG")
        out.close()
        write_private(path, bytes(png.data()))
        written.append(path)
        doc.close()
    return written


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")
    for written_path in write_screenshots(target):
        print(written_path)
