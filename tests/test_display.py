"""Text from files and commits reaches the terminal escaped: no escape sequence, control
character, line separator or bidirectional override is printed raw by any text output;
`--json` keeps the exact text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitmilestone.text import printable
from tests.conftest import Repo

ESC = "\x1b[2J\x1b]0;pwned\x07"
NASTY = f"a{ESC}b\u202eevil\u2028x\x85y\x9bz"
RAW = ("\x1b", "\x07", "\u202e", "\u2028", "\x85", "\x9b")


def hostile(repo: Repo) -> dict[str, Any]:
    """A valid milestone whose free text (notes, why, handoff notes) holds control text."""
    assert repo.gm("new", "Work", "--id", "work", "--step", "a", "--step", "b").exit_code == 0
    doc: dict[str, Any] = json.loads(repo.read("MILESTONES/work.json"))
    doc["context"] = {"why": NASTY, "success_criteria": NASTY}
    doc["steps"][0]["notes"] = NASTY
    doc["handoff_notes"] = NASTY
    doc["completion_notes"] = NASTY
    repo.write("MILESTONES/work.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    repo.git("commit", "-qam", f"hand edit {ESC}\n\nMilestone: work\nMilestone-Actor: x{ESC}")
    return doc


def assert_escaped(out: str, shown: bool = True) -> None:
    for raw in RAW:
        assert raw not in out, repr(raw)
    assert ("\\x1b" in out) == shown


@pytest.mark.parametrize(
    "command",
    [("show", "work"), ("resume", "work"), ("log",), ("list",), ("next",)],
    ids=["show", "resume", "log", "list", "next"],
)
def test_text_output_escapes_control_characters(repo: Repo, command: tuple[str, ...]) -> None:
    hostile(repo)
    repo.write(f"MILESTONES/bad{ESC}.json", "{}")
    ran = repo.gm(*command)
    assert ran.exit_code == 0, ran.stderr
    # `next` shows no free text: only ids, names and step descriptions, which hold no
    # control character in a readable file.
    assert_escaped(ran.stdout + ran.stderr, shown=command != ("next",))


@pytest.mark.parametrize("command", [("show", "work"), ("resume", "work")], ids=["show", "resume"])
def test_json_output_keeps_the_exact_text(repo: Repo, command: tuple[str, ...]) -> None:
    hostile(repo)
    data = json.loads(repo.gm(*command, "--json").stdout)["data"]
    assert data["handoff_notes"] == NASTY


def test_validate_names_a_hostile_file_name_escaped(repo: Repo) -> None:
    repo.write(f"MILESTONES/bad{ESC}.json", "{}")
    ran = repo.gm("validate")
    assert ran.exit_code == 1
    assert_escaped(ran.stdout)


def test_printable_keeps_plain_text_and_line_breaks_of_notes() -> None:
    assert printable("plain café ✓ 漢字") == "plain café ✓ 漢字"
    assert printable("a\nb\tc", lines=True) == "a\nb\tc"
    assert printable("a\r\nb", lines=True) == "a\nb"
    assert printable("a\nb") == "a\\x0ab"
    assert printable("\u202e\u2066\x7f\x80") == "\\u202e\\u2066\\x7f\\x80"
