"""Settings read from a file the desk did not necessarily write: every bad value gets its default
and a message the desk can show, and none stops the desk or fails later."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import fields
from pathlib import Path

import pytest

from cras_desk.services.worklist import MAX_PAGE
from cras_desk.settings import RETIRED, VERSION, Settings


def load(tmp_path: Path, content: str | bytes, caplog: pytest.LogCaptureFixture) -> Settings:
    path = tmp_path / "settings.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="cras_desk.settings"):
        return Settings.load(path)


def options(**values: object) -> str:
    return json.dumps({"version": VERSION, **values})


def test_saving_writes_the_version_and_loads_back_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    saved = Settings(
        idle_lock_minutes=5,
        worklist_page_size=250,
        last_username="amy",
        splitter_states={"amy": {"main": "AAAA"}},
        window_geometry={"amy": "AdnQywAD"},
        window_maximised={"amy": True},
    )
    saved.save(path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["version"] == 1 == VERSION
    assert "problems" not in raw
    loaded = Settings.load(path)
    assert loaded == saved
    assert loaded.problems == []


def test_a_file_from_before_versions_is_read_as_version_1(tmp_path: Path, caplog) -> None:
    settings = load(tmp_path, json.dumps({"idle_lock_minutes": 3, "last_username": "amy"}), caplog)
    assert (settings.idle_lock_minutes, settings.last_username) == (3, "amy")
    assert settings.problems == [] and caplog.records == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not valid JSON (line 1, column 2)"),
        ('{"version": 1, "idle_lock_minutes": 3', "not valid JSON"),  # half written
        ("", "not valid JSON"),
        (b"\xff\xfe\x00\xd8garbage", "not text"),
        ('["amy"]', "does not hold a set of options"),
        ("null", "does not hold a set of options"),
    ],
)
def test_an_unreadable_file_gives_the_defaults_and_says_so(tmp_path: Path, caplog, content, says) -> None:
    settings = load(tmp_path, content, caplog)
    assert settings == Settings()
    assert len(settings.problems) == 1 and says in settings.problems[0]
    assert "defaults are used" in settings.problems[0]
    assert [r.getMessage() for r in caplog.records] == [f"settings: {settings.problems[0]}"]


def test_a_file_that_cannot_be_opened_gives_the_defaults(tmp_path: Path, caplog) -> None:
    (tmp_path / "settings.json").mkdir()  # e.g. a folder where the file should be
    with caplog.at_level(logging.WARNING, logger="cras_desk.settings"):
        settings = Settings.load(tmp_path / "settings.json")
    assert settings == Settings()
    assert settings.problems and "could not be read" in settings.problems[0]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("idle_lock_minutes", "ten", "should be a whole number, not text"),
        ("idle_lock_minutes", 10.5, "should be a whole number, not a fraction"),
        ("idle_lock_minutes", True, "should be a whole number, not true or false"),
        ("idle_lock_minutes", None, "should be a whole number, not null"),
        ("idle_lock_minutes", 0, "is 0, outside 1 to 120"),
        ("idle_lock_minutes", 100000, "is 100000, outside 1 to 120"),
        ("worklist_page_size", -5, "is -5, outside 1 to 1000"),
        ("worklist_page_size", 5000, "is 5000, outside 1 to 1000"),
        ("database_url", 5432, "should be text, not a whole number"),
        ("last_username", ["amy"], "should be text, not a list"),
        ("splitter_states", [1, 2], "should be a set of named values, not a list"),
        ("window_geometry", "AdnQywAD", "should be a set of named values, not text"),
    ],
)
def test_a_bad_value_gets_its_default_and_a_message(tmp_path: Path, caplog, name, value, says) -> None:
    settings = load(tmp_path, options(**{"last_username": "amy", name: value}), caplog)
    assert getattr(settings, name) == getattr(Settings(), name)
    assert settings.problems == [settings.problems[0]]
    assert settings.problems[0].startswith(f"Setting {name} {says}")
    assert settings.problems[0].split(".")[0].endswith("the default is used")
    if name != "last_username":
        assert settings.last_username == "amy"  # the options that were right are kept
    assert len(caplog.records) == 1 and name in caplog.records[0].getMessage()


def test_the_log_never_quotes_the_file(tmp_path: Path, caplog) -> None:
    settings = load(
        tmp_path,
        options(
            idle_lock_minutes="Mrs Example 999 000 0034",
            contact_policy={"max_failed_attempts": "BN1 1AA"},
            **{"Mr Example's note": 1},
        ),
        caplog,
    )
    logged = caplog.text
    for quoted in ("Example", "999 000 0034", "BN1 1AA"):
        assert quoted not in logged
    assert len(caplog.records) == 3
    # On screen the unknown option is named, so whoever edited the file can put it right.
    assert "Unknown setting(s) ignored: Mr Example's note." in settings.problems
    # A desk's own contact policy is no more: the unit's is central.
    assert RETIRED["contact_policy"] in settings.problems


def test_per_user_entries_of_the_wrong_kind_are_left_out_and_the_rest_kept(tmp_path: Path, caplog) -> None:
    settings = load(
        tmp_path,
        options(
            window_geometry={"amy": "AdnQywAD", "ben": 3},
            window_maximised={"amy": True, "ben": "yes"},
            splitter_states={"amy": {"main": "AAAA"}, "ben": {"main": 7}, "cat": "AAAA"},
        ),
        caplog,
    )
    assert settings.window_geometry == {"amy": "AdnQywAD"}
    assert settings.window_maximised == {"amy": True}
    assert settings.splitter_states == {"amy": {"main": "AAAA"}}
    assert settings.problems == [
        f"Setting {name} has entries of the wrong kind; the entries that were wrong are left out."
        for name in ("window_geometry", "window_maximised", "splitter_states")
    ]


@pytest.mark.parametrize(
    ("version", "says"),
    [
        (2, "written by a newer CRAS Desk (version 2)"),
        (0, "version 0 is unknown"),
        ("1", "version is not a whole number"),
        (1.0, "version is not a whole number"),
        (True, "version is not a whole number"),
    ],
)
def test_an_unknown_version_is_reported_and_the_known_options_read(
    tmp_path: Path, caplog, version, says
) -> None:
    settings = load(
        tmp_path, json.dumps({"version": version, "idle_lock_minutes": 3, "dark_mode": True}), caplog
    )
    assert settings.idle_lock_minutes == 3
    assert says in settings.problems[0]
    assert settings.problems[1:] == ["Unknown setting(s) ignored: dark_mode."]
    path = tmp_path / "settings.json"
    settings.save(path)  # what this desk writes is its own version
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == VERSION
    assert Settings.load(path).problems == []


def test_the_page_size_limit_is_the_worklist_services() -> None:
    declared = {f.name: f.metadata for f in fields(Settings)}
    assert declared["worklist_page_size"]["range"] == (1, MAX_PAGE)


def test_a_problem_file_does_not_stop_saving(tmp_path: Path, caplog) -> None:
    settings = load(tmp_path, "{not json", caplog)
    settings.last_username = "amy"
    settings.save(tmp_path / "settings.json")
    again = Settings.load(tmp_path / "settings.json")
    assert again.last_username == "amy" and again.problems == []
    assert os.stat(tmp_path / "settings.json").st_mode & 0o777 == 0o600
