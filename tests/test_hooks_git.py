"""End to end: the plain git hooks installed by `install-hooks`, and real `git commit`s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, Repo
from tests.test_guard import FILE, ID, derive, doc, hand_edit, new_milestone, set_step

BIN = str(Path(sys.executable).parent)


@pytest.fixture
def hooked(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """`repo` with the hooks installed, and `git-milestone` on PATH as a user would have it."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    ran = repo.gm("install-hooks")
    assert ran.exit_code == 0, ran.stderr
    return repo


def commit(repo: Repo, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """A real `git commit ARGS`: its exit code and everything it (and the hooks) printed."""
    proc = subprocess.run(
        ["git", "commit", *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stdout + proc.stderr


def refused(repo: Repo, code: str, *args: str) -> str:
    before = repo.git("rev-parse", "-q", "--verify", "HEAD", check=False)
    message = () if {"-m", "-F"} & set(args) else ("-m", "hand edit")
    rc, out = commit(repo, *message, *args)
    assert rc != 0, out
    assert code in out, out
    assert repo.git("rev-parse", "-q", "--verify", "HEAD", check=False) == before
    return out


def passes(repo: Repo, *args: str) -> None:
    count = repo.commit_count()
    rc, out = commit(repo, *(args or ("-m", "hand edit")))
    assert rc == 0, out
    assert repo.commit_count() == count + (0 if "--amend" in args else 1)


# --- what the hooks refuse --------------------------------------------------------------------


def test_wrong_progress_is_refused_with_m101(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    hand_edit(hooked, lambda d: d.update(progress=66), bump=False)
    out = refused(hooked, "M101")
    assert "set progress to 0" in out


def test_stale_copy_undoing_a_step_is_refused_with_m203(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    assert hooked.gm("advance", ID).exit_code == 0
    stale = hooked.read(FILE)
    assert hooked.gm("advance", ID).exit_code == 0
    # the copy from before step 1 was completed, brought up to date in every other way
    head = doc(hooked)
    hooked.write(FILE, stale)
    hand_edit(hooked, lambda d: d.update(revision=head["revision"]))
    assert doc(hooked)["steps"][0]["status"] == "in_progress"
    refused(hooked, "M203")


def test_edit_from_an_old_copy_is_refused_with_m202(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    old = hooked.read(FILE)
    assert hooked.gm("handoff", ID, "--notes", "from the other session").exit_code == 0
    hooked.write(FILE, old)
    hand_edit(hooked, lambda d: d.update(handoff_notes="mine"))
    refused(hooked, "M202")


def test_milestone_held_by_someone_else_is_refused(hooked: Repo) -> None:
    new_milestone(hooked)
    assert hooked.gm("claim", ID, "--as", "bob").exit_code == 0
    hand_edit(hooked, lambda d: d.update(owner="alice"))
    refused(hooked, "M301")
    hooked.git("checkout", "-q", "HEAD", "--", FILE)
    hand_edit(hooked, set_step(1, "in_progress"))
    refused(hooked, "M302")


def test_deleted_milestone_is_refused_with_m206(hooked: Repo) -> None:
    new_milestone(hooked)
    hooked.git("rm", "-q", FILE)
    refused(hooked, "M206")


def test_forged_trailers_are_refused(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    d = hand_edit(hooked, set_step(1, "completed"))
    trailers = (
        f"Milestone: {ID}\nMilestone-Action: complete\nMilestone-Status: completed\n"
        f"Milestone-Progress: 100\nMilestone-Owner: none\nMilestone-Actor: alice\n"
        f"Milestone-Revision: {d['revision']}\n"
    )
    msg = hooked.write(".git/MSG", "milestone: done\n\n" + trailers)
    out = refused(hooked, "Milestone-Status says completed", "-F", str(msg))
    assert "Milestone-Progress says 100 but the staged file has 33" in out
    honest = trailers.replace("completed\n", "in_progress\n").replace("100", "33")
    honest = honest.replace("Owner: none", "Owner: alice")
    passes(hooked, "-F", str(hooked.write(".git/MSG", "milestone: step 1\n\n" + honest)))
    assert hooked.trailers()["Milestone-Progress"] == ["33"]


def test_trailers_for_an_unchanged_milestone_are_refused(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    head_message = hooked.git("log", "-1", "--format=%B").replace("Revision: 1", "Revision: 2")
    hooked.write("notes.txt", "x\n")
    hooked.git("add", "notes.txt")
    refused(hooked, "does not change", "-m", head_message)


# --- what the hooks let through ---------------------------------------------------------------


def test_good_hand_edit_passes(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    hand_edit(hooked, set_step(1, "completed"))
    passes(hooked)
    assert doc(hooked)["progress"] == 33


def test_unrelated_commit_passes_even_without_the_cli(hooked: Repo, tmp_path: Path) -> None:
    """Nothing to check: the hook returns before looking for git-milestone or Python."""
    new_milestone(hooked)
    nothing = tmp_path / "empty-bin"
    nothing.mkdir()
    hooked.write("notes.txt", "unrelated\n")
    hooked.git("add", "notes.txt")
    rc, out = commit(hooked, "-m", "notes", env={"PATH": f"{nothing}{os.pathsep}/usr/bin:/bin"})
    assert rc == 0, out
    assert hooked.files_in() == ["notes.txt"]


def test_without_the_cli_a_milestone_commit_is_refused_clearly(
    hooked: Repo, tmp_path: Path
) -> None:
    new_milestone(hooked, "--claim")
    hand_edit(hooked, set_step(1, "completed"))
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nexit 1\n")
    (fake / "python3").chmod(0o755)
    rc, out = commit(hooked, "-m", "x", env={"PATH": f"{fake}{os.pathsep}/usr/bin:/bin"})
    assert rc == 1
    assert "git-milestone is not on PATH" in out
    assert "pip install gitmilestone" not in out


def test_falls_back_to_python3_module(hooked: Repo, tmp_path: Path) -> None:
    new_milestone(hooked, "--claim")
    hand_edit(hooked, lambda d: d.update(progress=66), bump=False)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (fake / "python3").chmod(0o755)
    rc, out = commit(hooked, "-m", "x", env={"PATH": f"{fake}{os.pathsep}/usr/bin:/bin"})
    assert rc == 1
    assert "M101" in out


def test_every_cli_command_passes_the_hooks(hooked: Repo) -> None:
    steps = [
        ("new", "Deploy dashboard", "--step", "a", "--step", "b", "--step", "c"),
        ("claim", ID),
        ("advance", ID),
        ("block", ID, "--reason", "waiting for keys", "--step", "2"),
        ("unblock", ID),
        ("handoff", ID, "--next", "finish step 2", "--notes", "keys arrived"),
        ("release", ID),
        ("claim", ID, "--as", "bob"),
        ("claim", ID, "--force"),
        ("step", "add", ID, "d", "--after", "3"),
        ("advance", ID, "3", "--to", "skipped", "--note", "not needed"),
        ("complete", ID, "--force", "--notes", "done enough"),
        ("reopen", ID, "2"),
        ("abandon", ID, "--reason", "superseded"),
    ]
    for args in steps:
        count = hooked.commit_count()
        ran = hooked.gm(*args)
        assert ran.exit_code == 0, (args, ran.stdout, ran.stderr)
        assert hooked.commit_count() == count + 1, args
        assert hooked.trailers()["Milestone"] == [ID]
    forced = hooked.git("log", "--format=%(trailers:key=Milestone-Forced,valueonly)", "-n", "6")
    assert "true" in forced


def test_init_with_hooks_installs_them(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    ran = repo.gm("init", "--hooks")
    assert ran.exit_code == 0, ran.stderr
    hooks = repo.path / ".git" / "hooks"
    assert (hooks / "pre-commit").read_bytes() == (PROJECT / "hooks" / "pre-commit").read_bytes()
    new_milestone(repo)
    hand_edit(repo, lambda d: d.update(progress=66), bump=False)
    refused(repo, "M101")


def test_amending_a_cli_commit_passes(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    assert hooked.gm("advance", ID).exit_code == 0
    subject = hooked.git("log", "-1", "--format=%s")
    passes(hooked, "--amend", "--no-edit")
    assert hooked.git("log", "-1", "--format=%s") == subject
    assert hooked.trailers()["Milestone-Action"] == ["advance"]
    hooked.write("notes.txt", "forgotten file\n")
    hooked.git("add", "notes.txt")
    passes(hooked, "--amend", "--no-edit")
    assert "notes.txt" in hooked.files_in()


def test_amend_with_a_further_edit_is_checked_against_head(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    hand_edit(hooked, lambda d: d.update(progress=66), bump=False)
    refused(hooked, "M101", "--amend")
    hand_edit(hooked, lambda d: d.update(handoff_notes="more"), at="2025-11-15T02:00:00Z")
    passes(hooked, "--amend", "-m", "reworded")


def test_first_commit_of_a_repository(empty_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    assert empty_repo.gm("install-hooks").exit_code == 0
    seed = (PROJECT / "tests" / "data" / f"{ID}.json").read_bytes()
    empty_repo.write(FILE, seed)
    empty_repo.git("add", FILE)
    refused(empty_repo, "M101")
    d = json.loads(seed)
    derive(d)
    empty_repo.write(FILE, json.dumps(d, indent=2) + "\n")
    empty_repo.git("add", FILE)
    passes(empty_repo)


def test_commit_only_reads_the_temporary_index(hooked: Repo) -> None:
    """`git commit PATH` commits from a temporary index: what is staged elsewhere is not
    part of the commit, and what the paths hold is."""
    new_milestone(hooked, "--claim")
    hand_edit(hooked, lambda d: d.update(progress=66), bump=False)
    hooked.write("notes.txt", "x\n")
    hooked.git("add", "notes.txt")
    passes(hooked, "-m", "notes only", "--only", "notes.txt")
    assert hooked.files_in() == ["notes.txt"]
    refused(hooked, "M101", "--only", FILE)


def test_merge_with_a_conflict_elsewhere(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    hooked.git("checkout", "-q", "-b", "feature")
    for _ in range(2):
        assert hooked.gm("advance", ID).exit_code == 0
    hooked.write("README.md", "feature\n")
    hooked.git("commit", "-qam", "readme on feature")
    hooked.git("checkout", "-q", "main")
    hooked.write("README.md", "main\n")
    hooked.git("commit", "-qam", "readme on main")
    hooked.git("merge", "feature", check=False)
    assert (hooked.path / ".git" / "MERGE_HEAD").exists(), "README.md conflicts"
    hooked.write("README.md", "both\n")
    hooked.git("add", "README.md")
    rc, out = commit(hooked, "--no-edit")
    assert rc == 0, out
    assert len(hooked.git("log", "-1", "--format=%P").split()) == 2
    assert doc(hooked)["revision"] == 3


def test_rebase_replays_milestone_commits(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    hooked.git("checkout", "-q", "-b", "feature")
    assert hooked.gm("advance", ID).exit_code == 0
    assert hooked.gm("advance", ID).exit_code == 0
    hooked.git("checkout", "-q", "main")
    hooked.write("other.txt", "x\n")
    hooked.git("add", "other.txt")
    passes(hooked, "-m", "unrelated")
    hooked.git("checkout", "-q", "feature")
    hooked.git("rebase", "-q", "main")
    assert hooked.git("log", "-1", "--format=%s").startswith(f"milestone({ID}): complete step 1")
    assert (hooked.path / "other.txt").exists()


def test_linked_worktree(hooked: Repo, tmp_path: Path) -> None:
    new_milestone(hooked, "--claim")
    hooked.git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
    wt = Repo(tmp_path / "wt", hooked.monkeypatch)
    hand_edit(wt, lambda d: d.update(progress=66), bump=False)
    refused(wt, "M101")
    wt.git("checkout", "-q", "HEAD", "--", FILE)
    assert wt.gm("advance", ID).exit_code == 0
    assert wt.trailers()["Milestone-Action"] == ["advance"]
    hand_edit(wt, lambda d: d.update(handoff_notes="by hand"), at="2025-11-15T03:00:00Z")
    passes(wt)


def test_moved_milestone_directory(hooked: Repo) -> None:
    hooked.write(".gitmilestone.toml", 'dir = "SESSIONS/MILESTONES"\n')
    hooked.git("add", ".gitmilestone.toml")
    passes(hooked, "-m", "settings")
    new_milestone(hooked, "--claim")
    rel = f"SESSIONS/MILESTONES/{ID}.json"
    hand_edit(hooked, lambda d: d.update(progress=66), bump=False, rel=rel)
    refused(hooked, "M101")
    hooked.git("rm", "-q", "-f", rel)
    refused(hooked, "M206")


# --- install-hooks ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pre-commit", "pre-merge-commit", "commit-msg"])
def test_repository_hooks_are_what_install_hooks_writes(hooked: Repo, name: str) -> None:
    installed = hooked.path / ".git" / "hooks" / name
    assert installed.read_bytes() == (PROJECT / "hooks" / name).read_bytes()
    assert os.access(installed, os.X_OK)
    assert os.access(PROJECT / "hooks" / name, os.X_OK)


def test_install_twice_changes_nothing(hooked: Repo) -> None:
    hooks = hooked.path / ".git" / "hooks"
    before = {p.name: p.read_bytes() for p in hooks.iterdir()}
    ran = hooked.gm("install-hooks", "--json")
    assert ran.exit_code == 0
    assert json.loads(ran.stdout)["data"]["hooks"] == {
        "pre-commit": "already installed",
        "pre-merge-commit": "already installed",
        "commit-msg": "already installed",
    }
    assert {p.name: p.read_bytes() for p in hooks.iterdir()} == before


def test_existing_hook_is_chained_and_restored(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    hooks = repo.path / ".git" / "hooks"
    original = b'#!/bin/sh\necho "local hook ran" >> local.log\n[ ! -e block ]\n'
    (hooks / "pre-commit").write_bytes(original)
    (hooks / "pre-commit").chmod(0o755)
    ran = repo.gm("install-hooks")
    assert ran.exit_code == 0
    assert "kept as pre-commit.local" in ran.stdout
    assert repo.gm("install-hooks").exit_code == 0
    assert (hooks / "pre-commit.local").read_bytes() == original

    new_milestone(repo)
    assert (repo.path / "local.log").read_text() == "local hook ran\n"
    repo.write("block", "")
    repo.write("notes.txt", "x\n")
    repo.git("add", "notes.txt")
    rc, _ = commit(repo, "-m", "blocked by the local hook")
    assert rc == 1
    (repo.path / "block").unlink()
    hand_edit(repo, lambda d: d.update(progress=66), bump=False)
    refused(repo, "M101")

    ran = repo.gm("install-hooks", "--uninstall")
    assert ran.exit_code == 0
    assert (hooks / "pre-commit").read_bytes() == original
    assert not (hooks / "pre-commit.local").exists()
    assert not (hooks / "commit-msg").exists()
    passes(repo, "-m", "unchecked again")


def test_both_hook_and_local_present_is_refused(repo: Repo) -> None:
    hooks = repo.path / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\n")
    (hooks / "pre-commit.local").write_text("#!/bin/sh\n")
    ran = repo.gm("install-hooks")
    assert ran.exit_code == 1
    assert "both exist" in ran.stderr
    assert (hooks / "pre-commit").read_text() == "#!/bin/sh\n"


def test_core_hooks_path_is_respected(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    repo.git("config", "core.hooksPath", ".githooks")
    ran = repo.gm("install-hooks", "--json")
    assert ran.exit_code == 0
    assert json.loads(ran.stdout)["data"]["hooks_dir"] == str(repo.path / ".githooks")
    assert (repo.path / ".githooks" / "commit-msg").exists()
    assert not (repo.path / ".git" / "hooks" / "commit-msg").exists()
    new_milestone(repo)
    hand_edit(repo, lambda d: d.update(progress=66), bump=False)
    refused(repo, "M101")


def test_uninstall_leaves_a_foreign_hook_alone(repo: Repo) -> None:
    hooks = repo.path / ".git" / "hooks"
    (hooks / "commit-msg").write_text("#!/bin/sh\nexit 0\n")
    ran = repo.gm("install-hooks", "--uninstall")
    assert ran.exit_code == 0
    assert "commit-msg: not ours, left alone" in ran.stdout
    assert (hooks / "commit-msg").read_text() == "#!/bin/sh\nexit 0\n"


def test_an_automatic_merge_runs_the_guard_as_pre_merge_commit(hooked: Repo) -> None:
    new_milestone(hooked, "--claim")
    hooked.git("checkout", "-q", "-b", "side")
    hand_edit(hooked, lambda d: d.update(progress=66), bump=False)
    hooked.git("commit", "-q", "--no-verify", "-am", "stale progress, hooks skipped")
    hooked.git("checkout", "-q", "main")
    hooked.write("other.txt", "unrelated\n")
    hooked.git("add", "other.txt")
    hooked.git("commit", "-q", "-m", "unrelated work")
    head = hooked.head()
    proc = subprocess.run(
        ["git", "merge", "--no-edit", "side"], cwd=hooked.path, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "M101" in proc.stdout + proc.stderr
    assert hooked.head() == head
