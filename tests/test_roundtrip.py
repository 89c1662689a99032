"""Random notes, names and titles through real commands and back through git's own trailer
parser and `git milestone log --json`: the trailers git sees are exactly the ones the tool
wrote, whatever the text holds (separators, comment characters, scissors lines, `---`,
trailer-looking lines, CR, control characters, long lines, any script), and a note reads
back word for word where it was accepted."""

from __future__ import annotations

import itertools
import json
import subprocess
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmilestone.text import NOT_IN_A_NAME, line_problem, printable
from tests.conftest import Repo

PIECES = [
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\u2028",
    "\u2029",
    "\x85",
    "\x1e",
    "\x0b",
    "\x0c",
    "\t",
    "#",
    ";",
    "M",
    "# ------------------------ >8 ------------------------",
    "; ------------------------ >8 ------------------------",
    "------------------------ >8 ------------------------",
    "---",
    "--- a/file",
    "Milestone-Actor: mallory",
    "Milestone: other",
    "milestone-progress: 100",
    "Signed-off-by: mallory <m@example.com>",
    "(cherry picked from commit 0123456789abcdef)",
    "Conflicts:",
    "\tMILESTONES/work.json",
    "https://example.com/" + "a" * 90,
    "word " * 20,
    "café",
    "漢字テスト",
    "🙂",
    "\u202eevil",
    "\x1b[31m",
    "\x07",
    "\x7f",
    " ",
    "Bob",
]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=12).map("".join)
# One-line text, mostly: a name or a title with a separator is refused (also drawn, rarely).
LINE_PIECES = [p for p in PIECES if line_problem(p) is None and p.strip()]
lines = st.lists(st.sampled_from(LINE_PIECES), min_size=1, max_size=6).map(" ".join)
titles = st.one_of(lines, lines, lines, texts)
names = st.one_of(
    st.sampled_from(["alice", "Bob Smith", "séance", "漢字", " padded "]), lines, lines, texts
)
COMMENT_CHARS = ["#", ";", "!", "auto", " "]
COUNTER = itertools.count()


def one_line_ok(value: str) -> bool:
    return line_problem(value) is None and bool(value.strip()) and len(value.strip()) <= 200


def name_ok(value: str) -> bool:
    """A name is one line without invisible characters (`\u202eevil` is refused)."""
    return one_line_ok(value) and NOT_IN_A_NAME.search(value) is None


def trailers_git_sees(repo: Repo, message: str, comment: str) -> list[tuple[str, str]]:
    proc = subprocess.run(
        ["git", "-c", f"core.commentChar={comment}", "interpret-trailers", "--parse"],
        cwd=repo.path,
        input=message.encode(),
        capture_output=True,
        check=True,
    )
    lines = proc.stdout.decode().split("\n")
    return [(k, v.strip()) for k, _, v in (line.partition(":") for line in lines if line)]


def words(text: str) -> list[str]:
    """The words of a note as the body shows them: line ends as line feeds, controls
    escaped, git's scissors mark turned around."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return printable(lines, lines=True).replace(">8 -", "8< -").split()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=titles, name=names, note=texts, comment=st.sampled_from(COMMENT_CHARS))
def test_no_text_forges_a_trailer_and_notes_read_back(
    repo: Repo, title: str, name: str, note: str, comment: str
) -> None:
    mid = f"m{next(COUNTER)}"
    head = repo.head()
    ran = repo.gm("new", "--id", mid, "--step", "a", "--step", "b", "--as", name, "--", title)
    if not (one_line_ok(title) and name_ok(name)):
        assert ran.exit_code == 2, ran.stderr
        assert repo.head() == head
        return
    assert ran.exit_code == 0, ran.stderr
    ran = repo.gm("advance", mid, "--note", note, "--as", name)
    assert ran.exit_code == 0, ran.stderr
    actor = name.strip()
    message = repo.git("log", "-1", "--format=%B").rstrip("\n") + "\n"
    subject, *middle, block = message.rstrip("\n").split("\n\n")
    assert len(subject) <= 72 and "\n" not in subject
    written = [tuple(line.split(": ", 1)) for line in block.split("\n")]
    expected: list[tuple[str, str]] = [
        ("Milestone", mid),
        ("Milestone-Action", "advance"),
        ("Milestone-Step", "1"),
        ("Milestone-Step-Status", "in_progress"),
        ("Milestone-Status", "in_progress"),
        ("Milestone-Progress", "0"),
        ("Milestone-Steps", "2"),
        ("Milestone-Owner", actor),
        ("Milestone-Actor", actor),
        ("Milestone-Revision", "2"),
    ]
    assert written == expected
    # git's own readers see exactly those trailers, whatever the reader's comment character.
    assert trailers_git_sees(repo, message, comment) == expected
    seen = repo.git("log", "-1", "--format=%(trailers:only,unfold)")
    assert [tuple(line.split(": ", 1)) for line in seen.splitlines() if line] == expected
    record: dict[str, Any] = json.loads(repo.gm("log", mid, "-n", "1", "--json").stdout)["data"][
        "records"
    ][0]
    assert (record["actor"], record["action"], record["revision"], record["owner"]) == (
        actor,
        "advance",
        2,
        actor,
    )
    # The note reads back in the body, every line indented (inert), word for word.
    body = "\n\n".join(middle)
    assert all(line == "" or line.startswith("  ") for line in body.split("\n"))
    assert words(body) == words(note)
    data = json.loads(repo.read(f"MILESTONES/{mid}.json"))
    assert data["steps"][0]["notes"] == (note if note else "")
