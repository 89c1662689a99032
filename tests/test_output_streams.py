"""A command's output that cannot be written as asked (stdout closed, a full disk, a
terminal whose encoding lacks a character) is never a traceback: through the program's
entry point and through click's, the same exit code and words."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import Repo

ENTRIES = (
    "from gitmilestone.quick import main; main()",
    "from gitmilestone.cli import main; main()",
)


@pytest.fixture
def work(repo: Repo) -> Repo:
    for n in range(2):
        assert repo.gm("new", "Work", "--id", f"work{n}", "--step", "a").exit_code == 0
    return repo


def shell(repo: Repo, entry: str, redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    quoted = " ".join(f"'{a}'" for a in args)
    return subprocess.run(
        ["sh", "-c", f'exec "{sys.executable}" -c "{entry}" {quoted} {redirect}'],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_full_disk_is_an_error_that_says_the_command_ran(work: Repo, entry: str) -> None:
    for n, args in enumerate((("claim", "work0"), ("claim", "work1", "--json"))):
        head = work.head()
        ran = shell(work, entry, ">/dev/full", *args)
        assert "Traceback" not in ran.stderr and "Exception" not in ran.stderr, ran.stderr
        assert ran.returncode == 1
        assert "could not be written" in ran.stderr and "No space left" in ran.stderr
        assert work.head() != head, n  # the claim itself was made, and the message says so
        assert "the command ran" in ran.stderr


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_closed_stdout_loses_the_output_only(work: Repo, entry: str) -> None:
    head = work.head()
    ran = shell(work, entry, ">&-", "claim", "work0")
    assert (ran.returncode, ran.stderr) == (0, "")
    assert work.head() != head


@pytest.mark.parametrize("entry", ENTRIES)
def test_characters_the_output_encoding_lacks_are_escaped(work: Repo, entry: str) -> None:
    name = "Zo\u00eb \U0001f600"
    env = {"PYTHONIOENCODING": "ascii"}
    text = subprocess.run(
        [sys.executable, "-c", entry, "claim", "work0", "--as", name],
        cwd=work.path, capture_output=True, env={**os.environ, **env},
    )  # fmt: skip
    assert (text.returncode, text.stderr) == (0, b"")
    assert b"Zo\\xeb \\U0001f600" in text.stdout
    data = subprocess.run(
        [sys.executable, "-c", entry, "release", "work0", "--as", name, "--json"],
        cwd=work.path, capture_output=True, env={**os.environ, **env},
    )  # fmt: skip
    assert (data.returncode, data.stderr) == (0, b"")
    assert json.loads(data.stdout)["data"]["milestone"]["owner"] is None
    data.stdout.decode("ascii")  # escaped in the JSON itself: it still parses


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_refused_command_line_on_a_full_disk_says_both(work: Repo, entry: str) -> None:
    """A usage error (with --json, before any command ran) whose output cannot be written:
    its own exit code and words on stderr, that the output was lost, and no traceback."""
    for args in (
        [b"advance", b"--json"],  # click: a missing argument
        [b"advance", b"--json", b"--to", b"nonsense", b"work0", b"1"],  # click: a bad choice
        [b"claim", b"work\xff", b"--json"],  # not UTF-8: refused before click
    ):
        head = work.head()
        with open("/dev/full", "w") as full:
            ran = subprocess.run(
                [sys.executable.encode(), b"-c", entry.encode(), *args],
                cwd=work.path,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
            )
        assert "Traceback" not in ran.stderr and "Exception" not in ran.stderr, ran.stderr
        assert ran.returncode == 2, (args, ran.stderr)
        assert ran.stderr.startswith("error: ") and "could not be written" in ran.stderr
        assert "No space left" in ran.stderr, ran.stderr
        assert work.head() == head
