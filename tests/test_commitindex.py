"""The commit index can never make `resume` show a commit that is not in HEAD's history of
the milestone's file, or leave one out: each test fills the index, rewrites history behind
its back, then compares `resume`'s recent commits with the index as it is against the same
with no index at all (the truth), and against `git log` itself."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gitmilestone import commitindex
from tests.conftest import Repo

FILE = "MILESTONES/target.json"


def index_dir(repo: Repo) -> Path:
    return repo.git_dir() / commitindex.INDEX_DIR


def recent(repo: Repo) -> list[dict[str, object]]:
    ran = repo.gm("resume", "target", "--json")
    assert ran.exit_code == 0, ran.stderr
    found: list[dict[str, object]] = json.loads(ran.stdout)["data"]["recent_commits"]
    return found


def agree(repo: Repo) -> list[dict[str, object]]:
    """The recent commits with the index as it is, checked against no index and git."""
    cached = recent(repo)
    shutil.rmtree(index_dir(repo), ignore_errors=True)
    truth = recent(repo)
    assert cached == truth
    walked = repo.git("log", "-n5", "--parents", "--format=%H %P", "--", FILE).splitlines()
    shown = [" ".join([c["commit"], *c["parents"]]) for c in truth]  # type: ignore[list-item]
    assert shown == [line.strip() for line in walked]
    assert recent(repo) == truth  # and the index the walk wrote says the same
    return truth


def unrelated(repo: Repo, n: int) -> None:
    repo.write(f"src/file{n}.txt", f"{n}\n")
    repo.git("add", "src")
    repo.git("commit", "-qm", f"unrelated {n}")


@pytest.fixture
def target(repo: Repo) -> Repo:
    """`target` with a few commits among other milestones' and unrelated ones, and an index
    read at a HEAD that did not change its file."""
    assert repo.gm("new", "Target", "--id", "target", "--step", "a", "--step", "b").exit_code == 0
    assert repo.gm("new", "Other", "--id", "other", "--step", "a").exit_code == 0
    for n in range(3):
        assert repo.gm("handoff", "target", "--notes", f"round {n}").exit_code == 0
        assert repo.gm("handoff", "other", "--notes", f"round {n}").exit_code == 0
        unrelated(repo, n)
    recent(repo)
    assert any(index_dir(repo).iterdir())
    return repo


def test_unchanged_and_then_new_commits_on_top(target: Repo) -> None:
    agree(target)
    unrelated(target, 10)
    agree(target)
    recent(target)
    assert target.gm("handoff", "target", "--notes", "later").exit_code == 0
    assert target.gm("handoff", "other", "--notes", "later").exit_code == 0
    unrelated(target, 11)
    truth = agree(target)
    assert "later" in target.git("log", "-1", "--format=%B", str(truth[0]["commit"]))


def test_only_new_commits_are_read_when_head_moved_forward(target: Repo) -> None:
    before = recent(target)
    assert target.gm("handoff", "target", "--notes", "new").exit_code == 0
    # The walk from HEAD would find the history changed; the index must have been extended.
    after = recent(target)
    assert after[1:] == before[:4]
    assert after[1]["commit"] in after[0]["parents"]  # type: ignore[operator]
    agree(target)


def test_reset_to_an_older_commit(target: Repo) -> None:
    assert target.gm("handoff", "target", "--notes", "dropped").exit_code == 0
    dropped = recent(target)[0]["commit"]
    target.git("reset", "-q", "--hard", "HEAD~3")
    truth = agree(target)
    assert dropped not in [c["commit"] for c in truth]


def test_amend_and_rebase(target: Repo) -> None:
    assert target.gm("handoff", "target", "--notes", "to amend").exit_code == 0
    recent(target)
    target.git("commit", "-q", "--amend", "-m", "amended\n\nMilestone: target\n")
    agree(target)
    base = target.git("rev-parse", "HEAD~4").strip()
    recent(target)
    target.git("rebase", "-q", "--force-rebase", base)
    agree(target)


def test_another_branch_and_back(target: Repo) -> None:
    target.git("checkout", "-q", "-b", "side", "HEAD~5")
    assert target.gm("handoff", "target", "--notes", "on side").exit_code == 0
    agree(target)
    target.git("checkout", "-q", "main")
    recent(target)
    target.git("checkout", "-q", "side")
    agree(target)


def test_a_merge_since_the_tip(target: Repo) -> None:
    target.git("checkout", "-q", "-b", "side")
    assert target.gm("handoff", "target", "--notes", "on side").exit_code == 0
    target.git("checkout", "-q", "main")
    unrelated(target, 20)
    recent(target)
    target.git("merge", "-q", "--no-edit", "side")
    truth = agree(target)
    assert "on side" in target.git("log", "-1", "--format=%B", str(truth[0]["commit"]))


def test_a_damaged_or_foreign_index_file(target: Repo) -> None:
    for file in index_dir(target).iterdir():
        data = file.read_bytes()
        file.write_bytes(data[:-7] + b"garbage")
    agree(target)
    for file in index_dir(target).iterdir():
        file.write_bytes(b"")
    agree(target)


def test_more_commits_than_the_index_keeps(target: Repo) -> None:
    for n in range(commitindex.KEEP + 2):
        assert target.gm("handoff", "target", "--notes", f"many {n}").exit_code == 0
        if n % 6 == 0:
            recent(target)
    agree(target)


def test_a_replaced_commit_and_a_replacement_taken_away(target: Repo) -> None:
    # `git replace` changes history without moving HEAD: the file's oldest commits drop
    # out of the walk when a commit is replaced by one whose parent is older.
    ids = target.git("log", "--format=%H", "--", FILE).split()
    root = target.git("rev-list", "--max-parents=0", "HEAD").strip()
    body = target.git("cat-file", "commit", ids[-2])
    body = "\n".join(
        f"parent {root}" if line.startswith("parent ") else line for line in body.split("\n")
    )
    replacement = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=target.path, input=body, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    target.git("replace", ids[-2], replacement)
    assert len(agree(target)) == len(ids) - 1
    target.git("replace", "-d", ids[-2])
    assert len(agree(target)) == min(len(ids), 5)


def test_a_shallow_clone_then_fetch_unshallow(target: Repo, tmp_path: Path) -> None:
    clone = Repo(tmp_path / "clone", target.monkeypatch)
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{target.path}", str(clone.path)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert len(agree(clone)) == 1  # the shallow boundary shows as the file's creation
    clone.git("fetch", "-q", "--unshallow")
    assert len(agree(clone)) == min(len(target.git("log", "--format=%H", "--", FILE).split()), 5)
    clone.git("fetch", "-q", "--depth", "1")  # and shallow again, HEAD unchanged
    assert len(agree(clone)) == 1


@pytest.mark.parametrize("field", ["tip", "commit", "parent"])
def test_an_index_file_whose_ids_are_options_is_ignored(
    target: Repo, tmp_path: Path, field: str
) -> None:
    # A well-formed file (right digest) whose ids are not ids: nothing of it reaches git's
    # command line, where `--output=FILE` would have git write FILE.
    import hashlib
    import marshal

    written = tmp_path / "written"
    unrelated(target, 20)
    for file in index_dir(target).iterdir():
        path, tip, commits, whole = marshal.loads(file.read_bytes().partition(b"\n")[2])
        if field == "tip":
            tip = f"--output={written}"
        elif field == "commit":
            commits = [(f"--output={written}", p) for _, p in commits]
        else:
            commits = [(c, (f"--output={written}",)) for c, _ in commits]
        payload = marshal.dumps((path, tip, commits, whole))
        digest = hashlib.sha256(payload).hexdigest().encode()
        file.write_bytes(b" ".join([commitindex.MAGIC, b"1", digest]) + b"\n" + payload)
    agree(target)
    assert not list(tmp_path.glob("written*"))
