"""`validate --range`: every commit of a range checked as the guard checks a staged change,
with real histories that went around the commit hooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import histories
from tests.conftest import Repo
from tests.histories import FILE, ID, gm, start


def check(repo: Repo, spec: str, cwd: Path | None = None) -> tuple[int, list[dict[str, Any]]]:
    if cwd is not None:
        repo = Repo(cwd, repo.monkeypatch)
    ran = repo.gm("validate", "--range", spec, "--json")
    out = json.loads(ran.stdout)
    return ran.exit_code, (out["data"] or {}).get("findings", [])


def codes(findings: list[dict[str, Any]], commit: str | None = None) -> set[str]:
    return {f["code"] for f in findings if commit is None or f["commit"] == commit}


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (histories.reverted, {"M201", "M202", "M203"}),
        (histories.cherry_picked, {"M202"}),
        (histories.rebased, {"M202"}),
        (histories.unverified, {"M101", "M202"}),
        (histories.forged, {"M401"}),
    ],
    ids=["revert", "cherry-pick", "rebase", "no-verify", "forged-trailers"],
)
def test_changes_that_went_around_the_hooks_are_caught(
    repo: Repo, build: Callable[[Repo], str], expected: set[str]
) -> None:
    bad = build(repo)
    code, found = check(repo, "main~1..HEAD" if repo.git("branch", "--show-current") else "")
    assert code == 1
    assert expected <= codes(found, bad), found
    assert {f["commit"] for f in found} == {bad}
    assert all(f["file"] == FILE for f in found)
    # The same commit alone, and the text a CI log shows: `commit: file: CODE $.path: ...`.
    ran = repo.gm("validate", "--range", bad)
    assert ran.exit_code == 1
    first = ran.stdout.splitlines()[0]
    assert first.startswith(f"{bad[:9]}: {FILE}: M")
    assert "problem(s) in 1 of 1 commit(s)" in ran.stderr


def test_the_tools_own_history_passes(repo: Repo) -> None:
    start(repo)
    gm(repo, "advance", ID, "--note", "done", minutes=2)
    gm(repo, "handoff", ID, "--next", "go on", "--release", minutes=3)
    gm(repo, "claim", ID, "--as", "bob", minutes=4, actor="bob")
    gm(repo, "block", ID, "--reason", "waiting", "--step", "2", minutes=5, actor="bob")
    repo.git("commit", "-q", "--allow-empty", "-m", "unrelated work")
    root = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    ran = repo.gm("validate", "--range", f"{root}..HEAD")
    assert ran.exit_code == 0, ran.stdout
    assert ran.stdout.strip() == "7 commit(s) checked, 6 milestone change(s), no problems"


def test_a_root_commit_is_checked_like_a_first_commit(empty_repo: Repo) -> None:
    repo = empty_repo
    gm(repo, "new", "First", "--id", ID, "--step", "a")
    assert check(repo, "HEAD") == (0, [])
    d = histories.doc(repo)
    d["progress"] = 50
    repo.write(FILE, json.dumps(d))
    repo.git("commit", "-q", "--amend", "--no-verify", "-a", "--no-edit")
    code, found = check(repo, "HEAD")
    assert (code, codes(found)) == (1, {"M101", "M401"})


def test_trailers_naming_a_milestone_the_commit_does_not_change_are_m402(repo: Repo) -> None:
    start(repo)
    message = repo.git("log", "-1", "--format=%B")
    repo.write("notes.txt", "x\n")
    repo.git("add", "notes.txt")
    repo.git("commit", "-q", "--no-verify", "-m", message)
    code, found = check(repo, "HEAD")
    assert (code, [f["code"] for f in found]) == (1, ["M402"])
    assert "does not change MILESTONES/m.json" in found[0]["message"]


def test_the_actor_is_the_trailer_else_the_author_and_now_is_the_committer_date(
    repo: Repo,
) -> None:
    start(repo)  # alice holds m from 01:01
    d = histories.doc(repo)
    d["steps"][1]["notes"] = "bob was here"
    d.update(owner="bob", revision=d["revision"] + 1, updated_at="2025-11-15T01:30:00Z")
    repo.write(FILE, json.dumps(d, indent=2) + "\n")
    during = {"GIT_AUTHOR_NAME": "bob", "GIT_COMMITTER_DATE": "2025-11-15T01:30:00Z"}
    repo.git("commit", "-q", "--no-verify", "-am", "bob takes over", env=during)
    assert codes(check(repo, "HEAD")[1]) == {"M301", "M302"}
    after = {"GIT_AUTHOR_NAME": "bob", "GIT_COMMITTER_DATE": "2025-11-15T05:00:00Z"}
    repo.git("commit", "-q", "--amend", "--no-verify", "--no-edit", env=after)
    assert check(repo, "HEAD") == (0, [])  # alice's lease had expired by then


def test_settings_come_from_the_commit_and_a_bare_repository_works(
    repo: Repo, tmp_path: Path
) -> None:
    repo.write(".gitmilestone.toml", 'dir = "work/ms"\nlease = "30m"\n')
    repo.git("add", ".gitmilestone.toml")
    repo.git("commit", "-q", "-m", "settings")
    gm(repo, "new", "Elsewhere", "--id", ID, "--step", "a")
    rel = f"work/ms/{ID}.json"
    d = json.loads(repo.read(rel))
    d["progress"] = 7
    repo.write(rel, json.dumps(d))
    repo.git("commit", "-q", "--no-verify", "-am", "break it")
    repo.write(".gitmilestone.toml", 'dir = "MILESTONES"\n')  # not committed: not used
    bare = tmp_path / "bare.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(bare))
    code, found = check(repo, "HEAD~2..HEAD", cwd=bare)
    assert code == 1
    assert {f["file"] for f in found} == {rel}
    assert codes(found) == {"M101", "M201", "M202"}


def test_a_merge_is_checked_against_both_parents(repo: Repo) -> None:
    assert repo.gm("init").exit_code == 0
    start(repo)
    repo.git("checkout", "-q", "-b", "other")
    gm(repo, "advance", ID, "2", "--note", "b", minutes=5)
    repo.git("checkout", "-q", "main")
    gm(repo, "advance", ID, "3", "--note", "c", minutes=6)
    repo.git("merge", "-q", "--no-edit", "other")
    assert check(repo, "HEAD~1..HEAD") == (0, [])
    d = histories.doc(repo)
    d["revision"] = d["revision"] - 1
    repo.write(FILE, json.dumps(d, indent=2) + "\n")
    repo.git("commit", "-q", "--amend", "--no-verify", "-a", "--no-edit")
    code, found = check(repo, "HEAD")
    assert (code, codes(found)) == (1, {"M202"})
    assert "highest revision of its parents" in found[0]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--range", "nope..HEAD"), "'nope' is not a commit here"),
        (("--range", "HEAD", "--staged"), "one of them"),
        (("--range", ""), "give a range"),
    ],
    ids=["unknown-rev", "two-modes", "empty"],
)
def test_usage_errors(repo: Repo, args: tuple[str, ...], message: str) -> None:
    ran = repo.gm("validate", *args)
    assert ran.exit_code == 2
    assert message in ran.stderr
