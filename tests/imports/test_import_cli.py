"""`cras-desk import ...` and `cras-desk export waiting-list` end to end: exit status, the JSON last."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from import_files import good_row, nhs, patient_resource, request_resource, write_bundle, write_csv
from world import PASSWORD

import cras_desk.cli as cli


@pytest.fixture
def run(world, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("CRAS_DATA_DIR", str(tmp_path / "data"))
    # The real parser and commands against the test's database (opening a URL is tested elsewhere).
    monkeypatch.setattr(cli, "_open_database", lambda url, **_options: world.db)

    def go(*argv: str, password: str = PASSWORD) -> tuple[int, list[str], str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out.splitlines(), err

    return go


def test_all_good_rows_exit_0_with_the_summary_last(run, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(0), good_row(1)])
    code, lines, _ = run("import", "referrals", str(path), "--user", "root")
    assert code == 0
    assert json.loads(lines[-1]) == {"rows": 2, "imported": 2, "updated": 0, "skipped": 0, "errors": 0}
    code, lines, _ = run("import", "referrals", str(path), "--user", "root")
    assert code == 0
    assert json.loads(lines[-1]) == {"rows": 2, "imported": 0, "updated": 0, "skipped": 2, "errors": 0}


def test_a_bad_row_exits_1_and_is_listed(run, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(0), good_row(1, postcode="nowhere")])
    code, lines, _ = run("import", "referrals", str(path), "--user", "root", "--dry-run")
    assert code == 1
    assert len(lines) == 2 and lines[0].startswith("line 3: postcode: ")
    assert json.loads(lines[-1]) == {"rows": 2, "imported": 1, "updated": 0, "skipped": 0, "errors": 1}
    code, lines, _ = run("import", "referrals", str(path), "--user", "root")
    assert json.loads(lines[-1])["imported"] == 1


def test_fhir_and_waits_through_the_cli(run, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b.json", [patient_resource("p", nhs(60)), request_resource("s", "p")])
    code, lines, _ = run("import", "referrals", str(bundle), "--user", "root")
    assert (code, json.loads(lines[-1])["imported"]) == (0, 1)
    waits = tmp_path / "w.csv"
    waits.write_text("site,service,weeks,as_of\nNowhere,physio,3,2026-01-05\n", encoding="utf-8")
    code, lines, _ = run("import", "waits", str(waits), "--user", "root")
    assert code == 1
    assert json.loads(lines[-1]) == {"rows": 1, "imported": 0, "updated": 0, "skipped": 0, "errors": 1}


def test_a_lead_is_refused_and_a_wrong_password_signs_nobody_in(run, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [good_row(0)])
    code, lines, err = run("import", "referrals", str(path), "--user", "lena")
    assert code == 1 and "administrator" in err
    assert json.loads(lines[-1])["imported"] == 0
    code, _lines, err = run("import", "referrals", str(path), "--user", "root", password="wrong")
    assert code == 2 and "Cannot sign in" in err


def test_a_missing_file_exits_1(run, tmp_path: Path) -> None:
    code, lines, _ = run("import", "referrals", str(tmp_path / "nope.csv"), "--user", "root")
    assert code == 1 and json.loads(lines[-1])["errors"] == 1


def test_export_writes_the_waiting_list(run, world, tmp_path: Path) -> None:
    out = tmp_path / "wl.csv"
    code, lines, _ = run("export", "waiting-list", "--out", str(out), "--user", "lena")
    assert code == 0
    assert json.loads(lines[-1]) == {"rows": len(world.referrals), "out": str(out)}
    assert out.read_text(encoding="utf-8").splitlines()[0] == (
        "nhs_number,service,rtt_start,weeks_waited,priority,booked_date"
    )
