"""What the claims registry adds to `claim` and `advance`: git processes and time.

Runs the commands in this process (so interpreter start-up, the same either way, is left
out), alternating the real commands with the same commands whose registry step is taken
out, and counts the git processes each starts. Prints the medians and the difference per
command: `claim` (a take), `advance` while the claim was renewed recently (the common case:
no registry write), `advance` once a quarter of the lease has passed (a renewal), and
`claim --push`'s registry exchange with a remote (file://).

    python bench/claims.py [--quick] [--reps N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import Row, record

from gitmilestone import claiming, workspace
from gitmilestone.cli import cli

CALLS = {"git": 0}
_RUN = subprocess.run


def counting_run(args: Any, *a: Any, **k: Any) -> Any:
    if isinstance(args, (list, tuple)) and args and args[0] == "git":
        CALLS["git"] += 1
    return _RUN(args, *a, **k)


class NoRegistry(claiming.Claiming):
    """The same write with the registry step taken out: the baseline."""

    def __init__(self, repo: Any, remote: str | None, milestone_id: str, tally: Any = None) -> None:
        self.registry = None  # type: ignore[assignment]
        self.fetched = True

    def holder(self, name: str, now: Any) -> None:
        return None

    def prepare(self, *a: Any, **k: Any) -> bool:
        return True

    def undo(self, who: Any) -> None:
        return None

    def finish(self, who: Any) -> None:
        return None

    def who(self, name: str, now: Any, lease: Any) -> Any:
        return None

    def report(self, now: Any) -> None:  # type: ignore[override]
        return None


@contextlib.contextmanager
def registry(on: bool) -> Iterator[None]:
    workspace.Claiming = claiming.Claiming if on else NoRegistry  # type: ignore[misc]
    try:
        yield
    finally:
        workspace.Claiming = claiming.Claiming  # type: ignore[misc]


def gm(*args: str, now: str) -> tuple[float, int]:
    """Run one command in this process: (seconds, git processes)."""
    os.environ["GIT_MILESTONE_NOW"] = now
    CALLS["git"] = 0
    began = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(list(args), standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            sys.exit(f"git milestone {' '.join(args)} failed ({exc.code})")
    return time.perf_counter() - began, CALLS["git"]


def git(path: Path, *args: str) -> None:
    _RUN(["git", *args], cwd=path, check=True, capture_output=True)


def setup(base: Path, n: int) -> Path:
    repo = base / "repo"
    git(base, "-c", "init.defaultBranch=main", "init", "-q", str(repo))
    git(repo, "config", "user.name", "Bench")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    os.chdir(repo)
    gm("init", now="2025-11-15T00:00:00Z")
    for i in range(n):
        gm("new", f"W {i}", "--id", f"w{i}", *(["--step", "s"] * 8), now="2025-11-15T00:00:00Z")
    return repo


def measure(reps: int, quick: bool) -> list[Row]:
    rows = []
    results: dict[tuple[str, bool], list[tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        setup(base, 2 * reps)
        os.environ["GIT_MILESTONE_ACTOR"] = "bench"
        for i in range(reps):
            for on in (True, False):
                mid = f"w{2 * i + (0 if on else 1)}"
                with registry(on):
                    # a take
                    results.setdefault(("claim", on), []).append(
                        gm("claim", mid, now="2025-11-15T01:00:00Z")
                    )
                    # advances while the claim is fresh: no registry write
                    results.setdefault(("advance", on), []).append(
                        gm("advance", mid, now="2025-11-15T01:01:00Z")
                    )
                    # an advance once a quarter of the 2h lease has passed: a renewal
                    results.setdefault(("advance, renewal due", on), []).append(
                        gm("advance", mid, now="2025-11-15T01:40:00Z")
                    )
        bare = base / "remote.git"
        git(base, "init", "-q", "--bare", str(bare))
        git(base / "repo", "remote", "add", "origin", str(bare))
        git(base / "repo", "push", "-q", "-u", "origin", "main")
        for i in range(reps):
            for on in (True, False):
                mid = f"p{i}{int(on)}"
                gm("new", f"P {mid}", "--id", mid, now="2025-11-15T02:00:00Z")
                with registry(on):
                    results.setdefault(("claim --push", on), []).append(
                        gm("claim", mid, "--push", now="2025-11-15T02:00:01Z")
                    )
        parts = registry_parts(base / "repo", 50 if quick else 400)
    print(f"{'command':<22} {'registry':>9} {'without':>9} {'added':>9}  git processes added")
    for what in ("claim", "advance", "advance, renewal due", "claim --push"):
        with_, without = results[(what, True)], results[(what, False)]
        t_on = statistics.median(t for t, _ in with_)
        t_off = statistics.median(t for t, _ in without)
        p_on = statistics.median(p for _, p in with_)
        p_off = statistics.median(p for _, p in without)
        print(
            f"{what:<22} {t_on * 1000:7.1f}ms {t_off * 1000:7.1f}ms "
            f"{(t_on - t_off) * 1000:+7.1f}ms  {p_on - p_off:+.0f} ({p_off:.0f} -> {p_on:.0f})"
        )
        rows.append(
            Row(
                f"the claims registry in `{what}` (in process)",
                f"the same without it, {t_off * 1000:.0f} ms",
                f"{(t_on - t_off) * 1000:+.0f} ms, {p_on - p_off:+.0f} git processes",
                "measured, no goal",
                None,
            )
        )
    read, swap = parts
    print(
        f"the registry's own steps: reading a milestone's claim {read * 1e6:.0f} us; "
        f"writing a change (blob, tree, commit, compare-and-swap of the ref) {swap * 1e6:.0f} us"
    )
    rows.append(
        Row(
            "reading one milestone's claim; writing one change to it (in process, no git)",
            "",
            f"{read * 1e6:.0f} us; {swap * 1e6:.0f} us",
            "measured, no goal",
            None,
        )
    )
    return rows


def registry_parts(repo: Path, n: int) -> tuple[float, float]:
    """Median seconds of `Registry.get` and of one `swap`, alone."""
    from datetime import datetime, timedelta, timezone

    from gitmilestone import claims, git
    from gitmilestone.registry import Registry

    reg = Registry(git.discover(repo))
    reads, swaps = [], []
    t0 = datetime(2025, 11, 16, tzinfo=timezone.utc)  # after every claim the commands made
    for i in range(n):
        began = time.perf_counter()
        claim = reg.get("w0")
        reads.append(time.perf_counter() - began)
        who = claims.Claimant(f"n{i % 2}", "main", t0 + timedelta(hours=3 * i), timedelta(hours=2))
        entry = claims.take(claim.entry, "w0", who, action="claim")
        assert entry is not None
        began = time.perf_counter()
        assert reg.swap(claim, entry) is not None
        swaps.append(time.perf_counter() - began)
    return statistics.median(reads), statistics.median(swaps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    subprocess.run = counting_run  # type: ignore[assignment]
    home = tempfile.mkdtemp()
    os.environ.update(
        HOME=home,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    record(*measure(3 if args.quick else args.reps, args.quick))


if __name__ == "__main__":
    main()
