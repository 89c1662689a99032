"""`--json` anywhere on the command line: every failure, usage errors included, is the JSON
envelope on stdout, with the exit code unchanged."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Repo


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(("show", "--json"), "Missing argument 'ID'", id="missing-argument"),
        pytest.param(
            ("advance", "x", "--to", "bogus", "--json"), "'bogus' is not one of", id="bad-choice"
        ),
        pytest.param(("--json", "list", "--bogus"), "No such option '--bogus'", id="unknown-opt"),
        pytest.param(("bogus", "--json"), "No such command 'bogus'", id="unknown-command"),
        pytest.param(("step", "add", "--json"), "Missing argument 'ID'", id="in-a-group"),
        pytest.param(
            ("validate", "--staged", "--changes-only", "x", "--json"), "one of them", id="usage"
        ),
    ],
)
def test_usage_errors_are_the_envelope(repo: Repo, args: tuple[str, ...], words: str) -> None:
    for ran in (repo.gm(*args), repo.gm_proc(*args)):
        assert ran.exit_code == 2
        out = json.loads(ran.stdout)
        assert out["ok"] is False
        assert out["schema_version"] == 1
        assert out["error"]["code"] == "usage"
        assert words in out["error"]["message"]
        assert "--help" in out["error"]["message"]
        assert ran.stderr == ""


def test_without_json_usage_errors_stay_text(repo: Repo) -> None:
    ran = repo.gm_proc("show")
    assert ran.exit_code == 2
    assert ran.stdout == ""
    assert "Missing argument 'ID'" in ran.stderr
    assert "git milestone show --help" in ran.stderr


def test_help_with_json_is_still_help(repo: Repo) -> None:
    ran = repo.gm_proc("show", "--help", "--json")
    assert ran.exit_code == 0
    assert "Everything about one milestone" in ran.stdout


def test_json_before_the_command_applies_to_it(repo: Repo) -> None:
    assert repo.gm("new", "Some work", "--step", "a").exit_code == 0
    for args in (("--json", "list"), ("--json",)):
        ran = repo.gm(*args)
        assert ran.exit_code == 0, ran.stderr
        assert [m["milestone_id"] for m in json.loads(ran.stdout)["data"]["milestones"]] == [
            "some-work"
        ]
