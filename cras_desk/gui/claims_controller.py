"""This desk's claim on the referral being worked: F2 (next patient), work the selected one, release,
and the heartbeat that keeps a long call's claim alive.

One referral at a time is this desk's: claiming another gives the previous one back. The claim
calls run on the database worker (ctx.tasks); the window is told what happened by signal and
decides what to show. Whose claim wins is the database's decision (see services/claims.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from cras_desk.domain.errors import ClaimConflict
from cras_desk.gui.desk_context import DeskContext

if TYPE_CHECKING:
    from cras_desk.services.claims import Claim

CLAIM_REFRESH_MS = 5 * 60_000  # claims last 20 minutes; a long call keeps its claim alive


class ClaimsController(QObject):
    claimed = Signal(int)  # referral id: now this desk's, to open for the call
    claim_changed = Signal(int)  # referral id given back or found taken: its worklist row is stale
    said = Signal(str, int)  # a message for the advisor and how long it stays (ms; 0: until the next)
    failed = Signal(object)  # any other error of a claim call, for the window's usual handling

    def __init__(self, ctx: DeskContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.referral_id: int | None = None  # the referral this desk holds a claim on
        self._asking_next = False
        self._timer = QTimer(self)
        self._timer.setInterval(CLAIM_REFRESH_MS)
        self._timer.timeout.connect(self.keep)

    def start(self) -> None:
        """Start the heartbeat (once the desk is up: see MainWindow._start_background)."""
        self._timer.start()

    def next_patient(self) -> None:
        """F2: claim whoever is next in the worklist's order (one request at a time)."""
        if self._asking_next:
            return
        self._asking_next = True
        claims, actor = self.ctx.services.claims, self.ctx.actor
        self.said.emit("Finding the next patient...", 0)
        self.ctx.tasks.run(lambda: claims.next_patient(actor), self._claimed, self._claim_failed)

    def work(self, referral_id: int) -> None:
        """Claim this referral (the one selected in the worklist)."""
        claims, actor = self.ctx.services.claims, self.ctx.actor

        def refused(exc: BaseException) -> None:
            self._claim_failed(exc)
            if isinstance(exc, ClaimConflict):
                self.claim_changed.emit(referral_id)  # the row shows who has it now

        self.ctx.tasks.run(lambda: claims.claim(actor, referral_id), self._claimed, refused)

    def _claimed(self, claim: Claim | None) -> None:
        self._asking_next = False
        if claim is None:
            self.said.emit("Nobody to call right now: no callable referral is waiting.", 8000)
            return
        previous, self.referral_id = self.referral_id, claim.referral_id
        if previous is not None and previous != claim.referral_id:
            claims, actor = self.ctx.services.claims, self.ctx.actor
            self.ctx.tasks.run(lambda: claims.release(actor, previous), None, lambda _e: None)
            self.claim_changed.emit(previous)
        self.claimed.emit(claim.referral_id)

    def _claim_failed(self, exc: BaseException) -> None:
        self._asking_next = False
        if isinstance(exc, ClaimConflict):
            self.said.emit(str(exc), 8000)  # "being worked by ...": nothing went wrong
            return
        self.failed.emit(exc)

    def adopt(self, referral_id: int) -> None:
        """A call-flow panel saved a change, which claims the referral if nobody holds it (the
        services' ensure_claim): if this desk held none, that one is now this desk's."""
        if self.referral_id is None:
            self.referral_id = referral_id

    def release(self) -> None:
        """Give the claimed referral back for others to work."""
        rid = self.referral_id
        if rid is None:
            return
        self.referral_id = None
        claims, actor = self.ctx.services.claims, self.ctx.actor
        self.ctx.tasks.run(
            lambda: claims.release(actor, rid), lambda _r: self.claim_changed.emit(rid), self.failed.emit
        )
        self.said.emit("Referral released for others to work.", 5000)

    def keep(self) -> None:
        """The heartbeat: claim the referral again, which extends the claim."""
        rid = self.referral_id
        if rid is None:
            return
        claims, actor = self.ctx.services.claims, self.ctx.actor

        def lost(exc: BaseException) -> None:
            if isinstance(exc, ClaimConflict):  # it lapsed and another advisor took it
                self.referral_id = None
                self.said.emit(str(exc), 10000)
            else:
                self.failed.emit(exc)

        self.ctx.tasks.run(lambda: claims.claim(actor, rid), None, lost)

    def release_all(self) -> None:
        """Closing or signing out: stop the heartbeat and give back every claim this user holds."""
        self._timer.stop()
        claims, actor = self.ctx.services.claims, self.ctx.actor
        self.ctx.tasks.run(lambda: claims.release_all(actor), None, lambda _e: None)
