"""`kill -9` at random moments of `advance`: the file is always one whole version, and the
next command either succeeds with a record that matches every change, or refuses with a
message that, followed, leads to a clean state.

The kills are spread over the whole run of a real `git milestone advance` process: each
waits for a moment of the run, seen from outside (the process started, its journal entry
appeared, the file changed, git took its index lock, the branch moved), then a random
delay, so that kills land before the write, between the write and the commit, inside
`git commit` and after it, whatever the speed of the machine. Every other kill takes the
whole process group (git and its hooks die at random points too); the others kill only
the command, leaving git to finish or not.

The 52 kills run in four chunks of 13, each in its own repository, so that parallel test
workers share them. `pytest -p no:xdist -s tests/test_kill.py` prints how each kill ended.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo

KILLS = 52
# The kills run in chunks, each in its own repository, so that test workers share them.
CHUNKS = 4
PER_CHUNK = KILLS // CHUNKS
STEPS = 2 * PER_CHUNK + 10
# The moments a kill waits for, and the longest random delay after each (seconds).
MOMENTS = {"start": 0.25, "journal": 0.004, "written": 0.006, "index.lock": 0.006, "head": 0.002}
PATH = "MILESTONES/work.json"
# A killed git leaves its index.lock; the command waits this long for it before it says so.
ENV = {"GIT_MILESTONE_INDEX_LOCK_WAIT": "0.2", "GIT_MILESTONE_NOW": ""}


def advance_process(repo: Repo, note: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gitmilestone", "advance", "work", "--note", note],
        cwd=repo.path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **ENV},
    )


def wait_for(repo: Repo, proc: subprocess.Popen[bytes], moment: str) -> bool:
    """Until `moment` of the run is seen (True), or the process ended first (False)."""
    git_dir = repo.path / ".git"
    journal = git_dir / "milestone-journal" / "work.json"
    target = repo.path / PATH
    before = target.stat().st_mtime_ns
    branch = git_dir / "refs" / "heads" / "main"
    head = branch.read_text()
    seen = {
        "start": lambda: True,
        "journal": journal.exists,
        "written": lambda: target.stat().st_mtime_ns != before,
        "index.lock": (git_dir / "index.lock").exists,
        "head": lambda: branch.read_text() != head,
    }[moment]
    while proc.poll() is None:
        try:
            if seen():
                return True
        except OSError:
            pass
        time.sleep(0.0005)
    return False


def wait_for_group(pgid: int, timeout: float = 10.0) -> None:
    """Until no process of the group is left (git may finish after its parent died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)
    os.killpg(pgid, signal.SIGKILL)


def blob_ids(repo: Repo) -> tuple[str, str | None]:
    """HEAD's blob of the file, and the journal's written blob (None without an entry)."""
    head = repo.git("rev-parse", f"HEAD:{PATH}").strip()
    entry = repo.path / ".git" / "milestone-journal" / "work.json"
    written = json.loads(entry.read_text())["written"] if entry.exists() else None
    return head, written


def phase(repo: Repo, head_before: str) -> str:
    """Where the kill landed, read from what it left."""
    git_dir = repo.path / ".git"
    if any(p.exists() for p in (git_dir / "index.lock", git_dir / "HEAD.lock")) or any(
        git_dir.glob("refs/heads/*.lock")
    ):
        return "inside git commit (it left a lock)"
    if repo.head() != head_before:
        return "after the commit landed"
    head, written = blob_ids(repo)
    current = repo.git("hash-object", PATH).strip()
    if current == head:
        return "before the file was written" if written is None else "after the journal entry"
    return "between the write and the commit"


LEFT_OVER = re.compile(r"then remove (\S+\.lock) and run again")


def remove_named_lock(message: str, outcomes: Counter[str]) -> None:
    """Do what the message says of a lock a killed git left (the test killed every git)."""
    found = LEFT_OVER.search(message)
    assert found is not None, message
    Path(found.group(1)).unlink()
    outcomes[f"message: {Path(found.group(1)).name} left by the killed git, removed"] += 1


