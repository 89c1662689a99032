"""Claims that every branch, worktree and clone sees, raced by real processes: worktrees of
one repository, clones of one remote (over file:// and over the git protocol with a real
`git daemon`), many clones on many milestones, and `kill -9` in the middle of a claim."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Ran, Repo

ROUNDS = 20
KILLS = 46
REGISTRY = "refs/milestones/claims"


def start(cwd: Path, args: Sequence[str], *, session: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gitmilestone", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        start_new_session=session,
    )


def race(commands: Sequence[tuple[Path, Sequence[str]]]) -> list[Ran]:
    """Start every command at once, then wait for all of them."""
    procs = [start(cwd, args) for cwd, args in commands]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append(Ran(proc.returncode, out, err))
    return results


def one_winner(
    results: Sequence[Ran], names: Sequence[str], branches: Sequence[str], mid: str
) -> int:
    """Exactly one exit 0; every other is exit 3 naming the winner and the winner's branch."""
    winners = [i for i, r in enumerate(results) if r.exit_code == 0]
    assert len(winners) == 1, [(r.exit_code, r.stderr) for r in results]
    won = winners[0]
    for i, r in enumerate(results):
        if i != won:
            assert r.exit_code == 3, r.stderr
            assert f"{names[won]} holds {mid} on branch {branches[won]}" in r.stderr, r.stderr
    return won


def registry_doc(git_dir: Path, milestone_id: str) -> dict[str, object] | None:
    proc = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{REGISTRY}/{milestone_id}:claim.json"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return None
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def owner_in(repo: Repo, milestone_id: str, rev: str | None = "HEAD") -> str | None:
    """The owner a branch records (`rev`), or the working tree's file (`rev=None`)."""
    rel = f"MILESTONES/{milestone_id}.json"
    text = repo.read(rel) if rev is None else repo.git("show", f"{rev}:{rel}", check=False)
    owner: str | None = json.loads(text).get("owner") if text else None
    return owner


def seeded(repo: Repo, ids: Sequence[str]) -> None:
    assert repo.gm("init").exit_code == 0
    for mid in ids:
        assert repo.gm("new", f"Work {mid}", "--id", mid, "--step", "a").exit_code == 0


# Worktrees of one repository


def worktree(repo: Repo, name: str) -> Repo:
    path = repo.path.parent / name
    repo.git("worktree", "add", "-q", "-b", name, str(path), "main")
    return Repo(path, repo.monkeypatch)


def test_eight_worktrees_on_eight_branches_race_one_claim(repo: Repo) -> None:
    ids = [f"round-{r}" for r in range(ROUNDS)]
    seeded(repo, ids)
    names = [f"agent-{i}" for i in range(8)]
    trees = [worktree(repo, n) for n in names]
    wins = [0] * len(names)
    for mid in ids:
        results = race(
            [(t.path, ("claim", mid, "--as", n)) for n, t in zip(names, trees, strict=True)]
        )
        won = one_winner(results, names, names, mid)
        wins[won] += 1
        assert owner_in(trees[won], mid) == names[won]
        assert registry_doc(repo.path / ".git", mid)["holder"] == names[won]  # type: ignore[index]
        for i, t in enumerate(trees):
            if i != won:
                assert owner_in(t, mid) is None and t.git("status", "--porcelain") == ""
    print(f"\n8 worktrees x {ROUNDS} rounds: one winner each round; wins per worktree {wins}")


def test_next_in_one_worktree_never_offers_what_another_holds(repo: Repo) -> None:
    seeded(repo, ["first", "second"])
    a, b = worktree(repo, "wt-a"), worktree(repo, "wt-b")
    assert a.gm("claim", "first", "--as", "ann").exit_code == 0
    ran = b.gm("next", "--json", "--as", "ben")
    assert [m["milestone_id"] for m in json.loads(ran.stdout)["data"]["ready"]] == ["second"]
    claimed = b.gm("next", "--claim", "--json", "--as", "ben")
    assert json.loads(claimed.stdout)["data"]["claimed"]["milestone"]["milestone_id"] == "second"
    assert b.gm("next", "--claim", "--as", "ben").exit_code == 1  # nothing left
    listed = b.gm("list", "--json")
    owners = {
        m["milestone_id"]: m["owner"] for m in json.loads(listed.stdout)["data"]["milestones"]
    }
    assert owners == {"first": "ann", "second": "ben"}
    assert "ann on wt-a" in b.gm("list").stdout
    # ann's lease runs out: in b, `first` is free, and b's claim takes it over
    later = {"GIT_MILESTONE_NOW": "2025-11-15T03:30:00Z"}
    ran = b.gm("next", "--json", "--as", "carl", env=later)
    assert [m["milestone_id"] for m in json.loads(ran.stdout)["data"]["ready"]] == [
        "first",
        "second",
    ]
    assert b.gm("claim", "first", "--as", "carl", env=later).exit_code == 0
    assert registry_doc(repo.path / ".git", "first")["previous_holder"] == "ann"  # type: ignore[index]
    refused = a.gm("advance", "first", "--as", "ann", env=later)
    assert refused.exit_code == 3
    assert "carl holds first on branch wt-b" in refused.stderr


