"""`git milestone list` and `next` over many milestones, against a per-file jq loop.

Generates 10,000 realistic milestone files (the generator of bench/validate.py: 3-12 steps,
notes, both timestamp styles, one file in ten with a problem) and commits them, then times,
in this one run:

- baseline: a shell loop running `jq` once per file to print id, priority, status,
  progress and owner (what one would script without the tool); run once, it is slow;
- `git milestone list --all` and `git milestone next`, each
  - cold: with no summary cache (it is removed before each run), so every file is checked,
  - warm: files unchanged since the last run,
  - one changed: one file edited since the last run.

Goals: warm <= 0.3 s, cold <= 1.0 s, for both commands. jq is optional: without it the
baseline is skipped (install it with `apt-get install jq`, or your system's package).

    python bench/list.py [--quick] [--files N] [--runs N] [--keep] [--no-jq]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
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
    seconds,
    verdict,
    wall_cpu,
)
from validate import generate

CACHE_FILE = "milestone-cache"
JQ_FILTER = '[.milestone_id, .priority, .status, .progress, (.owner // "-")] | @tsv'
GOAL_WARM, GOAL_COLD = 0.3, 1.0


def jq_loop(repo: Path, env: dict[str, str]) -> float | None:
    if shutil.which("jq", path=env["PATH"]) is None:
        print("jq is not installed: the per-file jq baseline is skipped (apt-get install jq)")
        return None
    script = f"for f in MILESTONES/*.json; do jq -r '{JQ_FILTER}' \"$f\"; done"
    return run_once([script], repo, env, shell=True, expect=(0, 5))


def drop_cache(repo: Path) -> None:
    git_dir = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"], cwd=repo, capture_output=True, check=True
    )
    (Path(git_dir.stdout.decode().strip()) / CACHE_FILE).unlink(missing_ok=True)


def touch_one(repo: Path, round_: int) -> None:
    """Edit one milestone file as a hand edit would (its handoff notes)."""
    path = sorted((repo / "MILESTONES").glob("*.json"))[round_ % 50]
    doc = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(doc, dict):
        doc["handoff_notes"] = f"edited by the benchmark, round {round_}"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def measure(
    command: list[str], repo: Path, env: dict[str, str], runs: int
) -> dict[str, tuple[float, float]]:
    """Median (wall, cpu) seconds of each state."""
    found: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "one changed": []}
    run_once(command, repo, env)  # the page cache and .pyc files, not the summary cache
    for i in range(runs):
        drop_cache(repo)
        found["cold"].append(run_timed(command, repo, env))
        found["warm"].append(run_timed(command, repo, env))
        touch_one(repo, i)
        found["one changed"].append(run_timed(command, repo, env))
    return {
        state: (median([w for w, _ in v]), median([c for _, c in v])) for state, v in found.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (500 files)")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument("--no-jq", action="store_true", help="skip the (slow) jq baseline")
    args = parser.parse_args()
    count, runs = (500, 2) if args.quick else (args.files, args.runs)

    work = Path(tempfile.mkdtemp(prefix="gm-bench-list-"))
    (work / "home").mkdir()
    env = environment(work / "home")
    repo = work / "repo"
    try:
        started = time.perf_counter()
        generate(repo, count, 2025)
        subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
        subprocess.run(["git", "commit", "-qm", "milestones"], cwd=repo, env=env, check=True)
        print(f"{count} milestone files committed in {time.perf_counter() - started:.1f}s")

        baseline = None if args.no_jq else jq_loop(repo, env)
        if baseline is not None:
            print(f"baseline: per-file jq loop over {count} files, one run: {baseline:.2f}s")
        results = {}
        for name, command in (
            ("list", [*git_milestone(), "list", "--all"]),
            ("next", [*git_milestone(), "next"]),
        ):
            results[name] = measure(command, repo, env, runs)
        print(f"median of {runs} runs ({load()}); wall, and cpu of the process and its git:")
        rows = []
        for name, found in results.items():
            for state, (wall, cpu) in found.items():
                ratio = "" if baseline is None else f"  {wall / baseline:.4f}x jq loop"
                print(f"  {name:5} {state:12} {wall:7.3f}s  cpu {cpu:7.3f}s{ratio}")
            base = "" if baseline is None or name != "list" else f"jq loop {seconds(baseline)}"
            for state, goal in (("warm", GOAL_WARM), ("cold", GOAL_COLD)):
                wall, cpu = found[state]
                ratio = "" if baseline is None else f" ({wall / baseline:.4f}x)"
                label = "files unchanged since the last read" if state == "warm" else "cold"
                rows.append(
                    Row(
                        f"`{name}` over {count:,} milestones, {label}",
                        base if name == "list" else "",
                        f"{wall_cpu(wall, cpu)}{ratio if name == 'list' else ''}",
                        f"≤ {goal} s",
                        verdict(wall, cpu, goal),
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
