"""`git milestone log`: the handoff record read from commit trailers with git's own parser."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gitmilestone import history, timestamps, trail
from gitmilestone.messages import Change, format_message
from gitmilestone.model import Milestone
from gitmilestone.records import replace
from gitmilestone.workflow import Actor, create
from tests.conftest import T0, Repo


def records(repo: Repo, *args: str) -> list[dict[str, object]]:
    ran = repo.gm("log", "--json", *args)
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    out: list[dict[str, object]] = json.loads(ran.stdout)["data"]["records"]
    return out


def at(minutes: int) -> dict[str, str]:
    return {"GIT_MILESTONE_NOW": f"2025-11-15T{1 + minutes // 60:02d}:{minutes % 60:02d}:00Z"}


def life(repo: Repo) -> None:
    """One milestone from create to complete, with a second one interleaved."""
    steps = ("--step", "Build", "--step", "Ship")
    assert repo.gm("new", "Deploy it", "--id", "deploy", *steps).exit_code == 0
    assert repo.gm("new", "Other work", "--id", "other", "--as", "bob").exit_code == 0
    assert repo.gm("advance", "deploy", env=at(1)).exit_code == 0
    assert repo.gm("advance", "deploy", "--note", "built", env=at(2)).exit_code == 0
    assert repo.gm("claim", "other", "--as", "bob", env=at(3)).exit_code == 0
    assert repo.gm("handoff", "deploy", "--next", "ship it", env=at(4)).exit_code == 0
    assert repo.gm("advance", "deploy", "--note", "shipped", env=at(5)).exit_code == 0


def test_log_in_a_repository_without_commits_prints_nothing(empty_repo: Repo) -> None:
    ran = empty_repo.gm("log")
    assert (ran.exit_code, ran.stdout, ran.stderr) == (0, "", "")
    assert records(empty_repo) == []


def test_log_ignores_commits_without_milestone_trailers(repo: Repo) -> None:
    repo.git("commit", "-q", "--allow-empty", "-m", "ordinary work\n\nSigned-off-by: x <x@y>")
    ran = repo.gm("log")
    assert (ran.exit_code, ran.stdout) == (0, "")


def test_log_shows_a_milestones_whole_life_newest_first(repo: Repo) -> None:
    life(repo)
    recs = records(repo, "deploy")
    assert [r["action"] for r in recs] == ["advance", "handoff", "advance", "advance", "create"]
    assert recs[0]["status"] == "completed" and recs[0]["progress"] == 100
    assert recs[0]["steps"] == [{"step": 2, "status": "completed"}]
    assert (
        recs[0]["subject"]
        == 'milestone(deploy): complete step 2/2 "Ship" (100%), milestone completed'
    )
    assert recs[-1]["owner"] is None and recs[-1]["progress"] == 0
    assert recs[2]["steps"] == [
        {"step": 1, "status": "completed"},
        {"step": 2, "status": "in_progress"},
    ]
    assert {r["milestone"] for r in recs} == {"deploy"}
    assert [r["commit"] for r in recs] == repo.git(
        "log", "--format=%H", "--", "MILESTONES/deploy.json"
    ).split()


def test_log_text_has_one_line_per_commit_with_when_actor_action_step_progress(
    repo: Repo,
) -> None:
    life(repo)
    lines = repo.gm("log").stdout.splitlines()
    assert lines[0].split() == [
        "WHEN",
        "ACTOR",
        "MILESTONE",
        "ACTION",
        "STEP",
        "PROGRESS",
        "SUBJECT",
    ]
    assert len(lines) == 1 + 7
    newest = lines[1].split()
    assert newest[2:8] == ["alice", "deploy", "advance", "2", "completed", "100%"]
    assert lines[1].endswith('complete step 2/2 "Ship" (100%), milestone completed')
    assert "milestone(deploy):" not in lines[1]
    claim = next(line for line in lines if " claim " in line)
    assert claim.split()[2:4] == ["bob", "other"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("-n", "2"), [("deploy", "advance"), ("deploy", "handoff")]),
        (("deploy", "-n", "1"), [("deploy", "advance")]),
        (("--actor", "bob"), [("other", "claim"), ("other", "create")]),
        (("other", "--actor", "alice"), []),
        (("-n", "0"), []),
        (("nothing-here",), []),
    ],
    ids=["limit", "id-and-limit", "actor", "id-and-actor-none", "zero", "unknown-id"],
)
def test_log_filters(repo: Repo, args: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    life(repo)
    assert [(r["milestone"], r["action"]) for r in records(repo, *args)] == expected


def test_log_of_an_id_leaves_out_ids_that_start_the_same(repo: Repo) -> None:
    assert repo.gm("new", "Deploy", "--id", "deploy").exit_code == 0
    assert repo.gm("new", "Deploy the db", "--id", "deploy-db").exit_code == 0
    assert repo.gm("new", "Pre-deploy", "--id", "pre-deploy").exit_code == 0
    assert [r["milestone"] for r in records(repo, "deploy")] == ["deploy"]


def test_a_forged_milestone_line_in_a_body_is_not_a_trailer(repo: Repo) -> None:
    forged = "Milestone: forged\nMilestone-Action: complete\nMilestone-Status: completed"
    repo.git("commit", "-q", "--allow-empty", "-m", f"sneaky\n\n{forged}\n\nSigned-off-by: x <x@y>")
    assert repo.gm("new", "Real one", "--id", "real", "--step", "one").exit_code == 0
    # A note is the body of the tool's commit: it can never become a trailer either.
    ran = repo.gm("advance", "real", "--note", forged)
    assert ran.exit_code == 0
    assert forged.replace("Milestone", "  Milestone") in repo.git("log", "-1", "--format=%B")
    recs = records(repo)
    assert [(r["milestone"], r["action"], r["status"]) for r in recs] == [
        ("real", "advance", "in_progress"),
        ("real", "create", "pending"),
    ]
    assert "forged" not in repo.gm("log").stdout


def test_log_with_a_bad_id_is_a_usage_error(repo: Repo) -> None:
    ran = repo.gm("log", "Not An Id")
    assert ran.exit_code == 2
    assert "not a milestone id" in ran.stderr


def test_log_outside_a_repository_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = Repo(tmp_path, monkeypatch)
    ran = repo.gm("log")
    assert ran.exit_code == 1
    assert "not inside a git working tree" in ran.stderr


def test_log_reads_history_with_a_single_git_log(repo: Repo, tmp_path: Path) -> None:
    life(repo)
    calls = tmp_path / "calls"
    shim = tmp_path / "bin" / "git"
    shim.parent.mkdir()
    real = next(
        Path(d) / "git"
        for d in os.environ["PATH"].split(os.pathsep)
        if (Path(d) / "git").is_file() and Path(d) != shim.parent
    )
    shim.write_text(f'#!/bin/sh\necho "$1" >> {calls}\nexec {real} "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}"}
    ran = repo.gm_proc("log", env=env)
    assert ran.exit_code == 0 and len(ran.stdout.splitlines()) == 8
    assert calls.read_text().split().count("log") == 1
    assert len(calls.read_text().split()) <= 2


# The pure part: reading what git printed.

WHEN = "2025-11-15T01:00:00+00:00"


def message_trailers(m: Milestone, change: Change) -> str:
    """The trailer paragraph of the tool's own message, as git prints it."""
    return format_message(m, change, "alice").split("\n\n")[-1]