# Clones of one remote


def make_bare(repo: Repo, tmp_path: Path, count: int) -> Path:
    """A bare remote holding `count` milestones, and nothing claimed."""
    seeded(repo, [f"round-{r}" for r in range(count)])
    path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    repo.git("push", "-q", str(path), "main")
    subprocess.run(["git", "--git-dir", str(path), "symbolic-ref", "HEAD", "refs/heads/main"])
    return path


@pytest.fixture
def bare(repo: Repo, tmp_path: Path) -> Path:
    return make_bare(repo, tmp_path, ROUNDS)


def clone(url: str, path: Path, repo: Repo, branch: str, *, upstream: bool = True) -> Repo:
    """A clone on its own branch (pushed, so that it has an upstream, unless not asked)."""
    subprocess.run(["git", "clone", "-q", url, str(path)], check=True)
    c = Repo(path, repo.monkeypatch)
    c.git("config", "user.name", "Test Author")
    c.git("config", "user.email", "author@example.com")
    c.git("checkout", "-q", "-b", branch)
    if upstream:
        c.git("push", "-q", "-u", "origin", branch)
    return c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(bare: Path) -> Iterator[str]:
    """`git daemon` serving `bare` over the git protocol, receive-pack enabled; its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--enable=receive-pack",
            f"--base-path={bare.parent}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(bare.parent),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("git daemon did not start") from None
                time.sleep(0.05)
        yield f"git://127.0.0.1:{port}/{bare.name}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.fixture
def daemon(bare: Path) -> Iterator[str]:
    with serve(bare) as url:
        yield url


@pytest.mark.parametrize("protocol", ["file", "git"])
def test_four_clones_race_claim_push_and_the_remote_decides(
    repo: Repo, bare: Path, tmp_path: Path, request: pytest.FixtureRequest, protocol: str
) -> None:
    url = str(bare) if protocol == "file" else request.getfixturevalue("daemon")
    names = [f"clone-{i}" for i in range(4)]
    clones = [clone(url, tmp_path / n, repo, n) for n in names]
    attempts = []
    for r in range(ROUNDS):
        mid = f"round-{r}"
        results = race(
            [
                (c.path, ("claim", mid, "--push", "--json", "--as", n))
                for n, c in zip(names, clones, strict=True)
            ]
        )
        for res in results:  # --json puts the error on stdout
            if res.exit_code != 0:
                res.stderr = json.loads(res.stdout)["error"]["message"]
        won = one_winner(results, names, names, mid)
        assert registry_doc(bare, mid)["holder"] == names[won]  # type: ignore[index]
        assert registry_doc(bare, mid)["branch"] == names[won]  # type: ignore[index]
        assert owner_in(clones[won], mid, f"origin/{names[won]}") == names[won]  # pushed
        attempts.append(json.loads(results[won].stdout)["data"]["claim"]["push_attempts"])
    print(
        f"\n4 clones over {protocol}:// x {ROUNDS} rounds: one winner each round; "
        f"registry pushes per winning claim: {sum(attempts) / len(attempts):.2f}"
    )


@pytest.mark.parametrize("branches", ["own", "shared"])
def test_sixteen_clones_claim_sixteen_milestones_at_once(
    repo: Repo, bare: Path, tmp_path: Path, branches: str
) -> None:
    """Each on a new branch never pushed (`--push` pushes it to origin and makes that its
    upstream), or all on main (their branch pushes then contend, their claims do not)."""
    names = [f"agent-{i}" for i in range(16)]
    if branches == "own":
        clones = [clone(str(bare), tmp_path / n, repo, n, upstream=False) for n in names]
    else:
        clones = []
        for n in names:
            subprocess.run(["git", "clone", "-q", str(bare), str(tmp_path / n)], check=True)
            clones.append(Repo(tmp_path / n, repo.monkeypatch))
    results = race(
        [
            (c.path, ("claim", f"round-{i}", "--push", "--json", "--as", n))
            for i, (n, c) in enumerate(zip(names, clones, strict=True))
        ]
    )
    assert all(r.exit_code == 0 for r in results), [r.stdout + r.stderr for r in results]
    pushes = [json.loads(r.stdout)["data"]["claim"]["push_attempts"] for r in results]
    average = sum(pushes) / len(pushes)
    print(
        f"\n16 clones ({branches} branches), 16 milestones at once: all claimed; registry "
        f"push attempts per claim: average {average:.2f}, most {max(pushes)}"
    )
    assert average <= 2
    for i, (n, c) in enumerate(zip(names, clones, strict=True)):
        assert registry_doc(bare, f"round-{i}")["holder"] == n  # type: ignore[index]
        branch = n if branches == "own" else "main"
        assert owner_in(c, f"round-{i}", f"origin/{branch}") == n
        assert c.git("rev-parse", "--abbrev-ref", "@{u}").strip() == f"origin/{branch}"


# kill -9


def _kill_rounds(
    repo: Repo, url: str, bare: Path, base: Path, ids: Sequence[str], seed: int
) -> list[str]:
    """Kill A's `claim --push` at a random moment, then let B claim the same milestone (the
    next command): the registry and the branches must agree. When the registry names A and
    A's branch does not (killed in between), A's own next command finishes the claim.

    The first round is not killed: it measures how long a claim takes here, and the kills
    fall anywhere within that time."""
    rng = random.Random(seed)
    a = clone(url, base / "a", repo, f"a-{seed}")
    b = clone(url, base / "b", repo, f"b-{seed}")
    ann, ben = f"ann-{seed}", f"ben-{seed}"
    outcomes = []
    took = 0.0
    for n, mid in enumerate(ids):
        began = time.monotonic()
        proc = start(a.path, ("claim", mid, "--push", "--as", ann), session=True)
        if n:
            time.sleep(rng.uniform(0.0, 0.85 * took))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        took = took or time.monotonic() - began
        killed = proc.returncode == -signal.SIGKILL
        # A killed `git commit` leaves its locks behind: remove them, as git's message
        # says to. The registry's own ref locks are left for the tool to clear.
        for lock in (a.path / ".git").rglob("*.lock"):
            if "milestones" not in lock.parts and lock.name != "milestone.lock":
                lock.unlink()
        nxt = b.gm_proc("claim", mid, "--push", "--as", ben)
        holder = (registry_doc(bare, mid) or {}).get("holder")
        assert nxt.exit_code in (0, 3), nxt.stderr
        if nxt.exit_code == 0:
            assert holder == ben
        else:
            assert holder == ann and f"{ann} holds {mid} on branch a-{seed}" in nxt.stderr
        # never a holder in a branch (or a working tree) that the registry does not name
        for who, c in ((ann, a), (ben, b)):
            if who in (owner_in(c, mid), owner_in(c, mid, None)):
                assert holder == who, (mid, who, holder)
        ann_branch = owner_in(a, mid) == ann
        if holder == ann:
            outcome = "registry and branch: ann" if ann_branch else "registry only: ann"
        else:
            outcome = "ann never reached the registry: ben holds"
        outcomes.append(("killed, " if killed else "finished, ") + outcome)
        if holder == ann and not ann_branch:
            again = a.gm_proc("claim", mid, "--push", "--as", ann)
            if again.exit_code == 4 and f"git milestone recover {mid}" in again.stderr:
                # killed between writing the file and committing it: the write path says
                # to recover the write, which commits it
                recovered = a.gm_proc("recover", mid)
                assert recovered.exit_code == 0, recovered.stderr
                outcomes[-1] += ", recovered"
            else:
                assert again.exit_code == 0, again.stderr
            assert owner_in(a, mid) == ann
    return outcomes


def test_kill_9_during_claim_push_never_leaves_two_holders(repo: Repo, tmp_path: Path) -> None:
    # The remote is a server (git daemon), as it would be: killing the client kills its
    # git children (commit, fetch, push), not the server's receive-pack.
    bare = make_bare(repo, tmp_path, KILLS)
    ids = [f"round-{r}" for r in range(KILLS)]
    groups = [ids[0::2], ids[1::2]]
    with serve(bare) as url, ThreadPoolExecutor(len(groups)) as pool:
        futures = [
            pool.submit(_kill_rounds, repo, url, bare, tmp_path / f"g{g}", group, g)
            for g, group in enumerate(groups)
        ]
        outcomes = [o for f in futures for o in f.result()]
    counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
    print(f"\nkill -9 during claim --push: {counts}")
    assert sum(n for o, n in counts.items() if o.startswith("killed")) >= 30
