"""Names refuse invisible characters (with which `ali\\u200bce` displays as `alice` in the
record), wherever a name comes from; arguments that are not UTF-8 are a usage error; text
output shows invisible characters escaped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata

import pytest

from gitmilestone.schema import fast_check, schema
from gitmilestone.text import NOT_IN_A_NAME, printable
from tests.conftest import Ran, Repo

# Each displays as a plain name: zero-width space, right-to-left override (`ecila` shows
# as `alice`), variation selector, combining grapheme joiner, a tag, byte order mark,
# zero-width joiner, Hangul filler.
HIDDEN = [
    ("ali\u200bce", "\\u200b"),
    ("\u202eecila", "\\u202e"),
    ("alice\ufe0f", "\\ufe0f"),
    ("ali\u034fce", "\\u034f"),
    ("alice\U000e0041", "\\U000e0041"),
    ("\ufeffalice", "\\ufeff"),
    ("ali\u200dce", "\\u200d"),
    ("alice\u3164", "\\u3164"),
]


def new_milestone(repo: Repo) -> str:
    assert repo.gm("new", "Deploy", "--id", "deploy", "--step", "build").exit_code == 0
    return repo.head()


def refused(repo: Repo, ran: object, head: str, *words: str) -> None:
    assert getattr(ran, "exit_code") == 2, getattr(ran, "stderr")  # noqa: B009
    stderr = getattr(ran, "stderr")  # noqa: B009
    for word in words:
        assert word in stderr
    assert "Traceback" not in stderr
    assert repo.head() == head
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize(("name", "shown"), HIDDEN)
def test_as_refuses_an_invisible_character(repo: Repo, name: str, shown: str) -> None:
    head = new_milestone(repo)
    ran = repo.gm("claim", "deploy", "--as", name)
    refused(repo, ran, head, "--as:", shown, "invisible")


def test_every_source_of_a_name_refuses_them(repo: Repo) -> None:
    head = new_milestone(repo)
    env = {"GIT_MILESTONE_ACTOR": "ali\u200bce"}
    refused(repo, repo.gm("advance", "deploy", env=env), head, "GIT_MILESTONE_ACTOR:", "\\u200b")
    repo.monkeypatch.delenv("GIT_MILESTONE_ACTOR")
    repo.git("config", "milestone.actor", "\u202eecila")
    ran = repo.gm("advance", "deploy", "--json")
    assert ran.exit_code == 2
    error = json.loads(ran.stdout)["error"]
    assert error["code"] == "usage"
    assert error["message"].startswith("git config milestone.actor:")
    assert "\\u202e" in error["message"]
    assert repo.head() == head
    # Names in other scripts, with accents or emoji, are names.
    for name in ("Zoë", "李雷", "أحمد", "bot 🤖"):
        assert repo.gm("claim", "deploy", "--force", "--as", name).exit_code == 0
        assert repo.trailers()["Milestone-Actor"] == [name]


def test_a_hand_edited_owner_with_an_invisible_character_is_a_finding(repo: Repo) -> None:
    new_milestone(repo)
    path = "MILESTONES/deploy.json"
    doc = json.loads(repo.read(path))
    doc["owner"] = "ali\u200bce"
    repo.write(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    repo.git("commit", "-q", "-am", "by hand")
    assert not fast_check()(doc)
    ran = repo.gm("validate", path)
    assert ran.exit_code == 1
    assert "M002 $.owner:" in ran.stdout
    assert "\\u200b" in ran.stdout and "invisible" in ran.stdout
    head = repo.head()
    ran = repo.gm("advance", "deploy", "--as", "bob")
    assert ran.exit_code == 1 and "M002" in ran.stderr
    assert repo.head() == head


def test_the_schema_refuses_in_a_name_exactly_what_the_commands_refuse() -> None:
    pattern = re.compile(schema()["$defs"]["name"]["not"]["pattern"])
    differ = [
        hex(code)
        for code in range(0x110000)
        if bool(pattern.search(chr(code))) != bool(NOT_IN_A_NAME.search(chr(code)))
    ]
    assert differ == []
    # Every format character this Python knows of is among them.
    format_chars = [c for c in map(chr, range(0x110000)) if unicodedata.category(c) == "Cf"]
    assert [hex(ord(c)) for c in format_chars if not NOT_IN_A_NAME.search(c)] == []


def test_text_output_shows_invisible_characters_escaped(repo: Repo) -> None:
    title = "Deploy\u200b now \u202eevil"
    assert repo.gm("new", title, "--id", "deploy", "--step", "build").exit_code == 0
    shown = repo.gm("show", "deploy").stdout
    assert "Deploy\\u200b now \\u202eevil" in shown
    assert "\u200b" not in shown and "\u202e" not in shown
    assert json.loads(repo.gm("show", "deploy", "--json").stdout)["data"]["title"] == title
    # What scripts and emoji are written with stays as it is.
    persian = "می\u200cخواهم 👨\u200d👩\u200d👧 ❤\ufe0f"
    assert printable(persian) == persian


def run_bytes(repo: Repo, *args: bytes, env: dict[bytes, bytes] | None = None) -> Ran:
    proc = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"gitmilestone", *args],
        cwd=repo.path,
        capture_output=True,
        env={**os.environb, **(env or {})},
    )
    return Ran(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def test_arguments_and_names_that_are_not_utf8_are_usage_errors(repo: Repo) -> None:
    head = new_milestone(repo)
    ran = run_bytes(repo, b"claim", b"deploy", b"--as", b"bob\xff")
    refused(repo, ran, head, "argument 4, after --as:", "not valid UTF-8", "byte \\xff")
    ran = run_bytes(repo, b"advance", b"deploy", b"--note", b"caf\xe9")
    refused(repo, ran, head, "argument 4, after --note:", "byte \\xe9")
    ran = run_bytes(repo, b"new", b"Caf\xe9 work", b"--json")
    assert ran.exit_code == 2
    assert json.loads(ran.stdout)["error"]["code"] == "usage"
    assert repo.head() == head and repo.git("status", "--porcelain") == ""
    ran = run_bytes(repo, b"advance", b"deploy", env={b"GIT_MILESTONE_ACTOR": b"bob\xff"})
    refused(repo, ran, head, "GIT_MILESTONE_ACTOR:", "not valid UTF-8")