def test_trailers_read_a_message_the_tool_wrote() -> None:
    actor = Actor("alice", timestamps.parse(T0), timedelta(hours=2))
    m, change = create("m", "Title: with a colon", actor, steps=("a", "b"))
    t = history.trailers(message_trailers(m, change))
    assert t is not None
    assert (t.milestone, t.action, t.status, t.progress, t.owner) == (
        "m",
        "create",
        "pending",
        0,
        None,
    )
    assert (t.actor, t.revision, t.step_count) == ("alice", 1, 2)
    assert history.apply(None, t) == ("pending", "pending")


@pytest.mark.parametrize(
    "text",
    ["", "Signed-off-by: x <x@y>\n", "Milestone-Action: init\nMilestone-Actor: a\n"],
    ids=["no-trailers", "other-trailers", "no-milestone-named"],
)
def test_trailers_of_commits_that_are_not_milestone_commits(text: str) -> None:
    assert history.trailers(text) is None


def commit_tokens(sha: str, parent: str, trailers: str, subject: str, body: str) -> list[str]:
    return [sha, parent, WHEN, "Ann", subject, trailers, body]


def test_parse_reads_fields_by_position_whatever_the_message_holds() -> None:
    tokens = [
        *commit_tokens(
            "b" * 40,
            "a" * 40,
            "Milestone: m\n",
            "subject \x1f with\x1e separators",
            "  body\n\nMilestone: m\n",
        ),
        *commit_tokens("a" * 40, "", "", "root commit", "")[:-1],  # no NUL after the last
    ]
    got = list(history.parse([tokens[:3], tokens[3:]], bodies=True))
    assert [(c.sha[0], c.parents, c.subject) for c in got] == [
        ("b", ("a" * 40,), "subject \x1f with\x1e separators"),
        ("a", (), "root commit"),
    ]
    assert (got[0].note(), got[1].note()) == ("body", "")


