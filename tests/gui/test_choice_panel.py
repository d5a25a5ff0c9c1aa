"""The patient-choice panel against a real database: the script, the sites, the offer as shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from cras_desk.db.models import ChoiceOffer, Letter, Referral
from cras_desk.domain.enums import LetterKind, ReferralStatus, ServiceCode
from cras_desk.gui.choice.options_model import ChoiceOptionsModel, Column
from cras_desk.gui.choice.panel import NOTES_FIELD, SHORTCUTS, ChoicePanel
from cras_desk.gui.choice.script import PLACEHOLDERS, fill, load_script, md_escape, scripts_dir
from cras_desk.gui.desk_context import DeskContext
from cras_desk.services.choice import ChoiceOption, Decision

WAIT = 10_000
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_panel(qtbot, ctx: DeskContext, referral_id: int) -> ChoicePanel:
    panel = ChoicePanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(900, 800)
    panel.show()
    panel.set_referral(referral_id)
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=WAIT)
    return panel


def offers(world, referral_id: int) -> list[ChoiceOffer]:
    with world.db.read() as s:
        return list(s.scalars(select(ChoiceOffer).where(ChoiceOffer.referral_id == referral_id)))


def test_script_is_shown_with_placeholders_filled(qtbot, world, make_ctx) -> None:
    panel = open_panel(qtbot, make_ctx("amy"), world.referrals["Ó Súilleabháin"])
    text = panel.script_text()
    assert "may I speak to Zoë Ó Súilleabháin" in text
    assert "My name is Amy Advisor" in text
    assert "referral for Physiotherapy" in text
    assert "I can offer you two places to choose from" in text
    assert "Read each of the 2 rows" in text
    assert "about 4 weeks, at Lewes Victoria Hub" in text  # shortest published wait of the two
    assert "{" not in text  # every placeholder was filled
    assert panel.title_label.text() == "Patient choice: Physiotherapy for Zoë Ó Súilleabháin"


def test_options_listed_with_waits_distance_and_access(qtbot, world, make_ctx) -> None:
    panel = open_panel(qtbot, make_ctx("amy"), world.referrals["Ó Súilleabháin"])
    m = panel.model
    rows = [
        (
            m.data(m.index(r, Column.SITE)),
            m.data(m.index(r, Column.WAIT)),
            m.data(m.index(r, Column.DISTANCE)),
            m.data(m.index(r, Column.ACCESS)),
        )
        for r in range(m.rowCount())
    ]
    assert [r[0] for r in rows] == ["Lewes Victoria Hub, BN7 1PF", "Brighton General Hub, BN2 3EW"]
    assert rows[0][1].startswith("4 weeks (as of ")
    assert rows[1][1].startswith("9 weeks (as of ")
    assert all(r[2].endswith("miles") for r in rows)
    assert rows[0][3] == "✗ step-free  ✗ hearing loop  ✓ parking"
    assert rows[1][3] == "✓ step-free  ✓ hearing loop  ✗ parking"
    assert m.data(m.index(0, Column.NEXT_FREE)) != "No free appointment listed"


def test_sites_not_meeting_adjustments_are_hidden_until_shown(qtbot, world, make_ctx) -> None:
    # Mr Nowak needs step-free access; the Lewes hub has none.
    panel = open_panel(qtbot, make_ctx("amy"), world.referrals["Nowak"])
    assert [o.site_name for o in panel.model.shown()] == ["Brighton General Hub"]
    assert "step-free access" in panel.needs_label.text()
    assert "1 site(s) hidden" in panel.script_text()
    assert "I can offer you one place to choose from" in panel.script_text()
    qtbot.keyClick(panel.table, Qt.Key.Key_H, CTRL_SHIFT)
    assert panel.show_unsuitable_toggle.isChecked()
    shown = panel.model.shown()
    assert [o.site_name for o in shown] == ["Lewes Victoria Hub", "Brighton General Hub"]
    flagged = panel.model.data(panel.model.index(0, Column.SUITABLE))
    assert flagged.startswith("⚠ No")
    assert panel.model.data(panel.model.index(0, Column.SITE), Qt.ItemDataRole.BackgroundRole) is not None
    assert "I can offer you two places to choose from" in panel.script_text()


def test_time_to_think_records_the_offer_as_shown_and_queues_a_letter(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    shown = panel.model.shown()
    qtbot.keyClicks(panel.notes_edit, "Wants to ask her daughter about driving")
    assert ctx.drafts.get(rid, NOTES_FIELD) == "Wants to ask her daughter about driving"

    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_T, CTRL_SHIFT)
    assert panel.confirm.isVisible()
    assert "choice letter" in panel.confirm.question()
    with qtbot.waitSignal(panel.changed, timeout=WAIT) as changed:
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    assert changed.args == [rid]
    assert "choice letter has been queued" in panel.banner.text()
    assert panel.notes_edit.toPlainText() == ""
    assert ctx.drafts.get(rid, NOTES_FIELD) == ""

    [offer] = offers(world, rid)
    assert offer.decision == Decision.TIME_TO_THINK.value
    assert offer.sdm_notes == "Wants to ask her daughter about driving"
    assert [ChoiceOption.from_snapshot(o) for o in offer.options] == shown  # exactly as shown
    with world.db.read() as s:
        letters = list(s.scalars(select(Letter).where(Letter.referral_id == rid)))
        status = s.scalar(select(Referral.status).where(Referral.id == rid))
    assert [(x.kind, x.inputs["choice_offer_id"]) for x in letters] == [(LetterKind.CHOICE, offer.id)]
    assert status is ReferralStatus.CHOICE_PENDING


def test_patient_chooses_a_site_with_the_keyboard(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)  # from Lewes (row 0) to Brighton
    assert panel.selected_option().site_name == "Brighton General Hub"
    qtbot.keyClick(panel.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "chose Brighton General Hub" in panel.confirm.question()
    with qtbot.waitSignal(panel.site_chosen, timeout=WAIT) as chosen:
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Enter)
    assert chosen.args == [rid, world.sites["Brighton"]]
    [offer] = offers(world, rid)
    assert (offer.decision, offer.chosen_site_id) == ("chosen", world.sites["Brighton"])
    assert len(offer.options) == 2
    assert (
        panel.last_offer_label.text()
    ) == "Last offer just now by Amy Advisor: patient chose a site: Brighton General Hub."


def test_escape_backs_out_and_declined_is_recorded(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    panel = open_panel(qtbot, make_ctx("amy"), rid)
    qtbot.keyClick(panel.table, Qt.Key.Key_D, CTRL_SHIFT)
    assert panel.confirm.isVisible()
    qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Escape)
    assert not panel.confirm.isVisible()
    assert offers(world, rid) == []
    qtbot.keyClick(panel.table, Qt.Key.Key_D, CTRL_SHIFT)
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    [offer] = offers(world, rid)
    assert offer.decision == "declined" and offer.chosen_site_id is None


def test_last_offer_is_shown_when_the_referral_is_opened_again(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    options = ctx.services.choice.options(world.actor("amy"), rid)
    ctx.services.choice.record_offer(world.actor("amy"), rid, options, Decision.TIME_TO_THINK)
    panel = open_panel(qtbot, ctx, rid)
    qtbot.waitUntil(lambda: "wanted time to think" in panel.last_offer_label.text(), timeout=WAIT)
    assert "by Amy Advisor" in panel.last_offer_label.text()


def test_claim_conflict_keeps_the_notes(qtbot, world, make_ctx) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_ctx("amy")
    panel = open_panel(qtbot, ctx, rid)
    ctx.services.claims.claim(world.actor("ben"), rid)
    qtbot.keyClicks(panel.notes_edit, "Prefers mornings")
    qtbot.keyClick(panel.notes_edit, Qt.Key.Key_T, CTRL_SHIFT)
    qtbot.keyClick(panel.confirm.yes_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.banner.level == "error", timeout=WAIT)
    assert "Ben Advisor" in panel.banner.text()
    assert panel.notes_edit.toPlainText() == "Prefers mornings"
    assert ctx.drafts.get(rid, NOTES_FIELD) == "Prefers mornings"
    assert panel.think_button.isEnabled()
    assert offers(world, rid) == []


def test_every_service_has_a_script_using_only_known_placeholders() -> None:
    import re

    for code in ServiceCode:
        text = load_script(code)
        used = set(re.findall(r"\{([a-z_]+)\}", text))
        assert used <= set(PLACEHOLDERS), (code, used - set(PLACEHOLDERS))
        assert {"patient_name", "service_name", "site_count"} <= used, code
        assert "time to think" in text.lower() or "time to decide" in text.lower(), code


def test_script_fill_leaves_unknown_placeholders_visible_and_escapes_markdown() -> None:
    assert fill("Hello {patient_name}, {patient_nmae}", {"patient_name": "Jo"}) == "Hello Jo, {patient_nmae}"
    assert md_escape("*Jo* [x]") == r"\*Jo\* \[x\]"
    assert (scripts_dir() / "README.md").is_file()


def test_script_read_from_resources_can_be_edited_without_code(qtbot, world, make_ctx, monkeypatch, tmp_path):
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "physio.md").write_text("Say hello to {patient_title_name} about {service_name}.", "utf-8")
    import cras_desk.gui.choice.script as script_module

    monkeypatch.setattr(script_module, "scripts_dir", lambda: Path(folder))
    panel = open_panel(qtbot, make_ctx("amy"), world.referrals["Ó Súilleabháin"])
    assert panel.script_text().strip() == "Say hello to Ms Ó Súilleabháin about Physiotherapy."


def test_options_model_passes_qtmodeltester(qtmodeltester, world, make_ctx) -> None:
    ctx = make_ctx("amy")
    options = ctx.services.choice.options(
        world.actor("amy"), world.referrals["Nowak"], only_meeting_adjustments=False
    )
    model = ChoiceOptionsModel()
    model.set_options(options)
    model.set_show_unsuitable(True)  # both sites, one flagged: every role of every cell is checked
    assert model.rowCount() == 2
    qtmodeltester.check(model, force_py=True)
    model.set_show_unsuitable(False)  # the tester watches the resets that follow
    assert model.rowCount() == 1
    model.set_options([])
    assert model.rowCount() == 0


def test_accessible_names_and_shortcuts(qtbot, world, make_ctx) -> None:
    from PySide6.QtWidgets import QAbstractButton, QPlainTextEdit, QTableView, QTextBrowser

    panel = ChoicePanel(make_ctx("amy"))
    qtbot.addWidget(panel)
    controls = panel.findChildren(QAbstractButton) + panel.findChildren(QTableView)
    controls += panel.findChildren(QPlainTextEdit) + panel.findChildren(QTextBrowser)
    assert [type(c).__name__ for c in controls if not c.accessibleName()] == []
    assert ("Ctrl+Shift+T", SHORTCUTS[2][1]) in SHORTCUTS
