"""The patient-choice panel: the script to read aloud, the sites to offer, the patient's decision.

The offer recorded is the list on screen, object for object: the ChoiceOption rows the service
returned and the table shows (with unsuitable sites included only if the advisor showed them).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from cras_desk.db.connection_errors import is_connection_error
from cras_desk.domain.enums import AdjustmentFlag
from cras_desk.gui.choice.options_model import ChoiceOptionsModel
from cras_desk.gui.choice.script import ScriptMissing, fill, load_script, md_escape
from cras_desk.gui.desk_context import DeskContext
from cras_desk.gui.widgets.confirm_bar import ConfirmBar
from cras_desk.gui.widgets.display import day_text, weeks_text, when_text
from cras_desk.gui.widgets.flow_layout import FlowLayout
from cras_desk.gui.widgets.panel_keys import PanelKeys
from cras_desk.gui.widgets.referral_panel import ReferralPanel
from cras_desk.gui.widgets.tab_order import set_entry, set_tab_order
from cras_desk.gui.widgets.tables import setup_table
from cras_desk.outbox import ItemKind
from cras_desk.services.choice import ChoiceOfferView, ChoiceOption, Decision
from cras_desk.services.idempotency import new_key
from cras_desk.services.outbox_replay import thinking_payload
from cras_desk.services.patient_record import PatientRecord

NOTES_FIELD = "sdm_notes"

SHORTCUTS: list[tuple[str, str]] = [
    ("Up / Down", "Choose a site in the table"),
    ("Ctrl+Return", "Record that the patient chose the selected site"),
    ("Ctrl+Shift+T", "Record that the patient wants time to think (a choice letter is queued)"),
    ("Ctrl+Shift+D", "Record that the patient declined the choice"),
    ("Ctrl+Shift+H", "Show or hide sites that do not meet the patient's adjustments"),
    ("Return / Escape", "Confirm / go back, when asked to confirm"),
]

_ADJUSTMENT_WORDS = {
    AdjustmentFlag.STEP_FREE: "step-free access",
    AdjustmentFlag.HEARING_LOOP: "hearing loop",
    AdjustmentFlag.PARKING: "parking",
    AdjustmentFlag.LARGE_PRINT: "large print",
    AdjustmentFlag.INTERPRETER: "interpreter",
    AdjustmentFlag.CARER_PRESENT: "carer present",
    AdjustmentFlag.LONGER_APPOINTMENT: "longer appointment",
}

_DECISION_WORDS = {
    Decision.CHOSEN: "chose a site",
    Decision.TIME_TO_THINK: "wanted time to think",
    Decision.DECLINED: "declined",
}


@dataclass(frozen=True)
class _Loaded:
    record: PatientRecord
    options: list[ChoiceOption]
    last_offer: ChoiceOfferView | None
    script: str | None  # None: no script file for the service
    script_problem: str


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def places_phrase(n: int) -> str:
    """ "one place", "two places", "12 places": how the count is said aloud."""
    word = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
    return f"{word} place" if n == 1 else f"{word} places"


def script_values(record: PatientRecord, advisor_name: str, shown: list[ChoiceOption]) -> dict[str, str]:
    """The placeholders' values, Markdown-escaped (names and site names are data, not formatting)."""
    waits = [o for o in shown if o.wait_weeks is not None]
    shortest = min(waits, key=lambda o: o.wait_weeks or 0) if waits else None
    near = [o for o in shown if o.distance_km is not None]
    nearest = min(near, key=lambda o: o.distance_km or 0.0) if near else None
    as_of = max((o.wait_as_of for o in shown if o.wait_as_of), default=None)
    title_name = f"{record.title} {record.family_name}" if record.title else record.given_name
    values = {
        "patient_name": f"{record.given_name} {record.family_name}",
        "patient_title_name": title_name,
        "advisor_name": advisor_name,
        "service_name": record.service_name,
        "site_count": str(len(shown)),
        "places": places_phrase(len(shown)),
        "shortest_wait_weeks": str(shortest.wait_weeks) if shortest else "(not published)",
        "shortest_wait": weeks_text(shortest.wait_weeks) if shortest else "(not published)",
        "shortest_wait_site": shortest.site_name if shortest else "(no published waits)",
        "nearest_site": nearest.site_name if nearest else "(distance unknown)",
        "waits_as_of": day_text(as_of) if as_of else "(no date)",
    }
    return {k: md_escape(v) for k, v in values.items()}