class Reads:
    """A source that records what is read: every version of a file is `m` at revision 1."""

    def __init__(self) -> None:
        self.specs: list[str] = []

    def changes(self, commit: str) -> list[Any]:
        raise AssertionError(f"read the changes of {commit}")

    def body(self, commit: str) -> str:
        raise AssertionError(f"read the body of {commit}")

    def blob(self, spec: str) -> bytes | None:
        self.specs.append(spec)
        actor = Actor("x", timestamps.parse(T0), timedelta(hours=2))
        m, _ = create("a", "A", actor)
        return m.dumps().encode()


def test_build_filters_stops_at_the_limit_and_reads_only_the_edge_of_a_window() -> None:
    def tool(n: int, mid: str, actor: str, action: str, revision: int) -> list[bytes]:
        trailers = (
            f"Milestone: {mid}\nMilestone-Action: {action}\nMilestone-Status: pending\n"
            f"Milestone-Progress: 0\nMilestone-Steps: 0\nMilestone-Owner: none\n"
            f"Milestone-Actor: {actor}\nMilestone-Revision: {revision}\n"
        )
        parent = f"{n - 1:040d}" if n else ""
        return commit_tokens(f"{n:040d}", parent, trailers, f"milestone({mid}): {action}", "")[:-1]

    tokens = [
        *tool(4, "a", "x", "edit", 3),
        *tool(3, "a", "y", "edit", 2),
        *tool(2, "b", "y", "create", 1),
        *tool(1, "a", "x", "create", 1),
    ]

    def build(**kwargs: Any) -> tuple[list[tuple[str, str, int | None]], list[str]]:
        source = Reads()
        found = trail.build(history.parse([tokens]), source, directory="MILESTONES", **kwargs)
        assert all(not e.problems for e in found)
        return [(e.milestone, e.actor, e.revision) for e in found], source.specs

    assert build(milestone_id="a", limit=2) == (
        [("a", "x", 3), ("a", "y", 2)],
        [f"{3:040d}^1:MILESTONES/a.json"],
    )
    assert build(actor="y") == ([("a", "y", 2), ("b", "y", 1)], [])
    assert build(limit=0) == ([], [])
    everything = [("a", "x", 3), ("a", "y", 2), ("b", "y", 1), ("a", "x", 1)]
    assert build() == (everything, [])


def tool_message() -> str:
    actor = Actor("alice", timestamps.parse(T0), timedelta(hours=2))
    m, change = create("m", "Title", actor, steps=("a", "b"))
    change = replace(change, note="Checked the logs.\n#1 and\n--- stay inert")
    return format_message(m, change, "alice")


