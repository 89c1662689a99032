"""The write path refuses rather than guesses, and never commits a change it did not make:
files with problems, files it would write too big, changes left uncommitted (and
`recover`), git operations in progress, git's index lock; null in optional fields, and
schema problems worded for a person."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.test_validate_cli import check_jsonschema

PATH = "MILESTONES/work.json"


def ok(ran: Any) -> Any:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


def doc(repo: Repo, rel: str = PATH) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.read(rel))
    return data


def make(repo: Repo, steps: int = 3) -> None:
    args = [a for i in range(1, steps + 1) for a in ("--step", f"step {i}")]
    ok(repo.gm("new", "Work", "--id", "work", *args))


def commit_edit(repo: Repo, rel: str, change: Any) -> None:
    """A hand edit, committed without the hooks (as a careless person might)."""
    data = doc(repo, rel)
    change(data)
    repo.write(rel, json.dumps(data, indent=2) + "\n")
    repo.git("add", rel)
    repo.git("commit", "-qm", "hand edit")


def snapshot(repo: Repo) -> tuple[str, str, str, dict[str, bytes]]:
    files = {
        str(p.relative_to(repo.path)): p.read_bytes()
        for p in (repo.path / "MILESTONES").glob("*")
        if p.is_file()
    }
    return (
        repo.head(),
        repo.git("ls-files", "-s"),
        repo.git("status", "--porcelain", "--untracked-files=all"),
        files,
    )


def records(repo: Repo) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(ok(repo.gm("log", "--json")).stdout)["data"]["records"]
    return out


# files with problems -----------------------------------------------------------------------------


def test_misnumbered_steps_are_refused_not_overwritten(repo: Repo) -> None:
    # The report: steps numbered [2, 1] by hand; `advance` copied step "a" over "b".
    make(repo, 2)
    commit_edit(repo, PATH, lambda d: [d["steps"][0].update(step=2), d["steps"][1].update(step=1)])
    before = snapshot(repo)
    ran = repo.gm("advance", "work")
    assert ran.exit_code == 1
    assert "M004" in ran.stderr and f"git milestone validate {PATH}" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert snapshot(repo) == before


def test_a_file_named_for_another_milestone_is_refused(repo: Repo) -> None:
    make(repo, 2)
    repo.git("mv", PATH, "MILESTONES/bad.json")
    repo.git("commit", "-qm", "renamed by hand")
    before = snapshot(repo)
    ran = repo.gm("advance", "bad")
    assert ran.exit_code == 1
    assert "M003" in ran.stderr and "MILESTONES/bad.json" in ran.stderr
    assert snapshot(repo) == before
    assert all(r["milestone"] != "other" for r in records(repo))


def test_validate_fix_may_still_repair_what_it_declares(repo: Repo) -> None:
    make(repo, 2)
    commit_edit(repo, PATH, lambda d: [d["steps"][0].update(step=2), d["steps"][1].update(step=1)])
    ok(repo.gm("validate", "--fix"))
    assert [s["step"] for s in doc(repo)["steps"]] == [1, 2]


def test_a_write_that_would_pass_the_size_limit_leaves_nothing_behind(repo: Repo) -> None:
    # The report: eleven 100 KiB --next items committed a 1.13 MB file no command could read.
    make(repo, 1)
    before = snapshot(repo)
    big = ["x" * 100 * 1024] * 11
    ran = repo.gm("handoff", "work", *[a for item in big for a in ("--next", item)])
    assert ran.exit_code == 1
    assert "1 MiB" in ran.stderr and "nothing was written" in ran.stderr
    assert snapshot(repo) == before
    ok(repo.gm("show", "work"))


# changes the command did not make ---------------------------------------------------------------


def test_a_change_left_staged_is_not_folded_into_the_next_commit(repo: Repo) -> None:
    # The report: `advance --no-commit`, `git reset -- FILE`, `advance`: revision 2 -> 4.
    make(repo)
    ran = ok(repo.gm("advance", "work", "--no-commit", "--json"))
    message = json.loads(ran.stdout)["data"]["message"]
    assert (
        message.startswith("milestone(work): start step 1/3") and "Milestone-Revision: 2" in message
    )
    repo.git("reset", "-q", "--", PATH)
    head = repo.head()
    ran = repo.gm("advance", "work")
    assert ran.exit_code == 4
    assert "git milestone recover work" in ran.stderr
    assert repo.head() == head
    ran = ok(repo.gm("recover", "work"))
    assert "committed" in ran.stdout
    assert repo.git("log", "-1", "--format=%B") == message + "\n"
    ok(repo.gm("advance", "work"))
    assert [r["revision"] for r in records(repo)] == [3, 2, 1]


def test_no_commit_prints_the_message_to_commit_with(repo: Repo) -> None:
    make(repo)
    ran = ok(repo.gm("advance", "work", "--no-commit"))
    assert "(staged, not committed)" in ran.stdout
    assert "git milestone recover work" in ran.stdout
    message = ran.stdout.split("\n\n", 1)[1]
    assert message.startswith("milestone(work): start step 1/3")
    proc = subprocess.run(
        ["git", "commit", "-q", "--cleanup=verbatim", "-F", "-"],
        cwd=repo.path,
        input=message,
        text=True,
        check=True,
    )
    assert proc.returncode == 0
    assert repo.trailers()["Milestone-Revision"] == ["2"]
    ok(repo.gm("advance", "work"))  # the journal entry is spent, the file is HEAD's


def test_a_hand_edit_left_in_the_working_tree_is_refused_and_recover_puts_head_back(
    repo: Repo,
) -> None:
    make(repo)
    edited = repo.read(PATH).replace('"step 1"', '"step one"')
    repo.write(PATH, edited)
    head = repo.head()
    ran = repo.gm("claim", "work")
    assert ran.exit_code == 4 and "differs from HEAD" in ran.stderr
    assert repo.head() == head and repo.read(PATH) == edited
    ran = ok(repo.gm("recover", "work", "--json"))
    data = json.loads(ran.stdout)["data"]
    assert data["outcome"] == "restored"
    (backup,) = data["backups"]
    assert Path(backup).read_text(encoding="utf-8") == edited
    assert repo.git("status", "--porcelain") == ""
    ok(repo.gm("claim", "work"))


def test_recover_on_a_clean_file_says_there_is_nothing_to_do(repo: Repo) -> None:
    make(repo)
    ran = ok(repo.gm("recover", "work"))
    assert "nothing to recover" in ran.stdout


def test_a_write_interrupted_after_the_file_is_written_is_finished_by_the_next(repo: Repo) -> None:
    """A command killed between its write and its commit: the journal names the change."""
    make(repo)
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    # The command and its `git commit` die together: no commit, and no cleanup either.
    hook.write_text("#!/bin/sh\nkill -9 $(cut -d' ' -f4 /proc/$PPID/stat) $PPID\n")
    hook.chmod(0o755)
    ran = repo.gm_proc("advance", "work", "--note", "half way")
    assert ran.exit_code != 0
    hook.unlink()
    assert doc(repo)["revision"] == 2  # written, not committed
    # git was killed holding its index lock: the next command says so, and when to remove it.
    ran = repo.gm("handoff", "work", "--notes", "x", env={"GIT_MILESTONE_INDEX_LOCK_WAIT": "0"})
    assert ran.exit_code == 4 and "Only if no git process is running" in ran.stderr
    assert doc(repo)["revision"] == 2
    (repo.path / ".git" / "index.lock").unlink()
    # The next command finishes the interrupted write first, with its own trailers.
    ran = ok(repo.gm("handoff", "work", "--notes", "x"))
    assert "first committed the change `git milestone advance` wrote" in ran.stdout
    assert [(r["action"], r["revision"]) for r in records(repo)][:2] == [
        ("handoff", 3),
        ("advance", 2),
    ]
    assert "half way" in repo.git("log", "-1", "--format=%b", "HEAD~1")


def test_leftover_temporary_files_are_removed_by_the_next_write(repo: Repo) -> None:
    make(repo)
    # No process has that id (the kernel's limit is lower): the write that left it is gone.
    stale = repo.write("MILESTONES/.work.json.999999.tmp", "{")
    ok(repo.gm("claim", "work"))
    assert not stale.exists()
    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""


# git operations in progress ----------------------------------------------------------------------


def conflict(repo: Repo, operation: str) -> None:
    """Leave `operation` stopped on a conflict in README.md."""
    repo.git("checkout", "-qb", "side")
    repo.write("README.md", "side\n")
    repo.git("commit", "-qam", "side")
    repo.git("checkout", "-q", "main")
    repo.write("README.md", "main\n")
    repo.git("commit", "-qam", "main")
    commands = {
        "merge": ["merge", "side"],
        "rebase": ["rebase", "side"],
        "rebase-apply": ["rebase", "--apply", "side"],
        "cherry-pick": ["cherry-pick", "side"],
        "revert": ["revert", "--no-edit", "HEAD"],
    }
    if operation == "revert":
        repo.write("README.md", "after\n")
        repo.git("commit", "-qam", "after")
        commands["revert"] = ["revert", "--no-edit", "HEAD~1"]
    proc = subprocess.run(["git", *commands[operation]], cwd=repo.path, capture_output=True)
    assert proc.returncode != 0


@pytest.mark.parametrize(
    ("operation", "says"),
    [
        ("merge", "a merge"),
        ("rebase", "a rebase"),
        ("rebase-apply", "a rebase"),
        ("cherry-pick", "a cherry-pick"),
        ("revert", "a revert"),
        ("bisect", "a bisect"),
    ],
)
def test_no_write_while_a_git_operation_waits(repo: Repo, operation: str, says: str) -> None:
    make(repo)
    if operation == "bisect":
        repo.git("bisect", "start")
    else:
        conflict(repo, operation)
    before = snapshot(repo)
    for command in (("advance", "work"), ("advance", "work", "--no-commit"), ("recover", "work")):
        ran = repo.gm(*command)
        assert ran.exit_code == 1, ran.stderr
        assert says in ran.stderr and "is in progress" in ran.stderr
        how = "git bisect reset" if operation == "bisect" else "--abort"
        assert how in ran.stderr
    assert snapshot(repo) == before


# git's index lock --------------------------------------------------------------------------------


def test_a_held_index_lock_is_waited_for_then_reported_without_saying_delete_it(
    repo: Repo,
) -> None:
    make(repo)
    lock = repo.path / ".git" / "index.lock"
    lock.write_text("")
    head, before = repo.head(), repo.read(PATH)
    started = time.monotonic()
    ran = repo.gm("advance", "work")
    assert time.monotonic() - started >= 2
    assert ran.exit_code == 4
    assert "another git process is using" in ran.stderr
    assert "Only if no git process is running" in ran.stderr
    assert repo.head() == head and repo.read(PATH) == before and lock.exists()


def test_an_index_lock_released_in_time_is_waited_for(repo: Repo) -> None:
    make(repo)
    lock = repo.path / ".git" / "index.lock"
    lock.write_text("")
    threading.Timer(0.4, lock.unlink).start()
    ok(repo.gm("advance", "work"))
    assert repo.trailers()["Milestone-Revision"] == ["2"]


# null in optional fields, and M002 in words ------------------------------------------------------

NULLS: dict[str, Any] = {
    "updated_by": None,
    "claimed_at": None,
    "renewed_at": None,
    "revision": None,
    "context": None,
    "depends_on": None,
    "completion_notes": None,
}
STEP_NULLS = dict.fromkeys(
    ("started_by", "started_at", "completed_by", "completed_at", "reopened_by", "reopened_at"),
)


def test_null_in_optional_fields_reads_as_absent_and_is_written_absent(repo: Repo) -> None:
    make(repo, 2)
    commit_edit(
        repo,
        PATH,
        lambda d: [d.update(NULLS), d["steps"][0].update(STEP_NULLS, notes=None)],
    )
    ok(repo.gm("validate"))
    ok(repo.gm("advance", "work"))
    written = doc(repo)
    assert "null" not in json.dumps({k: v for k, v in written.items() if k != "owner"})
    assert written["revision"] == 1 and written["steps"][0]["notes"] == ""


def test_check_jsonschema_agrees_that_null_is_fine(repo: Repo) -> None:
    tool = check_jsonschema()
    make(repo, 2)
    commit_edit(repo, PATH, lambda d: [d.update(NULLS), d["steps"][1].update(STEP_NULLS)])
    schema = repo.path / "schema.json"
    schema.write_text(repo.gm("schema").stdout, encoding="utf-8")
    proc = subprocess.run(
        [tool, "--schemafile", str(schema), str(repo.path / PATH)], capture_output=True
    )
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize(
    ("edit", "line"),
    [
        (
            lambda d: d["steps"][1].update(status="done"),
            "$.steps[1].status: 'done' is not a step status; use one of pending, in_progress, "
            "completed, blocked, skipped",
        ),
        (
            lambda d: d.update(foo=1),
            "$: unknown key 'foo' (extension keys start with x-); remove it, or rename it x-foo",
        ),
        (lambda d: d.pop("title"), "$: missing required key 'title'; add it"),
        (
            lambda d: d.update(owner=3),
            "$.owner: 3 is a whole number; owner must be a string (or null)",
        ),
        (
            lambda d: d["steps"][0].update(started_at="soon"),
            "$.steps[0].started_at: 'soon' is not a valid date and time; write it like "
            "2025-11-15T00:20:00Z",
        ),
        (
            lambda d: d.update(progress=150),
            "$.progress: 150 is over 100; progress is at most that",
        ),
        (
            lambda d: d.update(handoff_notes=None),
            "$.handoff_notes: None is null; handoff_notes must be a string",
        ),
    ],
    ids=["enum", "unknown-key", "missing-key", "nullable", "time", "maximum", "required-null"],
)
def test_schema_problems_are_worded_for_a_person(repo: Repo, edit: Any, line: str) -> None:
    make(repo, 2)
    data = doc(repo)
    edit(data)
    repo.write(PATH, json.dumps(data, indent=2) + "\n")
    ran = repo.gm("validate")
    assert ran.exit_code == 1
    assert f"{PATH}: M002 {line}" in ran.stdout.splitlines()
    assert "valid under" not in ran.stdout


def test_end_of_line_conversion_is_not_taken_for_a_change(repo: Repo) -> None:
    # With core.autocrlf the working file holds CRLF while git stores LF: the same version.
    make(repo)
    repo.git("config", "core.autocrlf", "true")
    (repo.path / PATH).unlink()
    repo.git("checkout", "--", PATH)
    assert b"\r\n" in (repo.path / PATH).read_bytes()
    ok(repo.gm("claim", "work"))
    assert repo.trailers()["Milestone-Action"] == ["claim"]
