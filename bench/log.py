"""`git milestone log` against the raw `git log` a user would run for the same record.

Builds (with `git fast-import`) a history of 50,000 commits of which 10,000 are milestone
commits whose messages are written by `messages.format_message` from real workflow
operations, then times, in the same run, interleaved:

  baseline  git log --format=<hash, date, subject, trailers:only,unfold> -- MILESTONES
            (the same pathspec: every commit that changed a milestone file, with the trailers)
  ours      git milestone log                                               (subprocess)

twice: without a commit-graph, and with one that has changed-path Bloom filters (what
`init` and `doctor` write). It prints the ratio ours / baseline, wall clock and CPU time
(goal: at most 1.3). For reference it also times `git log --format` over the whole history
(no pathspec), `log --json`, `log -n 20` and `log ID`. Run by hand:

    python bench/log.py [--quick] [--runs N] [--keep] [--repo PATH]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import Row, record, seconds, verdict

from gitmilestone import workflow
from gitmilestone.messages import Change, format_message
from gitmilestone.model import Milestone

ACTORS = ("session-1-planner", "session-2-builder", "session-3-coordinator", "alice", "bob")
LEASE = timedelta(hours=2)
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


Made = tuple[Milestone, str, Change]


def _life(index: int, rng: random.Random, clock: list[datetime]) -> Iterator[Made]:
    """One milestone's commits, from create to complete, as the commands would make them."""

    def actor(name: str) -> workflow.Actor:
        clock[0] += timedelta(minutes=rng.randint(1, 40))
        return workflow.Actor(name, clock[0], LEASE)

    who = rng.choice(ACTORS)
    steps = tuple(f"Step {n}: build component {index}-{n} and wire it in" for n in range(1, 11))
    m, change = workflow.create(
        f"milestone-{index:05d}",
        f"Build feature {index} across the service",
        actor(who),
        priority=rng.choice(("HIGH", "MEDIUM", "LOW")),
        steps=steps,
        why="Customers asked for it in the last review",
        success="All ten components deployed and the smoke tests pass",
        files=("src/service.py", f"src/feature_{index}.py"),
    )
    yield m, who, change
    outcome = workflow.claim(m, actor(who))
    assert outcome is not None
    m, change = outcome
    yield m, who, change
    while m.status != "completed":
        roll = rng.random()
        if roll < 0.06:
            other = rng.choice([a for a in ACTORS if a != who])
            outcome = workflow.claim(m, actor(other), force=True)
            assert outcome is not None
            m, change = outcome
            who = other
        elif roll < 0.12:
            m, change = workflow.handoff(
                m,
                actor(who),
                next_steps=("Run the integration tests", "Check the deploy logs"),
                notes="Half way through the current step; the config is in place.",
            )
        elif roll < 0.15 and m.status == "in_progress":
            m, change = workflow.block(m, actor(who), reason="Waiting for credentials")
            yield m, who, change
            outcome = workflow.unblock(m, actor(who))
            assert outcome is not None
            m, change = outcome
        else:
            m, change = workflow.advance(
                m, actor(who), note=f"Done after checking the logs (run {rng.randint(1, 999)})"
            )
        yield m, who, change


def _milestone_commits(count: int, rng: random.Random) -> list[Made]:
    out: list[Made] = []
    clock = [START]
    index = 0
    while len(out) < count:
        out.extend(_life(index, rng, clock))
        index += 1
    return out[:count]


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def build(path: Path, total: int, milestone_count: int, seed: int = 7) -> None:
    """A repository at `path` with `total` commits, `milestone_count` of them milestone ones."""
    rng = random.Random(seed)
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(path)], check=True)
    milestone = _milestone_commits(milestone_count, rng)
    chosen = set(rng.sample(range(total), milestone_count))
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=path, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    out = proc.stdin
    when = int(START.timestamp())
    feed = iter(milestone)
    for n in range(total):
        when += 60
        if n in chosen:
            m, who, change = next(feed)
            message = format_message(m, change, who).encode()
            file_path = f"MILESTONES/{m.milestone_id}.json"
            content = m.dumps().encode()
        else:
            who = rng.choice(ACTORS)
            module = rng.randrange(400)
            body = f"fix: tidy module {module}\n\nKeep the error message short for run {n}.\n"
            if n % 3 == 0:
                body += f"\nSigned-off-by: {who} <{who}@example.com>\n"
            message = body.encode()
            file_path = f"src/module_{module}.py"
            content = f"VALUE = {n}\n".encode()
        ident = f"{who} <{who}@example.com> {when} +0000".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(b"author " + ident + b"\ncommitter " + ident + b"\n")
        out.write(_data(message))
        out.write(b"M 100644 inline " + file_path.encode() + b"\n")
        out.write(_data(content))
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)