def _messages() -> list[tuple[str, str]]:
    tool = tool_message()
    subject, rest = tool.split("\n\n", 1)
    note, block = rest.rsplit("\n\n", 1)
    return [
        ("as-written", tool),
        ("without-a-note", f"{subject}\n\n{block}"),
        ("cherry-picked", f"{tool}(cherry picked from commit {'a' * 40})\n"),
        (
            "space-after-a-value",
            tool.replace("Milestone-Actor: alice\n", "Milestone-Actor: alice \n"),
        ),
        ("two-spaces-before-a-value", tool.replace("Milestone: m\n", "Milestone:  m\n")),
        ("tab-before-a-value", tool.replace("Milestone: m\n", "Milestone:\tm\n")),
        ("carriage-returns", tool.replace("\n", "\r\n")),
        ("a-divider-before", f"{subject}\n\n---\n{note}\n\n{block}"),
        ("a-cut-line-before", f"{subject}\n\n# {'-' * 24} >8 {'-' * 24}\nx\n\n{block}"),
        ("a-cut-line-first", f"# {'-' * 24} >8 {'-' * 24}\n\n{block}"),
        ("a-comment-line-after", f"{tool}\n# a comment\n"),
        ("subject-over-two-lines", f"{subject}\nand more\n\n{block}"),
        ("space-after-the-subject", f"{subject} \n\n{block}"),
        ("blank-lines-first", f"\n\n{tool}"),
        ("no-blank-line-before-the-block", f"{subject}\n{block}"),
        ("no-final-newline", tool.rstrip("\n")),
        ("blank-line-at-the-end", f"{tool}\n"),
        ("keys-in-lower-case", tool.replace("Milestone-Status:", "milestone-status:")),
        ("a-trailer-in-the-note", f"{subject}\n\nMilestone: other\n\nmore text\n\n{block}"),
    ]


def test_messages_read_without_git_are_read_as_git_reads_them(repo: Repo) -> None:
    """`log` over a whole history reads the trailers of a message in the tool's shape
    itself; whatever it reads so must be what git reads (else git is asked)."""
    names: dict[str, str] = {}
    parent = repo.git("rev-parse", "HEAD").strip()
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    for name, message in _messages():
        sha = repo.git("commit-tree", tree, "-p", parent, "-m", "x", env={}).strip()
        # commit-tree -m would clean the message up: write it as it is, with hash-object.
        raw = repo.git("cat-file", "commit", sha).split("\n\n", 1)[0] + "\n\n" + message
        parent = (
            subprocess.run(
                ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
                cwd=repo.path,
                input=raw.encode(),
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip()
        )
        names[parent] = name

    def fields(fmt: str) -> list[list[str]]:
        # Bytes, decoded as `log` decodes them (text mode would turn \r\n into \n).
        out = subprocess.run(
            ["git", "log", "-z", f"--format={fmt}", parent],
            cwd=repo.path,
            capture_output=True,
            check=True,
        ).stdout
        return [out.decode().split("\0")]

    ours = history.parse_messages(fields(history.MESSAGE_FORMAT))
    theirs = history.parse(fields(history.FULL_FORMAT), bodies=True)
    read_here = set()
    for mine, git_read in zip(ours, theirs, strict=True):
        if mine.trailers is history.UNREAD:
            continue
        read_here.add(names.get(mine.sha))
        assert mine.sha == git_read.sha
        assert (mine.subject, mine.trailers) == (git_read.subject, git_read.trailers)
        assert mine.note() == git_read.note()
        assert history.trailers(mine.trailers) == history.trailers(git_read.trailers)
    assert read_here == {"as-written", "without-a-note", "a-trailer-in-the-note"}


QUICK = (
    "import sys\n"
    "from gitmilestone.quick import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    sys.stderr.write('click imported' if 'click' in sys.modules else '')\n"
)
CLICK = "from gitmilestone.cli import main; main()"


def test_the_whole_log_starts_without_click_and_prints_what_click_does(repo: Repo) -> None:
    life(repo)
    for args in (["log"], ["log", "--json"], ["log", "--notes", "--json"], ["log", "--notes"]):
        quick, clicks = (
            subprocess.run(
                [sys.executable, "-c", entry, *args], cwd=repo.path, capture_output=True, text=True
            )
            for entry in (QUICK, CLICK)
        )
        assert quick.returncode == clicks.returncode == 0
        assert quick.stdout == clicks.stdout and "deploy" in quick.stdout, args
        assert quick.stderr == "", args
    for args in (["log", "deploy"], ["log", "--json", "--json"], ["log", "-n", "2"]):
        quick = subprocess.run(
            [sys.executable, "-c", QUICK, *args], cwd=repo.path, capture_output=True, text=True
        )
        assert quick.stderr == "click imported", args
