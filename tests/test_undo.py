"""`git milestone undo ID`: the last change undone as a new forward commit, through the
installed hooks and `validate --range`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests import histories
from tests.conftest import Repo
from tests.histories import FILE, ID, doc, gm, start

BIN = str(Path(sys.executable).parent)


@pytest.fixture
def hooked(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    assert repo.gm("install-hooks").exit_code == 0
    return repo


def undo(repo: Repo, minutes: int, actor: str = "alice") -> tuple[int, str]:
    ran = repo.gm(
        "undo",
        ID,
        "--json",
        env={**histories.at(minutes), "GIT_MILESTONE_ACTOR": actor},
    )
    out = json.loads(ran.stdout)
    return ran.exit_code, (out.get("error") or {}).get("message", "")


def test_undo_brings_back_the_version_before_as_a_new_write(hooked: Repo) -> None:
    repo = hooked
    start(repo)
    before = doc(repo)
    gm(repo, "advance", ID, "--note", "a is done", minutes=2)
    undone = repo.head()
    assert undo(repo, 3) == (0, "")
    d = doc(repo)
    assert d["revision"] == before["revision"] + 2
    assert d["updated_at"] == "2025-11-15T01:03:00Z"
    step = d["steps"][0]
    assert (step["status"], step["reopened_by"], step["reopened_at"]) == (
        "in_progress",
        "alice",
        "2025-11-15T01:03:00Z",
    )
    assert [s["status"] for s in d["steps"]] == [s["status"] for s in before["steps"]]
    assert (d["status"], d["owner"], d["progress"]) == ("in_progress", "alice", 0)
    t = repo.trailers()
    assert (t["Milestone-Action"], t["Milestone-Undoes"]) == (["undo"], [undone])
    subject = repo.git("log", "-1", "--format=%s").strip()
    assert subject.startswith(f"milestone(m): undo {undone[:9]} ") and len(subject) <= 72
    assert repo.files_in() == [FILE]
    assert repo.gm("validate", "--range", "HEAD~3..HEAD").exit_code == 0
    rec = json.loads(repo.gm("log", "--json", "-n", "1").stdout)["data"]["records"][0]
    assert (rec["action"], rec["problems"]) == ("undo", [])


def test_undoing_a_revert_repairs_the_record(repo: Repo) -> None:
    histories.reverted(repo)
    assert repo.gm("validate", "--range", "HEAD").exit_code == 1
    assert undo(repo, 9) == (0, "")
    d = doc(repo)
    assert (d["revision"], d["steps"][0]["status"], d["progress"]) == (3, "completed", 33)
    assert repo.gm("validate", "--range", "HEAD").exit_code == 0


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ((), 1, "nothing to undo: the last change of m"),
        (("advance",), 1, "from in_progress back to pending, which is not allowed"),
        (("advance", "claim-bob"), 3, "bob holds m"),
    ],
    ids=["only-created", "forbidden-transition", "held-by-someone-else"],
)
def test_undo_refuses_with_a_clear_message(
    repo: Repo, setup: tuple[str, ...], code: int, message: str
) -> None:
    gm(repo, "new", "Undo", "--id", ID, "--step", "a")
    if "advance" in setup:
        gm(repo, "advance", ID, minutes=1)
    if "claim-bob" in setup:
        gm(repo, "release", ID, minutes=2)
        gm(repo, "claim", ID, minutes=3, actor="bob")
    head, text = repo.head(), repo.read(FILE)
    ran = repo.gm("undo", ID, env={**histories.at(4), "GIT_MILESTONE_ACTOR": "alice"})
    assert ran.exit_code == code
    assert message in ran.stderr
    assert "Traceback" not in ran.stderr
    assert (repo.head(), repo.read(FILE)) == (head, text)


def test_undoing_the_deletion_of_a_milestone_file_brings_it_back(hooked: Repo) -> None:
    start(hooked)
    assert hooked.gm("advance", ID, env=histories.at(3)).exit_code == 0
    kept = doc(hooked)
    hooked.git("rm", "-q", FILE)
    hooked.git("commit", "-q", "--no-verify", "-m", "drop it")
    checked = hooked.gm("validate", "--range", "HEAD")
    assert checked.exit_code == 1 and "M206" in checked.stdout + checked.stderr
    # A deletion already committed has nothing staged to restore: the way back is undo.
    assert f"`git milestone undo {ID}`" in checked.stdout + checked.stderr
    assert "git restore" not in checked.stdout + checked.stderr
    assert undo(hooked, 9) == (0, "")
    d = doc(hooked)
    assert d["revision"] == kept["revision"] + 1  # type: ignore[operator]
    assert d["steps"] == kept["steps"] and d["status"] == kept["status"]
    assert (
        hooked.git("log", "-1", "--format=%(trailers:key=Milestone-Action,valueonly)").strip()
        == "undo"
    )
    assert hooked.gm("validate", "--range", "HEAD").exit_code == 0
    assert hooked.git("status", "--porcelain").strip() == ""
