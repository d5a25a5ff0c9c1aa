"""The desk's claim on the referral being worked, on its own: claim, move on, refused, lost, released."""

from __future__ import annotations

from datetime import timedelta

from desk_helpers import drain
from sqlalchemy import select, update

from cras_desk.db.models import Referral, User
from cras_desk.domain.clock import utcnow
from cras_desk.gui.claims_controller import ClaimsController


def holder(world, referral_id: int) -> str | None:
    with world.db.read() as s:
        return s.scalar(
            select(User.username)
            .join(Referral, Referral.claimed_by == User.id)
            .where(Referral.id == referral_id)
        )


def record(controller: ClaimsController) -> dict[str, list]:
    seen: dict[str, list] = {"claimed": [], "changed": [], "said": [], "failed": []}
    controller.claimed.connect(seen["claimed"].append)
    controller.claim_changed.connect(seen["changed"].append)
    controller.said.connect(lambda text, ms: seen["said"].append((text, ms)))
    controller.failed.connect(seen["failed"].append)
    return seen


def test_claiming_another_referral_gives_the_previous_one_back(qtbot, world, make_desk) -> None:
    ctx = make_desk(world, "amy")
    claims = ClaimsController(ctx)
    seen = record(claims)
    first, second = world.referrals["Ó Súilleabháin"], world.referrals["Nowak"]

    claims.work(first)
    drain(qtbot, ctx)
    assert seen["claimed"] == [first] and claims.referral_id == first
    assert holder(world, first) == "amy"

    claims.work(second)
    drain(qtbot, ctx)
    assert seen["claimed"] == [first, second] and claims.referral_id == second
    assert seen["changed"] == [first]  # its worklist row shows it free again
    assert holder(world, first) is None and holder(world, second) == "amy"

    claims.release()
    drain(qtbot, ctx)
    assert claims.referral_id is None and holder(world, second) is None
    assert seen["changed"] == [first, second]
    assert ("Referral released for others to work.", 5000) in seen["said"]
    assert seen["failed"] == []


def test_a_referral_another_advisor_holds_is_refused_and_its_row_refreshed(qtbot, world, make_desk) -> None:
    rid = world.referrals["Nowak"]
    ben = make_desk(world, "ben")
    ben.services.claims.claim(ben.actor, rid)
    ctx = make_desk(world, "amy")
    claims = ClaimsController(ctx)
    seen = record(claims)

    claims.work(rid)
    drain(qtbot, ctx)
    assert seen["claimed"] == [] and claims.referral_id is None
    assert seen["changed"] == [rid]
    assert len(seen["said"]) == 1 and "Ben" in seen["said"][0][0]
    assert seen["failed"] == []
    assert holder(world, rid) == "ben"


def test_the_heartbeat_says_so_when_a_lapsed_claim_was_taken(qtbot, world, make_desk) -> None:
    rid = world.referrals["Ó Súilleabháin"]
    ctx = make_desk(world, "amy")
    claims = ClaimsController(ctx)
    seen = record(claims)
    claims.work(rid)
    drain(qtbot, ctx)

    claims.keep()  # still amy's: extended, nothing to say
    drain(qtbot, ctx)
    assert claims.referral_id == rid and seen["said"] == []

    with world.db.write() as s:  # the claim ran out (a desk asleep) and ben took the referral
        lapsed = utcnow() - timedelta(minutes=1)
        s.execute(update(Referral).where(Referral.id == rid).values(claimed_until=lapsed))
    ben = make_desk(world, "ben")
    ben.services.claims.claim(ben.actor, rid)

    claims.keep()
    drain(qtbot, ctx)
    assert claims.referral_id is None
    assert len(seen["said"]) == 1 and "Ben" in seen["said"][0][0]
    assert holder(world, rid) == "ben"
