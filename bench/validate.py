"""How fast is `git milestone validate` next to check-jsonschema on the same files?

Generates realistic milestone files (3-12 steps, notes, context, both timestamp styles,
some with findings) in a scratch repository under /tmp, then times, in this one run:

- `git milestone validate` on the repository's whole milestone directory (one process),
- `git milestone validate FILE...` on the same files named one by one (one process),
- `check-jsonschema --schemafile <the schema git milestone prints> FILE...` (one process,
  the baseline).

Both tools get every file in a single process when the argument list fits the system
limit; otherwise both are run over the same chunks. Prints the times and the ratios;
the target is validate <= 0.5x check-jsonschema.

    python bench/validate.py [--quick] [--files N] [--repeat R] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from common import Row, record, seconds

from gitmilestone import timestamps
from gitmilestone.model import Step, derive_progress, dumps

WORDS = [
    "deploy",
    "dashboard",
    "registry",
    "orchestrator",
    "health",
    "monitor",
    "cache",
    "queue",
    "worker",
    "billing",
    "invoice",
    "auth",
    "token",
    "session",
    "gateway",
    "router",
    "metrics",
    "alert",
    "backup",
    "restore",
    "schema",
    "migration",
    "index",
    "search",
    "upload",
    "storage",
    "bucket",
    "cdn",
    "mobile",
    "api",
    "client",
    "server",
    "docs",
]
VERBS = [
    "Review",
    "Test",
    "Build",
    "Deploy",
    "Configure",
    "Verify",
    "Update",
    "Migrate",
    "Refactor",
    "Document",
]
ACTORS = ["session-1", "session-2", "session-3-coordinator", "alice", "bob", "ci-agent"]
NOTES = [
    "",
    "npm test passing, Docker build successful",
    "Running deploy-to-server.sh",
    "Must test /health, /capabilities, /state, /dependencies, /message",
    "Waiting on review from the platform team",
    "Flaky test in test_upload.py, retried twice",
    "Benchmarks: p95 latency 120 ms, within budget",
    "See PR #412 for the discussion",
]


def _stamp(moment: datetime, seed_style: bool) -> str:
    if seed_style:
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return timestamps.format(moment)


def milestone(rng: random.Random, number: int) -> tuple[str, dict[str, Any], str | None]:
    """One milestone document, its id, and the code of the problem planted in it (if any)."""
    topic = rng.sample(WORDS, 2)
    mid = f"{topic[0]}-{topic[1]}-{number}"
    seed_style = rng.random() < 0.3
    start = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(400_000))
    count = rng.randint(3, 12)
    done = rng.randint(0, count)
    clock = start
    steps: list[dict[str, Any]] = []
    for i in range(1, count + 1):
        step: dict[str, Any] = {
            "step": i,
            "description": f"{rng.choice(VERBS)} {' '.join(rng.sample(WORDS, 3))}",
            "status": "pending",
        }
        who = rng.choice(ACTORS)
        if i <= done:
            clock += timedelta(minutes=rng.randint(1, 90))
            step.update(status="skipped" if rng.random() < 0.05 else "completed")
            if step["status"] == "completed":
                step.update(started_by=who, started_at=_stamp(clock, seed_style))
                clock += timedelta(minutes=rng.randint(1, 90))
                step.update(completed_by=who, completed_at=_stamp(clock, seed_style))
        elif i == done + 1 and rng.random() < 0.7:
            clock += timedelta(minutes=rng.randint(1, 90))
            step.update(status="in_progress", started_by=who, started_at=_stamp(clock, seed_style))
        step["notes"] = rng.choice(NOTES)
        steps.append(step)
    if done == count:
        status = "completed"
    elif any(s["status"] == "in_progress" for s in steps) or done:
        status = rng.choice(["in_progress"] * 8 + ["blocked"])
    else:
        status = "pending"
    blockers = ["Waiting for credentials from ops"] if status == "blocked" else []
    updated = clock + timedelta(minutes=rng.randint(0, 30))
    doc: dict[str, Any] = {
        "milestone_id": mid,
        "title": f"{rng.choice(VERBS)} the {topic[0]} {topic[1]}",
        "priority": rng.choice(["HIGH", "MEDIUM", "LOW"]),
        "owner": None if status in ("completed", "pending") else rng.choice(ACTORS),
        "status": status,
        "progress": 0,
        "revision": rng.randint(0, 40),
        "created_at": _stamp(start, seed_style),
        "updated_at": _stamp(updated, seed_style),
        "updated_by": rng.choice(ACTORS),
        "context": {
            "why": f"The {topic[0]} must reach the {topic[1]} before the next release",
            "related_files": [f"{w}/" for w in rng.sample(WORDS, rng.randint(1, 4))],
            "dependencies": [f"{w.title()} live" for w in rng.sample(WORDS, rng.randint(0, 3))],
            "success_criteria": f"{topic[0].title()} serves {topic[1]} traffic in production",
        },
        "steps": steps,
        "next_session_should": [f"Continue from step {min(done + 1, count)}"],
        "blockers": blockers,
        "handoff_notes": rng.choice(NOTES),
    }
    if rng.random() < 0.1:
        doc["x-ticket"] = f"OPS-{number}"
    doc["progress"] = derive_progress_of(doc)
    planted = plant(rng, doc)
    return mid, doc, planted


def derive_progress_of(doc: dict[str, Any]) -> int:
    steps = tuple(Step(s["step"], s["description"], s["status"]) for s in doc["steps"])
    return derive_progress(steps, doc["status"])


def plant(rng: random.Random, doc: dict[str, Any]) -> str | None:
    """About one file in ten gets a problem, as a hand edit or a stale copy would leave."""
    roll = rng.random()
    if roll < 0.05:
        doc["progress"] += 10 if doc["progress"] < 90 else -10
        return "M101"
    if roll < 0.07:
        done = [s for s in doc["steps"] if s["status"] == "completed"]
        if done:
            del done[0]["completed_by"]
            return "M105"
    elif roll < 0.08:
        doc["steps"][-1]["notes"] = 5
        return "M002"
    elif roll < 0.09:
        doc["owner"] = 3
        return "M002"
    elif roll < 0.1:
        doc["steps"][0]["step"] = 2
        return "M004"
    return None


def generate(root: Path, count: int, seed: int) -> tuple[list[str], dict[str, int]]:
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(root)], check=True)
    directory = root / "MILESTONES"
    directory.mkdir()
    rng = random.Random(seed)
    planted: dict[str, int] = {}
    names = []
    for number in range(count):
        mid, doc, code = milestone(rng, number)
        (directory / f"{mid}.json").write_text(dumps(doc), encoding="utf-8")
        names.append(f"MILESTONES/{mid}.json")
        if code is not None:
            planted[code] = planted.get(code, 0) + 1
    return sorted(names), planted


def tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"{name} not found next to {sys.executable} or on PATH; install it first")
    return found


def chunks(prefix: Sequence[str], files: list[str]) -> list[list[str]]:
    """The files split so that each command line fits the system limit (one chunk if it can)."""
    limit = os.sysconf("SC_ARG_MAX") - sum(len(k) + len(v) + 2 for k, v in os.environ.items())
    budget = limit // 2 - sum(len(p) + 1 for p in prefix)
    out: list[list[str]] = [[]]
    used = 0
    for f in files:
        if out[-1] and used + len(f) + 1 > budget:
            out.append([])
            used = 0
        out[-1].append(f)
        used += len(f) + 1
    return out


def timed(commands: list[list[str]], cwd: Path, repeat: int) -> tuple[float, list[int]]:
    """Median wall time of running every command once, and the exit codes of the last run."""
    times = []
    codes: list[int] = []
    for _ in range(repeat):
        start = time.perf_counter()
        codes = []
        for command in commands:
            proc = subprocess.run(command, cwd=cwd, capture_output=True)
            codes.append(proc.returncode)
        times.append(time.perf_counter() - start)
    return statistics.median(times), codes


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (300 files)")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = parser.parse_args(argv)
    count, repeat = (300, 1) if args.quick else (args.files, args.repeat)

    git_milestone, check_jsonschema = tool("git-milestone"), tool("check-jsonschema")
    root = Path(tempfile.mkdtemp(prefix="gm-bench-validate-", dir="/tmp"))
    try:
        t0 = time.perf_counter()
        files, planted = generate(root / "repo", count, args.seed)
        repo = root / "repo"
        print(f"generated {count} milestone files in {time.perf_counter() - t0:.1f}s under {repo}")
        print(f"planted problems: {json.dumps(planted, sort_keys=True)}")
        schema_file = root / "milestone.schema.json"
        schema = subprocess.run([git_milestone, "schema"], capture_output=True, check=True)
        schema_file.write_bytes(schema.stdout)

        baseline_prefix = [check_jsonschema, "--schemafile", str(schema_file)]
        parts = chunks(baseline_prefix, files)
        if len(parts) > 1:
            print(f"argument list too long for one process: both tools get {len(parts)} chunks")
        baseline = [[*baseline_prefix, *p] for p in parts]
        by_dir = [[git_milestone, "validate"]]
        by_file = [[git_milestone, "validate", *p] for p in parts]

        for commands in (baseline, by_dir, by_file):  # warm the file cache and .pyc files
            timed(commands, repo, 1)
        ours_dir, dir_codes = timed(by_dir, repo, repeat)
        ours_files, file_codes = timed(by_file, repo, repeat)
        theirs, their_codes = timed(baseline, repo, repeat)

        report = subprocess.run(
            [git_milestone, "validate", "--json"], cwd=repo, capture_output=True, check=False
        )
        found: dict[str, int] = {}
        for f in json.loads(report.stdout)["data"]["findings"]:
            found[f["code"]] = found.get(f["code"], 0) + 1
        print(f"validate found:   {json.dumps(found, sort_keys=True)} (exit {dir_codes})")
        print(f"check-jsonschema exit codes {their_codes}; validate FILE... {file_codes}")
        print(f"median of {repeat} run(s), {count} files:")
        print(f"  check-jsonschema --schemafile  {theirs:8.3f}s   (baseline)")
        print(f"  git milestone validate (dir)   {ours_dir:8.3f}s   {ours_dir / theirs:.3f}x")
        print(f"  git milestone validate FILE... {ours_files:8.3f}s   {ours_files / theirs:.3f}x")
        record(
            Row(
                f"`validate` over {count:,} files",
                f"check-jsonschema on the same files {seconds(theirs)}",
                f"{ours_dir / theirs:.2f}x ({seconds(ours_dir)})",
                "≤ 0.5x",
                ours_dir / theirs <= 0.5,
            )
        )
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
