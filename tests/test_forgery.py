"""No user text forges or hides a trailer: notes, names and titles against git's own trailer
readers (`interpret-trailers --parse`, `%(trailers)`) and `git milestone log --json`, under
any comment character; one-line fields refuse line separators; subjects keep to 72
characters without losing a fact."""

from __future__ import annotations

import json
import subprocess

import pytest

from gitmilestone import messages
from gitmilestone.messages import Change, format_message, parse_trailer_lines, subject
from tests.conftest import Repo

PATH = "MILESTONES/work.json"
SCISSORS = "------------------------ >8 ------------------------"


def ok(ran: object) -> None:
    assert getattr(ran, "exit_code") == 0, getattr(ran, "stderr")  # noqa: B009


def forged_note(comment: str) -> str:
    """The note of the report: a fake trailer paragraph, then a scissors line that cuts the
    real trailer block off for a reader whose comment character is `comment`."""
    return (
        "x\n\nMilestone-Action: complete\nMilestone-Progress: 100\nMilestone-Actor: mallory\n"
        f"{comment} {SCISSORS}\n"
        f"{comment} a comment line\n"
        "---\nConflicts:\n\tMILESTONES/work.json\n"
        "Signed-off-by: mallory <m@example.com>\nmilestone-actor: mallory"
    )


