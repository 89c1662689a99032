"""Where no commit hook could run and commits are not signed, a write commits with git's
plumbing (`commit-tree`, `update-ref`, `update-index`) instead of `git commit --only`.
The two routes must make the same commit: each test makes the same edits in two
repositories made alike at fixed times, one on each route (a hook that does nothing
sends the other to `git commit`), and compares commit ids (tree, parents, identities,
dates, encoding, message bytes), reflogs, the index and `git status`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import T0, Repo, make_repo

DATES = {
    "GIT_AUTHOR_DATE": "1763168400 +0100",
    "GIT_COMMITTER_DATE": "1763168460 -0500",
}
Setup = Callable[[Repo], Path]


def no_op_hook(directory: Path, name: str = "post-commit") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    hook = directory / name
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)


def git_commands(repo: Repo, cwd: Path, *args: str) -> tuple[int, list[str]]:
    """Run `git milestone ARGS` as a process: its exit code, and the git commands it ran."""
    trace = repo.path.parent / f"{repo.path.name}-trace.json"
    trace.unlink(missing_ok=True)
    proc = subprocess.run(
        [os.environ.get("PYTHON", "python3"), "-m", "gitmilestone", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TRACE2_EVENT": str(trace)},
    )
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    started = [e["argv"][1] for e in events if e["event"] == "start" and e["argv"][0] == "git"]
    return proc.returncode, started


def twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: Setup) -> list[tuple[Repo, Path]]:
    """Two repositories made alike by `setup` (which returns where to run the commands);
    the second has a hook that does nothing, so its writes go through `git commit`."""
    for key, value in DATES.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHON", sys.executable)
    monkeypatch.setenv("GIT_MILESTONE_NOW", T0)
    out = []
    for name in ("plumbing", "commit"):
        repo = make_repo(tmp_path / name, monkeypatch)
        where = setup(repo)
        if name == "commit":
            hooks = repo.git("rev-parse", "--git-path", "hooks").strip()
            no_op_hook(Path(hooks) if os.path.isabs(hooks) else repo.path / hooks)
        out.append((repo, where))
    return out


def same_edits(pair: list[tuple[Repo, Path]], milestones: str = "MILESTONES") -> None:
    """The same commands in both, then the same commits, reflogs, index and status."""
    (a, wa), (b, wb) = pair
    for repo, where in pair:  # something else staged, and a change not staged
        (where / "README.md").write_text("staged change\n")
        repo.git("-C", str(where), "add", "README.md")
        (where / "README.md").write_text("staged change\nand one not staged\n")
    commands = [
        ("new", "Work", "--id", "work", "--step", "one", "--step", "two"),
        ("claim", "work"),
        ("advance", "work", "--note", "first"),
        ("handoff", "work", "--notes", "over to you"),
    ]
    for args in commands:
        ca, ran_a = git_commands(a, wa, *args)
        cb, ran_b = git_commands(b, wb, *args)
        assert (ca, cb) == (0, 0), args
        assert "commit-tree" in ran_a and "commit" not in ran_a, (args, ran_a)
        assert "commit" in ran_b and "commit-tree" not in ran_b, (args, ran_b)
    # The same commit ids: the same trees, parents, identities, dates, encoding, messages.
    assert a.git("-C", str(wa), "rev-parse", "HEAD") == b.git("-C", str(wb), "rev-parse", "HEAD")
    for repo, where in pair:
        path = f"{milestones}/work.json"
        subject = repo.git("-C", str(where), "log", "-1", "--format=%s").strip()
        assert repo.git("-C", str(where), "status", "--porcelain", "-uno") == "MM README.md\n"
        assert repo.git("-C", str(where), "show", ":README.md") == "staged change\n"
        index = repo.git("-C", str(where), "ls-files", "-s", "--", path)
        assert index.split()[1] == repo.git("-C", str(where), "rev-parse", f"HEAD:{path}").strip()
        reflog = repo.git("-C", str(where), "reflog", "-1", "--format=%gs")
        assert reflog == f"commit: {subject}\n"
    for ref in ("HEAD", "main", "work-branch"):
        logs = [
            r.git("-C", str(w), "reflog", "show", "--format=%H %gs %gn %ge %gd", ref, check=False)
            for r, w in pair
        ]
        assert logs[0] == logs[1], ref
    raw_logs = [
        sorted(
            (p.relative_to(r.path / ".git").as_posix().replace(r.path.name, "-"), p.read_bytes())
            for p in (r.path / ".git").rglob("logs/**/*")
            if p.is_file()
        )
        for r, _ in pair
    ]
    assert raw_logs[0] == raw_logs[1]
    stages = [r.git("-C", str(w), "ls-files", "-s") for r, w in pair]
    assert stages[0] == stages[1]


def plain(repo: Repo) -> Path:
    return repo.path


def test_both_routes_make_the_same_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    same_edits(twins(tmp_path, monkeypatch, plain))


def test_identity_and_encoding_from_environment_and_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ann Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ann@example.com")
    monkeypatch.delenv("GIT_COMMITTER_NAME")
    monkeypatch.delenv("GIT_COMMITTER_EMAIL")

    def configured(repo: Repo) -> Path:
        repo.git("config", "committer.name", "Carl Committer")
        repo.git("config", "committer.email", "carl@example.com")
        repo.git("config", "i18n.commitEncoding", "ISO-8859-1")
        return repo.path

    pair = twins(tmp_path, monkeypatch, configured)
    same_edits(pair)
    a = pair[0][0]
    assert a.git("log", "-1", "--format=%an|%cn|%e") == "Ann Author|Carl Committer|ISO-8859-1\n"


def test_in_a_linked_worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def linked(repo: Repo) -> Path:
        where = repo.path.parent / f"{repo.path.name}-linked"
        repo.git("worktree", "add", "-q", "-b", "work-branch", str(where))
        return where

    same_edits(twins(tmp_path, monkeypatch, linked))


def test_with_core_hookspath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def hooks_path(repo: Repo) -> Path:
        repo.git("config", "core.hooksPath", "my-hooks")
        # Hooks git does not run: in .git/hooks (not the hooks directory any more), a
        # `.sample`, and a hook that is not executable.
        no_op_hook(repo.path / ".git" / "hooks", "pre-commit")
        no_op_hook(repo.path / "my-hooks", "commit-msg.sample")
        (repo.path / "my-hooks" / "pre-commit").write_text("#!/bin/sh\nexit 1\n")
        return repo.path

    same_edits(twins(tmp_path, monkeypatch, hooks_path))


def test_with_a_split_index_and_many_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def split(repo: Repo) -> Path:
        repo.git("config", "feature.manyFiles", "true")
        repo.git("config", "core.splitIndex", "true")
        for n in range(30):
            repo.write(f"src/f{n}.txt", f"{n}\n")
        repo.git("add", "src")
        repo.git("commit", "-q", "-m", "files")
        repo.git("update-index", "--split-index")
        return repo.path

    pair = twins(tmp_path, monkeypatch, split)
    same_edits(pair)
    assert list((pair[0][0].path / ".git").glob("sharedindex.*"))


def test_in_a_milestone_directory_deep_in_the_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def deep(repo: Repo) -> Path:
        repo.write(".gitmilestone.toml", 'dir = "a/b/MILESTONES"\n')
        repo.write("a/other.txt", "beside\n")
        repo.write("a/b.txt", "sorts between a/b and a/b/\n")
        repo.git("add", ".")
        repo.git("commit", "-q", "-m", "settings")
        return repo.path

    same_edits(twins(tmp_path, monkeypatch, deep), "a/b/MILESTONES")


@pytest.mark.parametrize(
    "trigger",
    ["pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "hook-config", "gpgsign"],
)
def test_any_hook_or_signing_sends_the_write_to_git_commit(repo: Repo, trigger: str) -> None:
    assert repo.gm("new", "Work", "--id", "work", "--step", "one").exit_code == 0
    if trigger == "hook-config":
        repo.git("config", "hook.audit.command", "true")
        repo.git("config", "hook.audit.event", "pre-commit")
    elif trigger == "gpgsign":
        # A signing program that refuses: git commit fails, which shows it was asked.
        repo.git("config", "commit.gpgSign", "true")
        repo.git("config", "gpg.program", "false")
    else:
        no_op_hook(repo.path / ".git" / "hooks", trigger)
    head = repo.head()
    code, ran = git_commands(repo, repo.path, "advance", "work")
    assert "commit" in ran and "commit-tree" not in ran, ran
    if trigger == "gpgsign":
        assert code == 1 and repo.head() == head
        assert repo.git("status", "--porcelain") == ""
    else:
        assert code == 0 and repo.head() != head


def test_without_hooks_the_write_uses_plumbing(repo: Repo) -> None:
    # git init's `.sample` hooks are not hooks.
    assert list((repo.path / ".git" / "hooks").glob("*.sample"))
    assert repo.gm("new", "Work", "--id", "work", "--step", "one").exit_code == 0
    code, ran = git_commands(repo, repo.path, "advance", "work")
    assert code == 0 and "commit-tree" in ran and "commit" not in ran
    assert repo.git("status", "--porcelain") == ""


def test_a_head_that_moved_under_the_write_is_stale(repo: Repo) -> None:
    from gitmilestone import git, plumbing
    from gitmilestone.errors import Stale

    assert repo.gm("new", "Work", "--id", "work", "--step", "one").exit_code == 0
    path = "MILESTONES/work.json"
    base = repo.git("rev-parse", f"HEAD:{path}").strip()
    # Another commit changes the file after the write read HEAD's version.
    repo.write(path, repo.read(path).replace('"Work"', '"Work 2"'))
    repo.git("commit", "-q", "-am", "someone else")
    head = repo.head()
    with pytest.raises(Stale):
        plumbing.commit_file(git.discover(repo.path), path, base, b"{}\n", "m\n", {})
    assert repo.head() == head


def test_core_safecrlf_refuses_on_both_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # core.autocrlf=true with core.safecrlf=true: git refuses to store an LF file it would
    # check out with CRLF. The plumbing commit must not land what git commit refuses.
    def safecrlf(repo: Repo) -> Path:
        assert repo.gm("new", "Work", "--id", "work", "--step", "one").exit_code == 0
        repo.git("config", "core.autocrlf", "true")
        repo.git("config", "core.safecrlf", "true")
        return repo.path

    outcomes = []
    for repo, where in twins(tmp_path, monkeypatch, safecrlf):
        head = repo.head()
        proc = subprocess.run(
            [sys.executable, "-m", "gitmilestone", "advance", "work"],
            cwd=where,
            capture_output=True,
            text=True,
        )
        assert repo.head() == head
        assert repo.git("status", "--porcelain") == ""
        outcomes.append((proc.returncode, proc.stdout, proc.stderr))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 1 and "LF would be replaced by CRLF" in outcomes[0][2]


@pytest.mark.parametrize("shared", ["group", "0660", "all", "0640"])
def test_objects_get_the_modes_git_gives_a_shared_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: str
) -> None:
    # core.sharedRepository set after `git init`: git gives new object directories and
    # files the modes the setting asks for, whatever the objects directory's own mode.
    def configured(repo: Repo) -> Path:
        repo.git("config", "core.sharedRepository", shared)
        return repo.path

    umask = os.umask(0o022)
    try:
        pair = twins(tmp_path, monkeypatch, configured)
        for repo, _ in pair:
            assert repo.gm("new", "Work", "--id", "work", "--step", "one").exit_code == 0
        for args in (("claim", "work"), ("advance", "work", "--note", "n")):
            ca, ran_a = git_commands(pair[0][0], pair[0][1], *args)
            cb, ran_b = git_commands(pair[1][0], pair[1][1], *args)
            assert (ca, cb) == (0, 0) and "commit-tree" in ran_a and "commit-tree" not in ran_b
    finally:
        os.umask(umask)
    modes = [
        {
            p.relative_to(r.path).as_posix(): oct(p.stat().st_mode & 0o7777)
            for p in (r.path / ".git" / "objects").rglob("*")
            if p.name != "pack" and "info" not in p.parts
        }
        for r, _ in pair
    ]
    both = modes[0].keys() & modes[1].keys()
    assert len(both) > 5
    assert {p: modes[0][p] for p in both} == {p: modes[1][p] for p in both}