class ChoicePanel(ReferralPanel):
    site_chosen = Signal(int, int)  # referral id, site id: the main window moves on to booking

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._loaded: _Loaded | None = None
        self._pending: tuple[tuple[object, ...], str] | None = None  # the offer being saved, its key
        self._saving = False
        self._restoring = False
        self._build()
        keys = PanelKeys(self)
        keys.add("Ctrl+Return", lambda: self.ask(Decision.CHOSEN))
        keys.add("Ctrl+Enter", lambda: self.ask(Decision.CHOSEN))
        keys.add("Ctrl+Shift+T", lambda: self.ask(Decision.TIME_TO_THINK))
        keys.add("Ctrl+Shift+D", lambda: self.ask(Decision.DECLINED))
        keys.add("Ctrl+Shift+H", self.show_unsuitable_toggle.toggle)
        keys.attach()
        self.referral_changed(True)

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Patient choice")
        self.title_label = QLabel("Patient choice", self)
        font = QFont(self.title_label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title_label.setFont(font)

        self.script_view = QTextBrowser(self)
        self.script_view.setAccessibleName("Choice script to read to the patient")
        self.script_view.setOpenExternalLinks(False)
        # A caret the arrow keys move: what lets a screen reader read the script line by line.
        self.script_view.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

        self.model = ChoiceOptionsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Sites the patient can choose from")

        self.needs_label = QLabel(self)
        self.needs_label.setWordWrap(True)
        self.needs_label.setAccessibleName("Patient's adjustments")
        self.needs_label.setStyleSheet("QLabel { color: #5c3500; font-weight: bold; }")
        self.show_unsuitable_toggle = QCheckBox(
            "Show sites that do not meet the patient's adjustments (Ctrl+Shift+H)", self
        )
        self.show_unsuitable_toggle.setAccessibleName("Show sites that do not meet the patient's adjustments")
        self.show_unsuitable_toggle.toggled.connect(self._toggle_unsuitable)

        sites = QWidget(self)
        sites_layout = QVBoxLayout(sites)
        sites_layout.setContentsMargins(0, 0, 0, 0)
        sites_layout.addWidget(self.needs_label)
        sites_layout.addWidget(self.table)
        sites_layout.addWidget(self.show_unsuitable_toggle)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.script_view)
        self.splitter.addWidget(sites)
        self.splitter.setChildrenCollapsible(False)

        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setAccessibleName("Shared decision-making notes")
        self.notes_edit.setPlaceholderText(
            "Shared decision-making notes: what matters to the patient, why they chose (kept as you type)"
        )
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMaximumHeight(90)
        self.notes_edit.textChanged.connect(self._notes_changed)

        self.chosen_button = QPushButton("Patient chose the selected site (Ctrl+Enter)", self)
        self.chosen_button.setAccessibleName("Record that the patient chose the selected site")
        self.think_button = QPushButton("Wants time to think (Ctrl+Shift+T)", self)
        self.think_button.setAccessibleName("Record that the patient wants time to think")
        self.declined_button = QPushButton("Declined (Ctrl+Shift+D)", self)
        self.declined_button.setAccessibleName("Record that the patient declined the choice")
        self.chosen_button.clicked.connect(lambda: self.ask(Decision.CHOSEN))
        self.think_button.clicked.connect(lambda: self.ask(Decision.TIME_TO_THINK))
        self.declined_button.clicked.connect(lambda: self.ask(Decision.DECLINED))
        # Wrapping: all three in one row would not fit beside the worklist at 1366 pixels.
        buttons = FlowLayout()
        buttons.addWidget(self.chosen_button)
        buttons.addWidget(self.think_button)
        buttons.addWidget(self.declined_button)

        self.confirm = ConfirmBar(self)
        self.last_offer_label = QLabel(self)
        self.last_offer_label.setWordWrap(True)
        self.last_offer_label.setAccessibleName("Last offer")

        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(QLabel("Notes:", self))
        layout.addWidget(self.notes_edit)
        layout.addLayout(buttons)
        layout.addWidget(self.banner)  # beside the buttons just pressed, with the confirmation
        layout.addWidget(self.confirm)
        layout.addWidget(self.last_offer_label)

        order: list[QWidget] = [
            self.script_view,
            self.table,
            self.show_unsuitable_toggle,
            self.notes_edit,
            self.chosen_button,
            self.think_button,
            self.declined_button,
        ]
        set_tab_order(order)
        set_entry(self, self.table)

    # -- referral ---------------------------------------------------------------------------------

    def referral_changed(self, switched: bool) -> None:
        if not switched:
            return
        self._loaded = None
        self._saving = False
        self.confirm.reject()
        self.model.set_options([])
        self.show_unsuitable_toggle.blockSignals(True)
        self.show_unsuitable_toggle.setChecked(False)
        self.model.set_show_unsuitable(False)
        self.show_unsuitable_toggle.blockSignals(False)
        self.script_view.clear()
        self.needs_label.clear()
        self.last_offer_label.clear()
        self.title_label.setText("Patient choice")
        rid = self._referral_id
        self._restoring = True
        try:
            self.notes_edit.setPlainText(self.ctx.drafts.get(rid, NOTES_FIELD) if rid is not None else "")
        finally:
            self._restoring = False
        self._set_enabled()

    def load(self, referral_id: int) -> None:
        services, actor = self.ctx.services, self.ctx.actor

        def fetch() -> _Loaded:
            record = services.records.open(actor, referral_id)
            options = services.choice.options(actor, referral_id, only_meeting_adjustments=False)
            last = services.choice.last_offer(actor, referral_id)
            # The script is read on the worker too: it may sit on a slow network share.
            try:
                script, problem = load_script(record.service), ""
            except (ScriptMissing, OSError) as exc:
                script, problem = None, str(exc)
            return _Loaded(record, options, last, script, problem)

        self.run("load", fetch, self._show_loaded)

    def _show_loaded(self, loaded: _Loaded) -> None:
        self._loaded = loaded
        record = loaded.record
        self.title_label.setText(
            f"Patient choice: {record.service_name} for {record.given_name} {record.family_name}"
        )
        needs = [_ADJUSTMENT_WORDS.get(a, a.value.replace("_", " ")) for a in record.adjustments]
        if record.interpreter_needed and "interpreter" not in needs:
            needs.append(f"interpreter ({record.language})")
        self.needs_label.setText(f"Patient needs: {', '.join(needs)}" if needs else "")
        self.needs_label.setVisible(bool(needs))
        selected = self.selected_option()
        self.model.set_options(loaded.options)
        # Loaded again for the same referral: keep the site the advisor had selected.
        if not (selected and self.select_site(selected.site_id)) and self.model.rowCount() > 0:
            self.table.selectRow(0)
        if loaded.last_offer is not None:
            o = loaded.last_offer
            chosen = f": {o.chosen.site_name}" if o.chosen else ""
            self.last_offer_label.setText(
                f"Last offer {when_text(o.offered_at)} by {o.offered_by}: patient "
                f"{_DECISION_WORDS[o.decision]}{chosen}."
            )
        if loaded.script_problem:
            self.banner.warning(loaded.script_problem)
        self._render_script()
        self._set_enabled()

    def _render_script(self) -> None:
        loaded = self._loaded
        if loaded is None:
            return
        if loaded.script is None:
            self.script_view.setPlainText("No script for this service: offer the sites below.")
            return
        shown = self.model.shown()
        values = script_values(loaded.record, self.ctx.actor.full_name, shown)
        hidden = self.model.hidden_count()
        text = fill(loaded.script, values)
        if hidden:
            text += (
                f"\n\n---\n\n*{hidden} site(s) hidden because they do not meet the patient's "
                "adjustments (Ctrl+Shift+H shows them).*"
            )
        self.script_view.setMarkdown(text)

    def _toggle_unsuitable(self, show: bool) -> None:
        selected = self.selected_option()
        self.model.set_show_unsuitable(show)
        row = self.model.row_of(selected.site_id) if selected else -1
        if row < 0 and self.model.rowCount() > 0:
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        self._render_script()
        self._set_enabled()

    def _set_enabled(self) -> None:
        ready = self._loaded is not None and not self._saving
        has_rows = self.model.rowCount() > 0
        self.chosen_button.setEnabled(ready and has_rows)
        self.think_button.setEnabled(ready and has_rows)
        self.declined_button.setEnabled(ready and has_rows)
        self.notes_edit.setEnabled(self._referral_id is not None)
        self.show_unsuitable_toggle.setEnabled(self._loaded is not None)

    # -- selection --------------------------------------------------------------------------------

    def selected_option(self) -> ChoiceOption | None:
        index = self.table.selectionModel().currentIndex()
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else (index.row() if index.isValid() else -1)
        return self.model.option(row)

    def select_site(self, site_id: int) -> bool:
        row = self.model.row_of(site_id)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    # -- notes ------------------------------------------------------------------------------------

    def _notes_changed(self) -> None:
        if self._restoring or self._referral_id is None:
            return
        self.ctx.drafts.put(self._referral_id, NOTES_FIELD, self.notes_edit.toPlainText())

    # -- recording the offer ----------------------------------------------------------------------

    def ask(self, decision: Decision) -> None:
        """Confirm, then record: the offer is a record of what the patient was told."""
        if self._loaded is None or self._saving or self._referral_id is None:
            return
        shown = self.model.shown()
        if not shown:
            self.banner.warning("There are no sites to offer for this referral.")
            return
        record = self._loaded.record
        name = f"{record.given_name} {record.family_name}"
        count = f"{len(shown)} site{'s' if len(shown) != 1 else ''}"
        if decision is Decision.CHOSEN:
            option = self.selected_option()
            if option is None:
                self.banner.warning("Select the site the patient chose (Up/Down in the table).")
                self.table.setFocus()
                return
            wait = weeks_text(option.wait_weeks)
            question = f"Record that {name} chose {option.site_name} (wait {wait}), from the {count} offered?"
            yes = "Record choice"
        elif decision is Decision.TIME_TO_THINK:
            question = (
                f"Record that {name} wants time to think? A choice letter listing the {count} offered "
                "will be queued, and the referral comes back for a call in about a week."
            )
            yes = "Record and queue letter"
        else:
            question = f"Record that {name} declined the {count} offered?"
            yes = "Record declined"
        focus = self.focusWidget()
        self.confirm.ask(question, yes, lambda: self.record(decision), return_focus=focus)

    def record(self, decision: Decision) -> None:
        """Record the offer now (the confirm bar's Enter lands here)."""
        rid, loaded = self._referral_id, self._loaded
        if rid is None or loaded is None or self._saving:
            return
        shown = self.model.shown()
        chosen = self.selected_option() if decision is Decision.CHOSEN else None
        if decision is Decision.CHOSEN and chosen is None:
            self.banner.warning("Select the site the patient chose (Up/Down in the table).")
            return
        notes = self.notes_edit.toPlainText()
        services, actor = self.ctx.services, self.ctx.actor
        chosen_id = chosen.site_id if chosen else None
        # The same offer recorded again (after "try again") keeps its key: recorded once.
        offer = (rid, tuple(o.site_id for o in shown), decision, chosen_id, notes)
        if self._pending is None or self._pending[0] != offer:
            self._pending = (offer, new_key())
        key = self._pending[1]
        self._saving = True
        self._set_enabled()
        self.banner.info("Recording the offer…")

        def failed(exc: BaseException) -> None:
            # "Time to think" needs no live database: it waits in the outbox. A choice of site leads
            # straight to booking, which does.
            outbox = self.ctx.outbox
            if decision is Decision.TIME_TO_THINK and outbox is not None and is_connection_error(exc):
                outbox.add(ItemKind.TIME_TO_THINK, rid, thinking_payload(list(shown), notes.strip()), key)
                self._recorded(rid, decision, chosen, len(shown), notes, kept=outbox.waiting())
                return
            self._record_failed(rid, exc)

        self.run_change(
            lambda: services.choice.record_offer(
                actor, rid, shown, decision, chosen_site_id=chosen_id, sdm_notes=notes.strip(), key=key
            ),
            lambda offer_id: self._recorded(rid, decision, chosen, len(shown), notes),
            failed,
        )

    def _recorded(
        self,
        rid: int,
        decision: Decision,
        chosen: ChoiceOption | None,
        count: int,
        notes: str,
        kept: int | None = None,  # kept in the outbox (so many waiting) rather than recorded
    ) -> None:
        self._pending = None
        if self.ctx.drafts.get(rid, NOTES_FIELD) == notes:
            self.ctx.drafts.clear(rid, NOTES_FIELD)
        if self.is_current(rid):
            self._saving = False
            if self.notes_edit.toPlainText() == notes:
                self._restoring = True
                try:
                    self.notes_edit.clear()
                finally:
                    self._restoring = False
            if decision is Decision.CHOSEN and chosen is not None:
                self.banner.success(f"Choice recorded: {chosen.site_name}. Next: book the appointment.")
            elif kept is not None:
                self.banner.warning(
                    "The database cannot be reached: the patient's time to think is kept on this PC "
                    f"and will be recorded as soon as it is back ({kept} waiting to send)."
                )
            elif decision is Decision.TIME_TO_THINK:
                self.banner.success(
                    f"Offer of {count} sites recorded. A choice letter has been queued; the patient will "
                    "be called again in about a week."
                )
            else:
                self.banner.success("Offer recorded: the patient declined.")
            site = f": {chosen.site_name}" if chosen else ""
            self.last_offer_label.setText(
                f"Last offer just now by {self.ctx.actor.full_name}: "
                f"patient {_DECISION_WORDS[decision]}{site}."
            )
            self._set_enabled()
        if kept is None:
            self.changed.emit(rid)
        if decision is Decision.CHOSEN and chosen is not None:
            self.site_chosen.emit(rid, chosen.site_id)

    def _record_failed(self, rid: int, exc: BaseException) -> None:
        if not self.is_current(rid):
            return
        self._saving = False
        self._set_enabled()
        self.show_error(exc)

    def script_text(self) -> str:
        return self.script_view.toPlainText()
