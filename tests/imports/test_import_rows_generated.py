"""Malformed rows made by hypothesis: each refused with the field named, never an exception, and
never at the cost of the good rows beside it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_files import good_row, write_csv
from sqlalchemy import func, select

from cras_desk.db.models import Referral
from cras_desk.domain.clock import today_london
from cras_desk.imports.referral_record import FIELDS, REQUIRED, check
from cras_desk.imports.service import ImportService

# Values that break a rule of the field they go into, or may: junk of every kind.
JUNK = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8", categories=("Cc", "Zs", "Nd", "Lu", "P")), max_size=12),
    st.sampled_from(
        ["", " ", "\x00", "31/02/2020", "2026-13-01", "0000000000", "9990000019", "ZZ1 1ZZ", "x" * 5000]
    ),
)
CROSS_FIELD = {"received_on", "triaged_on", "date_of_birth"}  # one date can fault another


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(FIELDS), value=JUNK)
def test_one_bad_value_is_named_by_its_field(field: str, value: str) -> None:
    row = good_row(0, **{field: value})
    record, errors = check(row, "line 2", today_london())
    if record is None:
        assert errors, "refused without a reason"
        named = {e.field for e in errors}
        assert named <= {field} | CROSS_FIELD and (field in named or named <= CROSS_FIELD)
        assert all(e.where == "line 2" and e.message for e in errors)
    else:
        assert errors == []
        if field in REQUIRED and field != "nhs_number":
            assert value.strip(), f"a blank {field} was accepted"


_refs = itertools.count(1000)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.lists(st.tuples(st.sampled_from(FIELDS), JUNK), min_size=1, max_size=6))
def test_malformed_rows_refuse_only_themselves(world, tmp_path_factory, bad) -> None:
    tmp: Path = tmp_path_factory.mktemp("gen")
    start = next(_refs)
    for _ in bad:
        next(_refs)
    good_ref = f"GEN-{start}"
    rows = [good_row(start % 400, referral_ref=good_ref)]
    for i, (field, value) in enumerate(bad, start=1):
        # Each row its own patient and reference (unless the junk is in that very field).
        rows.append(good_row((start + i) % 400, **{"referral_ref": f"GEN-{start + i}", field: value}))
    path = write_csv(tmp / "in.csv", rows)
    with world.db.read() as s:
        before = s.scalar(select(func.count()).select_from(Referral))
    summary = ImportService(world.db).import_referrals(world.actor("root"), path)
    with world.db.read() as s:
        after = s.scalar(select(func.count()).select_from(Referral))
        kept = s.scalar(select(func.count()).select_from(Referral).where(Referral.source_ref == good_ref))
    assert kept == 1
    assert after - before == summary.imported
    assert summary.rows == len(rows)
    assert summary.imported + summary.skipped + summary.refused == len(rows)
    # Where each row starts: a value holding line breaks (quoted) makes its row several lines long.
    line_of, line = {}, 2
    for row, (field, _) in zip(rows, [("", ""), *bad], strict=True):
        line_of[f"line {line}"] = field
        line += 1 + sum(len(re.findall(r"\r\n|\r|\n", value)) for value in row.values())
    for error in summary.errors:
        field = line_of[error.where]
        assert field, "the good row was refused"
        # A junk reference can repeat another row's reference; a junk date can fault another date.
        assert error.field in {field, "referral_ref"} | CROSS_FIELD
