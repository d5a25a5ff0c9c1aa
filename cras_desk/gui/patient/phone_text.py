"""How a phone number's status reads on screen (pane, number-used list, contact editor): in words,
never by colour alone."""

from __future__ import annotations

from cras_desk.domain.enums import PhoneStatus

PHONE_STATUS_TEXT: dict[PhoneStatus, str] = {
    PhoneStatus.ACTIVE: "in use",
    PhoneStatus.WRONG_NUMBER: "wrong number",
    PhoneStatus.NOT_IN_USE: "not in use",
}