def _ours() -> list[str]:
    script = Path(sys.executable).with_name("git-milestone")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gitmilestone"]


BASELINE_FORMAT = "%H%x1f%aI%x1f%s%x1f%(trailers:only,unfold)"
GOAL = 1.3
# Every git process of a run sees this: git ignores the commit-graph.
NO_GRAPH = {
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "core.commitGraph",
    "GIT_CONFIG_VALUE_0": "false",
}


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, check=True, env={**os.environ, **env})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _measure(
    commands: dict[str, list[str]], repo: Path, runs: int, env: dict[str, str]
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each command, runs interleaved after one warm-up."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():
        _timed(cmd, repo, env)
    for _ in range(runs):
        for name, cmd in commands.items():
            wall, cpu = _timed(cmd, repo, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {n: (statistics.median(walls[n]), statistics.median(cpus[n])) for n in commands}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 commits, 1,000 milestone")
    parser.add_argument("--runs", type=int, default=0, help="timed runs of each (default 7)")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument(
        "--repo", type=Path, help="use (or build and keep) the history at this path"
    )
    args = parser.parse_args()
    total, milestone_count = (5_000, 1_000) if args.quick else (50_000, 10_000)
    runs = args.runs or (3 if args.quick else 7)

    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    repo = args.repo or Path(tempfile.mkdtemp(prefix="gm-bench-log-")) / "repo"
    if not (repo / ".git").is_dir():
        started = time.perf_counter()
        build(repo, total, milestone_count)
        print(f"built the history in {time.perf_counter() - started:.1f}s at {repo}")
    print(f"history: {total} commits, {milestone_count} milestone commits")

    # As installed: with the package's bytecode written (a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every changed module on every run).
    import compileall

    import gitmilestone

    compileall.compile_dir(Path(gitmilestone.__file__).parent, quiet=1)
    ours = [*_ours(), "log"]
    some_id = f"milestone-{milestone_count // 30:05d}"
    baseline_name = "git log --format -- MILESTONES (baseline)"
    commands = {
        baseline_name: ["git", "log", f"--format={BASELINE_FORMAT}", "--", "MILESTONES"],
        "git log --format (whole history, no pathspec)": [
            "git",
            "log",
            f"--format={BASELINE_FORMAT}",
        ],
        "git milestone log": ours,
        "git milestone log --json": [*ours, "--json"],
        "git milestone log -n 20": [*ours, "-n", "20"],
        f"git milestone log {some_id}": [*ours, some_id],
    }
    out = subprocess.run(ours, cwd=repo, capture_output=True, check=True).stdout
    lines = out.count(b"\n")
    assert lines == milestone_count + 1, f"expected {milestone_count} records, got {lines - 1}"
    assert b"\n    !! " not in out, "the generated history has problems"

    rows = []
    for label, env in (
        ("without a commit-graph", NO_GRAPH),
        ("with a commit-graph with changed-path Bloom filters", {}),
    ):
        if not env:
            subprocess.run(
                ["git", "commit-graph", "write", "--reachable", "--changed-paths"],
                cwd=repo,
                check=True,
                capture_output=True,
            )
        times = _measure(commands, repo, runs, env)
        base_wall, base_cpu = times[baseline_name]
        print(f"{label}: median of {runs} runs each (wall clock; CPU time with children):")
        for name, (wall, cpu) in times.items():
            print(
                f"  {name:46s} {wall * 1000:7.0f} ms  {wall / base_wall:5.2f}x"
                f"   cpu {cpu * 1000:7.0f} ms  {cpu / base_cpu:5.2f}x"
            )
        wall, cpu = times["git milestone log"]
        ratio, cpu_ratio = wall / base_wall, cpu / base_cpu
        print(
            f"git milestone log / git log --format -- MILESTONES, {label}: {ratio:.2f}x wall, "
            f"{cpu_ratio:.2f}x cpu (goal <= {GOAL}x; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cpus)"
        )
        rows.append(
            Row(
                f"`log` over {total:,} commits ({milestone_count:,} milestone commits), {label}",
                f"`git log --format` with the trailers, same pathspec {seconds(base_wall)}",
                f"{ratio:.2f}x wall, {cpu_ratio:.2f}x cpu",
                f"≤ {GOAL}x",
                verdict(ratio, cpu_ratio, GOAL),
            )
        )
    record(*rows)
    if args.repo is None and not args.keep:
        shutil.rmtree(repo.parent)
    else:
        print(f"the history stays at {repo}")


if __name__ == "__main__":
    main()