def follow(repo: Repo, outcomes: Counter[str]) -> None:
    """Run the next command; when it refuses, do what its message says, until it succeeds."""
    for _ in range(4):
        ran = repo.gm("advance", "work", "--note", "next", env=ENV)
        if ran.exit_code == 0:
            if "first committed the change" in ran.stdout:
                outcomes["next command finished the killed write first"] += 1
            elif "first the change was committed already" in ran.stdout:
                outcomes["next command found the commit landed, fixed the index"] += 1
            return
        assert ran.exit_code == 4, ran.stderr
        assert "Traceback" not in ran.stderr
        if "git milestone recover work" in ran.stderr:
            for _ in range(3):
                rec = repo.gm("recover", "work", "--json", env=ENV)
                if rec.exit_code == 0:
                    break
                assert rec.exit_code == 4, rec.stdout
                remove_named_lock(json.loads(rec.stdout)["error"]["message"], outcomes)
            assert rec.exit_code == 0, rec.stderr
            outcomes[f"message: recover -> {json.loads(rec.stdout)['data']['outcome']}"] += 1
        elif "Only if no git process is running" in ran.stderr:
            remove_named_lock(ran.stderr, outcomes)
        else:
            raise AssertionError(f"no way out in the message: {ran.stderr}")
    raise AssertionError("the messages did not lead to a clean state")


def check_record(repo: Repo) -> None:
    """Every revision once, in order, and each commit's trailers match its file."""
    recs = json.loads(repo.gm("log", "work", "--json").stdout)["data"]["records"]
    revisions = [r["revision"] for r in reversed(recs)]
    assert revisions == list(range(1, len(revisions) + 1)), revisions
    out = repo.git("log", "--format=%H", "--", PATH).split()
    assert len(out) == len(recs)
    for rec in recs:
        data = json.loads(repo.git("show", f"{rec['commit']}:{PATH}"))
        assert (rec["revision"], rec["status"], rec["progress"], rec["owner"]) == (
            data["revision"],
            data["status"],
            data["progress"],
            data["owner"],
        )
        for step in rec["steps"]:
            assert data["steps"][step["step"] - 1]["status"] == step["status"]


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_kill_9_at_random_moments_of_advance(repo: Repo, monkeypatch: Any, chunk: int) -> None:
    monkeypatch.delenv("GIT_MILESTONE_NOW")
    steps = [a for i in range(1, STEPS + 1) for a in ("--step", f"step {i}")]
    assert repo.gm("new", "Work", "--id", "work", *steps).exit_code == 0
    rng = random.Random(8 + chunk)
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    # Kill n waits for moment n % 5 and takes the whole group when n is even, as in one run.
    kills = range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK)
    for n in kills:
        head_before = repo.head()
        versions = {repo.read(PATH)}
        proc = advance_process(repo, f"kill {n}")
        moment = list(MOMENTS)[n % len(MOMENTS)]
        if wait_for(repo, proc, moment):
            time.sleep(rng.uniform(0, MOMENTS[moment]))
        whole_group = n % 2 == 0
        try:
            if whole_group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()
        wait_for_group(proc.pid)
        phases[phase(repo, head_before)] += 1
        # The file is whole: one of the versions (before, or what the command wrote).
        data = json.loads(repo.read(PATH))
        _, written = blob_ids(repo)
        assert repo.read(PATH) in versions or repo.git("hash-object", PATH).strip() in (
            written,
            repo.git("rev-parse", f"HEAD:{PATH}").strip(),
        )
        assert data["milestone_id"] == "work"
        follow(repo, outcomes)
        outcomes["next command succeeded"] += 1
        assert repo.git("status", "--porcelain", "--untracked-files=all") == ""
        trailers = repo.trailers()
        head_file = json.loads(repo.read(PATH))
        assert trailers["Milestone-Revision"] == [str(head_file["revision"])]
    check_record(repo)
    assert sum(phases.values()) == len(kills)
    print(
        f"\n{len(kills)} of the {KILLS} kills of `git milestone advance` (every other one "
        "the whole group):"
    )
    for name, count in phases.most_common():
        print(f"  killed {name}: {count}")
    print("then:")
    for name, count in sorted(outcomes.items()):
        print(f"  {name}: {count}")
