"""The write path every state-changing command shares: one file, one commit, the user's own
staged work left alone, git hooks obeyed, `--json` and `--no-commit` everywhere, and ids
and notes that cannot escape their place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Ran, Repo, seed_bytes

PATH = "MILESTONES/work.json"


def doc(repo: Repo, rel: str = PATH) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.read(rel))
    return data


def ok(ran: Ran) -> Ran:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


def make(repo: Repo, *options: str) -> None:
    ok(repo.gm("new", "Work", "--id", "work", "--step", "one", "--step", "two", *options))


def staged(repo: Repo) -> list[str]:
    return repo.git("diff", "--cached", "--name-only").splitlines()


def refuse_commits(repo: Repo, message: str = "policy says no: ticket number missing") -> None:
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    hook.chmod(0o755)


# Each case: commands that set the scene, then the command under test.
Case = tuple[list[tuple[str, ...]], tuple[str, ...]]
STARTED: list[tuple[str, ...]] = [("advance", "work")]
WRITES: dict[str, Case] = {
    "init": ([], ("init",)),
    "new": ([], ("new", "Another one", "--step", "x")),
    "claim": ([], ("claim", "work")),
    "release": (STARTED, ("release", "work")),
    "advance": (STARTED, ("advance", "work", "--note", "n")),
    "block": (STARTED, ("block", "work", "--reason", "waiting")),
    "unblock": ([*STARTED, ("block", "work", "--reason", "r")], ("unblock", "work")),
    "handoff": (STARTED, ("handoff", "work", "--next", "carry on")),
    "complete": (STARTED, ("complete", "work", "--force")),
    "abandon": (STARTED, ("abandon", "work", "--reason", "stop")),
    "reopen": ([("abandon", "work", "--reason", "stop")], ("reopen", "work")),
    "step-add": (STARTED, ("step", "add", "work", "three")),
}
READS: dict[str, Case] = {
    "list": (STARTED, ("list",)),
    "status": (STARTED, ("status", "--all")),
    "show": (STARTED, ("show", "work")),
}


def scene(repo: Repo, setup: list[tuple[str, ...]]) -> None:
    make(repo)
    for command in setup:
        ok(repo.gm(*command))


# --json ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "command"), [*WRITES.values(), *READS.values()], ids=[*WRITES, *READS]
)
def test_json_output_is_one_document_with_the_envelope(
    repo: Repo, setup: list[tuple[str, ...]], command: tuple[str, ...]
) -> None:
    scene(repo, setup)
    ran = ok(repo.gm(*command, "--json"))
    envelope = json.loads(ran.stdout)
    assert envelope["schema_version"] == 1
    assert envelope["ok"] is True
    assert "error" not in envelope
    assert isinstance(envelope["data"], dict)
    assert ran.stderr == ""
    if command[0] in ("claim", "release", "advance", "handoff", "complete", "abandon", "reopen"):
        assert envelope["data"]["changed"] is True
        assert envelope["data"]["commit"] == repo.head()
        assert envelope["data"]["milestone"] == doc(repo)


@pytest.mark.parametrize(
    ("command", "code", "error"),
    [
        pytest.param(("claim", "work", "--as", "bob"), 3, "owner-conflict", id="conflict"),
        pytest.param(("show", "ghost"), 1, "not-found", id="not-found"),
        pytest.param(("complete", "work"), 1, "invalid", id="refused"),
        pytest.param(("advance", "../x"), 2, "usage", id="usage"),
    ],
)
def test_json_errors_use_the_envelope_too(
    repo: Repo, command: tuple[str, ...], code: int, error: str
) -> None:
    make(repo, "--claim")
    ran = repo.gm(*command, "--json")
    assert ran.exit_code == code
    envelope = json.loads(ran.stdout)
    assert (envelope["schema_version"], envelope["ok"], envelope["data"]) == (1, False, None)
    assert envelope["error"]["code"] == error
    assert envelope["error"]["message"]


def test_a_no_op_says_so_in_json(repo: Repo) -> None:
    make(repo, "--claim")
    data = json.loads(ok(repo.gm("claim", "work", "--json")).stdout)["data"]
    assert (data["changed"], data["action"], data["commit"]) == (False, None, None)


# --no-commit -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("setup", "command"), WRITES.values(), ids=WRITES.keys())
def test_no_commit_writes_and_stages_without_committing(
    repo: Repo, setup: list[tuple[str, ...]], command: tuple[str, ...]
) -> None:
    scene(repo, setup)
    before = repo.commit_count()
    revision = doc(repo)["revision"]
    ran = ok(repo.gm(*command, "--no-commit"))
    assert repo.commit_count() == before
    assert "staged" in ran.stdout
    if command[0] == "init":
        assert staged(repo) == [
            ".gitattributes",
            "MILESTONES/README.md",
            "MILESTONES/schema/milestone-v1.schema.json",
        ]
    elif command[0] == "new":
        assert staged(repo) == ["MILESTONES/another-one.json"]
        assert doc(repo, "MILESTONES/another-one.json")["revision"] == 1
    else:
        assert staged(repo) == [PATH]
        assert doc(repo)["revision"] == revision + 1
    assert repo.git("diff", "--name-only") == ""


def test_no_commit_then_git_commit_is_a_valid_milestone_commit(repo: Repo) -> None:
    make(repo, "--claim")
    ok(repo.gm("advance", "work", "--no-commit"))
    repo.git("commit", "-q", "-m", "start work")
    assert repo.files_in() == [PATH]
    assert ok(repo.gm("validate")).exit_code == 0


# ids ---------------------------------------------------------------------------------------------

BAD_IDS = ["../x", "a/b", "UPPER"]
ID_COMMANDS: dict[str, Callable[[str], tuple[str, ...]]] = {
    "new-id": lambda i: ("new", "Title", "--id", i),
    "new-depends-on": lambda i: ("new", "Title", "--depends-on", i),
    "show": lambda i: ("show", i),
    "claim": lambda i: ("claim", i),
    "release": lambda i: ("release", i),
    "advance": lambda i: ("advance", i),
    "block": lambda i: ("block", i, "--reason", "r"),
    "unblock": lambda i: ("unblock", i),
    "handoff": lambda i: ("handoff", i, "--notes", "n"),
    "complete": lambda i: ("complete", i),
    "abandon": lambda i: ("abandon", i, "--reason", "r"),
    "reopen": lambda i: ("reopen", i),
    "step-add": lambda i: ("step", "add", i, "text"),
}


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("command", ID_COMMANDS.values(), ids=ID_COMMANDS.keys())
def test_ids_that_are_not_slugs_are_refused_and_nothing_is_written(
    repo: Repo, command: Callable[[str], tuple[str, ...]], bad: str
) -> None:
    repo.write("MILESTONES/x.json", "{}")
    (repo.path / "MILESTONES" / "a").mkdir()
    before, tree = repo.commit_count(), sorted(p.name for p in repo.path.rglob("*"))
    ran = repo.gm(*command(bad))
    assert ran.exit_code == 2, ran.stdout + ran.stderr
    assert f"{bad!r} is not a milestone id" in ran.stderr
    assert repo.commit_count() == before
    assert sorted(p.name for p in repo.path.rglob("*")) == tree
    assert repo.read("MILESTONES/x.json") == "{}"
    assert staged(repo) == []


# the user's own work -----------------------------------------------------------------------------


def test_other_staged_changes_stay_staged_and_out_of_the_commit(repo: Repo) -> None:
    make(repo, "--claim")
    repo.write("README.md", "staged edit\n")
    repo.write("notes.txt", "new staged file\n")
    repo.git("add", "README.md", "notes.txt")
    repo.write("README.md", "staged edit\nplus an unstaged line\n")
    ok(repo.gm("advance", "work"))
    assert repo.files_in() == [PATH]
    assert staged(repo) == ["README.md", "notes.txt"]
    assert repo.git("show", ":README.md") == "staged edit\n"
    assert repo.read("README.md") == "staged edit\nplus an unstaged line\n"
    assert repo.git("diff", "--name-only") == "README.md\n"


def test_new_in_a_repository_without_commits(empty_repo: Repo) -> None:
    empty_repo.write("src.txt", "staged before the first commit\n")
    empty_repo.git("add", "src.txt")
    ok(empty_repo.gm("new", "First milestone", "--step", "one"))
    assert empty_repo.commit_count() == 1
    assert empty_repo.files_in() == ["MILESTONES/first-milestone.json"]
    assert empty_repo.trailers()["Milestone-Action"] == ["create"]
    assert staged(empty_repo) == ["src.txt"]


# git hooks ---------------------------------------------------------------------------------------


def test_a_commit_refused_by_a_hook_leaves_everything_as_it_was(repo: Repo) -> None:
    make(repo, "--claim")
    repo.write("notes.txt", "mine\n")
    repo.git("add", "notes.txt")
    refuse_commits(repo)
    before, content = repo.commit_count(), repo.read(PATH)
    ran = repo.gm("advance", "work", "--note", "should not land")
    assert ran.exit_code == 1
    assert "policy says no: ticket number missing" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert repo.read(PATH) == content
    assert repo.commit_count() == before
    assert staged(repo) == ["notes.txt"]
    assert repo.git("status", "--porcelain") == "A  notes.txt\n"


def test_a_new_milestone_refused_by_a_hook_leaves_no_file_and_nothing_staged(repo: Repo) -> None:
    refuse_commits(repo)
    before = repo.commit_count()
    ran = repo.gm("new", "Refused", "--step", "one")
    assert ran.exit_code == 1
    assert "policy says no" in ran.stderr
    assert not repo.file("MILESTONES/refused.json").exists()
    assert repo.commit_count() == before
    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""


def test_a_refused_change_to_an_untracked_file_leaves_it_untracked(repo: Repo) -> None:
    # A file never committed is not the command's to commit: refused before any hook runs.
    repo.write("MILESTONES/deploy-dashboard.json", seed_bytes())
    refuse_commits(repo)
    ran = repo.gm("advance", "deploy-dashboard", "--as", "session-3-coordinator")
    assert ran.exit_code == 4, ran.stderr
    assert "not in git yet" in ran.stderr
    assert repo.file("MILESTONES/deploy-dashboard.json").read_bytes() == seed_bytes()
    assert repo.git("status", "--porcelain") == "?? MILESTONES/\n"


def test_a_refused_first_commit_leaves_nothing_staged(empty_repo: Repo) -> None:
    refuse_commits(empty_repo)
    ran = empty_repo.gm("new", "Refused", "--step", "one")
    assert ran.exit_code == 1
    assert not empty_repo.file("MILESTONES/refused.json").exists()
    assert empty_repo.git("status", "--porcelain", "--untracked-files=all") == ""


def test_hooks_see_who_acts(repo: Repo) -> None:
    make(repo, "--claim")
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text('#!/bin/sh\necho "$GIT_MILESTONE_ACTOR ${GIT_MILESTONE_FORCED:-}" > seen.txt\n')
    hook.chmod(0o755)
    ok(repo.gm("advance", "work"))
    assert repo.read("seen.txt") == "alice \n"
    ok(repo.gm("claim", "work", "--force", "--as", "bob"))
    assert repo.read("seen.txt") == "bob work\n"


# user text cannot forge trailers -----------------------------------------------------------------

FORGED_NOTE = (
    "deploy went fine\nMilestone-Owner: someone-else\n---\nMilestone-Owner: mallory\n"
    "Milestone: other"
)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("advance", "work", "--note", FORGED_NOTE), id="advance-note"),
        pytest.param(("handoff", "work", "--notes", FORGED_NOTE), id="handoff-notes"),
        pytest.param(("reopen", "work", "1", "--as", "alice"), id="reopen-no-note"),
    ],
)
def test_notes_cannot_forge_trailers(repo: Repo, command: tuple[str, ...]) -> None:
    make(repo, "--claim")
    if command[0] == "reopen":
        ok(repo.gm("advance", "work", "--note", FORGED_NOTE))
        ok(repo.gm("advance", "work", "--note", FORGED_NOTE))
    ok(repo.gm(*command))

    def trailer(key: str) -> str:
        return repo.git("log", "-1", f"--format=%(trailers:key={key},valueonly)").strip()

    for key, value in (("Milestone-Owner", "alice"), ("Milestone", "work")):
        assert trailer(key) == value
    message = repo.git("log", "-1", "--format=%B")
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=message,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Milestone-Owner: alice\n" in parsed
    assert "mallory" not in parsed and "someone-else" not in parsed
    assert "\n" not in repo.git("log", "-1", "--format=%s").strip()
    record = json.loads(ok(repo.gm("log", "work", "-n", "1", "--json")).stdout)["data"]
    assert record["records"][0]["owner"] == "alice"
    assert doc(repo)["owner"] == "alice"


# who acts ----------------------------------------------------------------------------------------


def test_the_actor_falls_back_to_git_config(repo: Repo) -> None:
    repo.monkeypatch.delenv("GIT_MILESTONE_ACTOR")
    make(repo)
    assert doc(repo)["updated_by"] == "Test Author"
    repo.git("config", "milestone.actor", "session-7")
    ok(repo.gm("claim", "work"))
    assert doc(repo)["owner"] == "session-7"
    assert repo.trailers()["Milestone-Actor"] == ["session-7"]


def test_no_actor_at_all_is_a_clear_usage_error(repo: Repo) -> None:
    repo.monkeypatch.delenv("GIT_MILESTONE_ACTOR")
    repo.git("config", "--unset", "user.name")
    before = repo.commit_count()
    ran = repo.gm("new", "Nobody", "--step", "one")
    assert ran.exit_code == 2
    assert "who is acting?" in ran.stderr and "--as NAME" in ran.stderr
    assert repo.commit_count() == before
    assert not repo.file("MILESTONES/nobody.json").exists()


# the installed hooks accept what the commands write ----------------------------------------------


def test_renumbering_reopening_and_taking_over_pass_the_installed_hooks(repo: Repo) -> None:
    repo.monkeypatch.setenv(
        "PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    ok(repo.gm("install-hooks"))
    later = {"GIT_MILESTONE_NOW": "2025-11-15T04:00:00Z"}
    steps: list[tuple[tuple[str, ...], dict[str, str] | None]] = [
        (("new", "Work", "--id", "work", "--step", "one", "--step", "two", "--claim"), None),
        (("advance", "work"), None),
        (("advance", "work", "--note", "done\n---\nMilestone-Owner: mallory"), None),
        (("step", "add", "work", "zero", "--after", "0"), None),
        (("block", "work", "--reason", "stuck", "--step", "3", "--as", "bob"), later),
        (("unblock", "work", "--as", "bob"), later),
        (("abandon", "work", "--reason", "paused", "--as", "bob"), later),
        (("reopen", "work", "--as", "bob"), later),
    ]
    for args, env in steps:
        count = repo.commit_count()
        ran = repo.gm(*args, env=env)
        assert ran.exit_code == 0, (args, ran.stdout, ran.stderr)
        assert repo.commit_count() == count + 1, args
    data = doc(repo)
    assert [s["status"] for s in data["steps"]] == ["pending", "completed", "pending"]
    assert (data["status"], data["progress"]) == ("pending", 33)
    owners = repo.git("log", "--format=%(trailers:key=Milestone-Owner,valueonly)", "-n", "8")
    assert "mallory" not in owners
