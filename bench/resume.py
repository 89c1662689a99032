"""`git milestone resume` on long histories: it must stay flat in history length.

Builds (with `git fast-import`) histories of 5,000 and 50,000 commits where one milestone,
`target`, has only 4 commits, made early; a fifth of the other commits change other
milestones (1,000 of them, messages written by `messages.format_message` from real workflow
operations) and the rest change source files. Then times `git milestone resume target`:

- as the repository comes (no commit-graph),
- after `git commit-graph write --reachable --changed-paths` (what `git milestone init`
  sets up and `git milestone doctor` advises),

each as it runs after a first `resume` (which writes the commit index under the git
directory, so later runs ask git only about newer commits), and with the index removed
before each run (the walk of history it saves; printed for reference),

and prints the ratio 50,000 / 5,000 commits (flat: about 1). The raw
`git log -n5 -- MILESTONES/target.json` is shown for reference. Goal: <= 0.1 s on 50,000
commits, flat in history length.

    python bench/resume.py [--quick] [--runs N] [--keep]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import (
    Row,
    environment,
    git_milestone,
    load,
    median,
    record,
    run_once,
    run_timed,
    verdict,
    wall_cpu,
)

from gitmilestone import workflow
from gitmilestone.messages import format_message
from gitmilestone.model import Milestone

LEASE = timedelta(hours=2)
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
TARGET = "target"
TARGET_AT = (10, 20, 30, 40)
OTHERS = 1_000
GOAL = 0.1


def _life(mid: str, rng: random.Random, clock: list[datetime]) -> Iterator[tuple[Milestone, str]]:
    """A milestone's commits as the commands make them: create, claim, then advances."""

    def actor() -> workflow.Actor:
        clock[0] += timedelta(minutes=rng.randint(1, 30))
        return workflow.Actor("bench", clock[0], LEASE)

    steps = tuple(f"Step {n} of {mid}" for n in range(1, 9))
    m, change = workflow.create(mid, f"Work on {mid}", actor(), priority="MEDIUM", steps=steps)
    yield m, format_message(m, change, "bench")
    outcome = workflow.claim(m, actor())
    assert outcome is not None
    m, change = outcome
    yield m, format_message(m, change, "bench")
    while m.status != "completed":
        m, change = workflow.advance(m, actor(), note="done, checked the logs")
        yield m, format_message(m, change, "bench")
    while True:  # keep writing handoff notes once it is done
        m, change = workflow.handoff(m, actor(), next_steps=("Check it",), notes="still fine")
        yield m, format_message(m, change, "bench")


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def build(path: Path, total: int, env: dict[str, str], seed: int = 11) -> None:
    rng = random.Random(seed)
    clock = [START]
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(path)], check=True)
    lives = [_life(f"other-{k:04d}", rng, clock) for k in range(OTHERS)]
    target = _life(TARGET, rng, clock)
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=path, env=env, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    out = proc.stdin
    when = int(START.timestamp())
    for n in range(total):
        when += 60
        if n in TARGET_AT:
            m, message = next(target)
        elif n % 5 == 0:
            m, message = next(lives[(n // 5) % OTHERS])
        else:
            m = None
            message = f"fix: tidy module {n % 400}\n\nRun {n}.\n"
        if m is not None:
            file_path, content = f"MILESTONES/{m.milestone_id}.json", m.dumps()
        else:
            file_path, content = f"src/module_{n % 400}.py", f"VALUE = {n}\n"
        ident = f"Bench <bench@example.com> {when} +0000".encode()
        out.write(b"commit refs/heads/main\nauthor " + ident + b"\ncommitter " + ident + b"\n")
        out.write(_data(message.encode()))
        out.write(b"M 100644 inline " + file_path.encode() + b"\n" + _data(content.encode()))
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, env=env, check=True)


def timed(
    command: list[str], repo: Path, env: dict[str, str], runs: int, index: bool = True
) -> tuple[float, float]:
    """Median wall and cpu seconds; without `index`, the commit index is removed before each
    run, so that every run walks history."""
    run_once(command, repo, env)
    samples = []
    for _ in range(runs):
        if not index:
            shutil.rmtree(repo / ".git" / "milestone-commits", ignore_errors=True)
        samples.append(run_timed(command, repo, env))
    return median([w for w, _ in samples]), median([c for _, c in samples])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 commits")
    parser.add_argument("--runs", type=int, default=0, help="timed runs of each (default 9)")
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories")
    args = parser.parse_args()
    sizes = (500, 5_000) if args.quick else (5_000, 50_000)
    runs = args.runs or (3 if args.quick else 9)

    work = Path(tempfile.mkdtemp(prefix="gm-bench-resume-"))
    (work / "home").mkdir()
    env = environment(work / "home")
    resume = [*git_milestone(), "resume", TARGET]
    raw = ["git", "log", "-n5", "--format=%H %s", "--", f"MILESTONES/{TARGET}.json"]
    try:
        found: dict[tuple[str, int], tuple[float, float]] = {}
        for total in sizes:
            repo = work / f"history-{total}"
            started = time.perf_counter()
            build(repo, total, env)
            print(f"built {total:,} commits in {time.perf_counter() - started:.1f}s")
            found[("plain", total)] = timed(resume, repo, env, runs)
            found[("walk plain", total)] = timed(resume, repo, env, runs, index=False)
            found[("raw plain", total)] = timed(raw, repo, env, runs)
            subprocess.run(
                ["git", "commit-graph", "write", "--reachable", "--changed-paths"],
                cwd=repo,
                env=env,
                check=True,
                capture_output=True,
            )
            found[("graph", total)] = timed(resume, repo, env, runs)
            found[("walk graph", total)] = timed(resume, repo, env, runs, index=False)
            found[("raw graph", total)] = timed(raw, repo, env, runs)
        small, large = sizes
        print(f"median of {runs} runs ({load()}); wall (cpu of the process and its git):")
        print(f"  {'':48} {small:>18,} {large:>18,}  ratio")
        for key, label in (
            ("plain", "git milestone resume, no commit-graph"),
            ("graph", "git milestone resume, commit-graph + Bloom filters"),
            ("walk plain", "  the same, commit index removed, no graph"),
            ("walk graph", "  the same, commit index removed, with graph"),
            ("raw plain", "raw git log -n5 -- FILE, no commit-graph"),
            ("raw graph", "raw git log -n5 -- FILE, commit-graph"),
        ):
            (a, a_cpu), (b, b_cpu) = found[(key, small)], found[(key, large)]
            print(
                f"  {label:48} {a:7.3f}s ({a_cpu:.3f}s) {b:7.3f}s ({b_cpu:.3f}s)  "
                f"{b / a:5.2f}x ({b_cpu / a_cpu:.2f}x)"
            )
        rows = []
        for key, label in (("graph", "with a commit-graph"), ("plain", "no commit-graph")):
            wall, cpu = found[(key, large)]
            flat = cpu / found[(key, small)][1]
            met = verdict(wall, cpu, GOAL)
            rows.append(
                Row(
                    f"`resume` on a {large:,}-commit history, milestone with 4 commits, {label}",
                    "",
                    f"{wall_cpu(wall, cpu)} (cpu {flat:.2f}x the {small:,}-commit run)",
                    f"≤ {GOAL} s, flat",
                    met if flat <= 1.5 else False,
                )
            )
        record(*rows)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
