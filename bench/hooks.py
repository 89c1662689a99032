"""The pre-commit guard's cost, as the hook runs it: `git milestone validate --staged` as a
subprocess, with one milestone file staged, in repositories with few and with many
milestones (it must not grow with their number), and with no milestone file staged.

    python bench/hooks.py [--quick]

Prints the median of several runs and ratios against the smallest repository, measured in
the same run. Repositories are made under /tmp/gitmilestone-bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import Row, record, seconds

from gitmilestone.model import Milestone

ROOT = Path("/tmp/gitmilestone-bench")
PROJECT = Path(__file__).resolve().parents[1]
NOW = "2025-11-15T02:00:00Z"
ENV = {
    **os.environ,
    "GIT_MILESTONE_ACTOR": "bench",
    "GIT_MILESTONE_NOW": NOW,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
}


def cli() -> list[str]:
    found = shutil.which("git-milestone", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "gitmilestone"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True)


def document(i: int) -> dict[str, object]:
    return {
        "milestone_id": f"m-{i:05d}",
        "title": f"Milestone {i}",
        "priority": "MEDIUM",
        "owner": None,
        "status": "pending",
        "progress": 0,
        "revision": 1,
        "created_at": "2025-11-15T00:00:00Z",
        "updated_at": "2025-11-15T00:00:00Z",
        "steps": [
            {"step": k, "description": f"step {k}", "status": "pending", "notes": ""}
            for k in range(1, 6)
        ],
        "next_session_should": [],
        "blockers": [],
        "handoff_notes": "",
    }


def make_repo(count: int) -> Path:
    repo = ROOT / f"hooks-{count}"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "MILESTONES").mkdir(parents=True)
    git(repo, "-c", "init.defaultBranch=main", "init", "-q")
    for i in range(count):
        text = Milestone.from_dict(document(i)).dumps()
        (repo / "MILESTONES" / f"m-{i:05d}.json").write_text(text, encoding="utf-8")
    (repo / "README.md").write_text("bench\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", f"{count} milestones")
    return repo


def stage_one_edit(repo: Path) -> None:
    path = repo / "MILESTONES" / "m-00042.json"
    doc = json.loads(path.read_text())
    doc.update(handoff_notes="edited by hand", revision=2, updated_at=NOW)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    git(repo, "add", str(path))


def stage_unrelated(repo: Path) -> None:
    git(repo, "reset", "-q")
    git(repo, "checkout", "-q", "--", ".")
    (repo / "notes.txt").write_text("unrelated\n")
    git(repo, "add", "notes.txt")


def timed(command: list[str], repo: Path, runs: int, expect: int = 0) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=repo, env=ENV, capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != expect:
            raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stdout!r}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small repositories, few runs")
    args = parser.parse_args()
    sizes, runs = ((100, 1000), 3) if args.quick else ((100, 10_000), 9)
    guard = [*cli(), "validate", "--staged"]
    hook = ["sh", str(PROJECT / "hooks" / "pre-commit")]

    repos = {}
    for count in sizes:
        start = time.perf_counter()
        repos[count] = make_repo(count)
        print(f"made a repository with {count} milestones in {time.perf_counter() - start:.1f}s")

    floor = timed([*cli(), "--version"], repos[sizes[0]], runs)
    print(f"\nbaseline: `git milestone --version` (interpreter + CLI start) {floor:.3f}s")
    print(f"median of {runs} runs; ratio against the {sizes[0]}-milestone repository\n")
    rows = []
    for label, prepare, command in (
        ("guard, one milestone staged", stage_one_edit, guard),
        ("guard, no milestone staged", stage_unrelated, guard),
        ("pre-commit hook script, no milestone staged", stage_unrelated, hook),
    ):
        results = {}
        for count, repo in repos.items():
            prepare(repo)
            results[count] = timed(command, repo, runs)
        base = results[sizes[0]]
        for count, took in results.items():
            rows.append((label, count, took, took / base, took / floor))
    print(f"{'what':45} {'milestones':>10} {'seconds':>8} {'ratio':>6} {'/start':>7}")
    for label, count, took, ratio, against_floor in rows:
        print(f"{label:45} {count:>10} {took:>8.3f} {ratio:>6.2f} {against_floor:>7.2f}")
    staged = {count: took for label, count, took, _, _ in rows if label == rows[0][0]}
    small, large = sizes
    record(
        Row(
            f"the guard, one milestone staged among {large:,}",
            f"the same among {small:,}: {seconds(staged[small])}",
            f"{seconds(staged[large])} ({staged[large] / staged[small]:.2f}x)",
            "flat (≤ 1.2x)",
            staged[large] / staged[small] <= 1.2,
        )
    )


if __name__ == "__main__":
    main()