def parse(repo: Repo, message: str, *config: str) -> list[tuple[str, str]]:
    proc = subprocess.run(
        ["git", *config, "interpret-trailers", "--parse"],
        cwd=repo.path,
        input=message,
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_trailer_lines(proc.stdout)


# Comment characters a reader may have configured: the default, others, `auto`, one that
# starts every trailer line (`M`), one that starts the subject (`m`), a space, a dash.
COMMENT_CHARS = ["#", ";", "auto", "M", "m", " ", "-", ">", "x"]


@pytest.mark.parametrize("comment", COMMENT_CHARS, ids=[repr(c) for c in COMMENT_CHARS])
def test_a_note_cannot_forge_or_cut_trailers_whatever_the_comment_character(
    repo: Repo, comment: str
) -> None:
    repo.git("config", "core.commentChar", comment)
    ok(repo.gm("new", "Work", "--id", "work", "--step", "a", "--step", "b"))
    scissors_char = "#" if comment == "auto" else comment
    ok(repo.gm("advance", "work", "--note", forged_note(scissors_char)))
    message = repo.git("log", "-1", "--format=%B")
    written = message.rstrip("\n").split("\n\n")[-1].splitlines()
    ours = [tuple(line.split(": ", 1)) for line in written]
    assert ("Milestone-Actor", "alice") in ours

    # Whatever the reader's comment character, a reader sees our trailers or nothing of the
    # note: never mallory, never a cut block.
    for reader in (comment, "#", ";", "M", " "):
        config = ("-c", f"core.commentChar={reader}")
        seen = parse(repo, message, *config)
        assert all("mallory" not in v and k.lower() != "signed-off-by" for k, v in seen)
        if reader not in ("M",):
            assert seen == ours, reader
        log = repo.git(*config, "log", "-1", "--format=%(trailers:only,unfold)")
        assert "mallory" not in log
        if reader not in ("M",):
            assert parse_trailer_lines(log) == ours, reader

    records = json.loads(repo.gm("log", "work", "--json").stdout)["data"]["records"]
    assert [(r["action"], r["actor"], r["progress"], r["revision"]) for r in records] == [
        ("advance", "alice", 0, 2),
        ("create", "alice", 0, 1),
    ]


def test_the_reported_forgery_reads_back_as_the_real_change(repo: Repo) -> None:
    ok(repo.gm("new", "Work", "--id", "work", "--step", "a", "--step", "b"))
    note = (
        "x\n\nMilestone-Action: complete\nMilestone-Progress: 100\nMilestone-Actor: mallory\n"
        "# ------------------------ >8 ------------------------"
    )
    ok(repo.gm("advance", "work", "--note", note))
    trailers = repo.trailers()
    assert trailers["Milestone-Actor"] == ["alice"]
    assert trailers["Milestone-Action"] == ["advance"]
    assert trailers["Milestone-Progress"] == ["0"]
    body = repo.git("log", "-1", "--format=%b")
    # The note is still there to read, indented, with the scissors turned around.
    assert "  Milestone-Actor: mallory\n" in body
    assert "  # ------------------------ 8< ------------------------\n" in body


def test_a_note_keeps_its_words_wrapped_at_72_with_long_words_whole() -> None:
    url = "https://example.com/" + "a" * 90
    note = ("word " * 40).strip() + "\n\n" + url + "\n   indented code"
    text = messages.body(note)
    lines = text.split("\n")
    assert all(len(line) <= 72 or line == "  " + url for line in lines)
    assert "  " + url in lines
    assert "     indented code" in lines
    assert " ".join(text.split()) == " ".join(note.split())


def test_a_multi_character_comment_string_cannot_cut_at_a_scissors_line_either() -> None:
    # git 2.45 accepts comment strings of several characters, spaces included; the mark
    # itself is turned around, so no reader finds a scissors line in a note.
    text = messages.body(f"{SCISSORS}\n x {SCISSORS}")
    assert ">8" not in text and text.count("8<") == 2


# one-line fields ---------------------------------------------------------------------------------

SEPARATORS = list("\u2028\u2029\x1e\x1c\x1d\x0b\x85\x0c\r\n\x1b")


@pytest.mark.parametrize("sep", SEPARATORS, ids=[f"U+{ord(c):04X}" for c in SEPARATORS])
def test_a_name_with_a_line_separator_is_refused(repo: Repo, sep: str) -> None:
    ok(repo.gm("new", "Work", "--id", "work", "--step", "a"))
    head = repo.head()
    ran = repo.gm("advance", "work", "--as", f"bob{sep}Milestone-Actor: mallory")
    assert ran.exit_code == 2
    assert "--as" in ran.stderr and "Traceback" not in ran.stderr
    assert repo.head() == head and repo.git("status", "--porcelain") == ""
    assert all(
        r["actor"] == "alice"
        for r in json.loads(repo.gm("log", "--json").stdout)["data"]["records"]
    )


@pytest.mark.parametrize(
    ("args", "where"),
    [
        pytest.param(("new", "T\u2028itle"), "TITLE", id="title"),
        pytest.param(("new", "Title", "--step", "a\x85b"), "--step", id="step"),
        pytest.param(("new", "Title", "--file", "a\x0bb"), "--file", id="file"),
        pytest.param(("new", "Title", "--needs", "a\x1eb"), "--needs", id="needs"),
        pytest.param(("step", "add", "work", "a\nb"), "TEXT", id="step-add"),
        pytest.param(("block", "work", "--reason", "a\u2029b"), "--reason", id="blocker"),
        pytest.param(("handoff", "work", "--next", "a\x0cb"), "--next", id="next"),
    ],
)
def test_every_one_line_field_refuses_separators(
    repo: Repo, args: tuple[str, ...], where: str
) -> None:
    ok(repo.gm("new", "Work", "--id", "work", "--step", "a"))
    head = repo.head()
    ran = repo.gm(*args)
    assert ran.exit_code == 2, ran.stderr
    assert where in ran.stderr and "one line" in ran.stderr
    assert repo.head() == head and repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("name", ["", "   ", "\t"], ids=["empty", "spaces", "tab"])
def test_a_blank_as_is_a_usage_error_not_the_environment(repo: Repo, name: str) -> None:
    ok(repo.gm("new", "Work", "--id", "work", "--step", "a"))
    head = repo.head()
    ran = repo.gm("claim", "work", "--as", name)
    assert ran.exit_code == 2
    assert "--as" in ran.stderr
    assert repo.head() == head


def test_trailer_lines_split_only_where_git_does() -> None:
    text = "Milestone-Actor: bob\u2028Milestone-Actor: mallory\x1ex\x0by\x85z\x0cw\nMilestone: a\n"
    assert parse_trailer_lines(text) == [
        ("Milestone-Actor", "bob\u2028Milestone-Actor: mallory\x1ex\x0by\x85z\x0cw"),
        ("Milestone", "a"),
    ]


# subjects ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mid", "summary", "free", "facts"),
    [
        pytest.param(
            "work",
            'complete step 3/6 "' + "d" * 100 + '" (50%)',
            ("d" * 100,),
            ["step 3/6", "(50%)"],
            id="long-description",
        ),
        pytest.param(
            "a" * 64,
            'start step 12/40 "deploy" (27%), milestone completed',
            ("deploy",),
            ["step 12/40", "(27%)", "milestone completed"],
            id="long-id",
        ),
        pytest.param(
            "work",
            "n" * 150 + " takes over from " + "o" * 150 + " (forced)",
            ("n" * 150, "o" * 150),
            ["takes over from", "(forced)"],
            id="long-names",
        ),
    ],
)
def test_a_subject_keeps_to_72_characters_and_keeps_the_facts(
    mid: str, summary: str, free: tuple[str, ...], facts: list[str]
) -> None:
    line = subject(mid, summary, free)
    assert len(line) <= 72
    assert "…" in line
    for fact in facts:
        assert fact in line


def test_a_short_subject_is_left_whole() -> None:
    assert subject("work", 'start step 1/2 "a" (0%)', ("a",)) == (
        'milestone(work): start step 1/2 "a" (0%)'
    )


def test_every_commit_subject_of_a_long_milestone_fits(repo: Repo) -> None:
    title = "A very long title that goes on " * 6
    step = "A step description that is much longer than any subject line could hold " * 2
    ok(repo.gm("new", title.strip()[:200], "--id", "x" * 60, "--step", step, "--step", step))
    for _ in range(3):
        ok(repo.gm("advance", "x" * 60, "--note", "n " * 80))
    subjects = repo.git("log", "--format=%s").splitlines()
    assert all(len(s) <= 72 for s in subjects)
    assert any("step 1/2" in s and "(50%)" in s for s in subjects)


def test_trailer_values_are_written_as_the_file_has_them() -> None:
    from tests.test_messages import milestone

    text = format_message(milestone(), Change("advance", "s"), "ali\u202ece")
    assert "Milestone-Actor: ali\u202ece\n" in text
