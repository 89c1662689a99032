"""Run every benchmark and write the README's performance table from what they measured.

    python bench/run_all.py [--quick] [--only NAME ...] [--readme]

Each benchmark runs as its own process, prints its report, and hands its table rows back
(see common.py). With `--readme` the table between the `bench:start`/`bench:end` markers
in README.md is replaced by the one measured in this run (never with `--quick`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS_ENV, Row, load, read_rows

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
# In the order of the table.
BENCHMARKS = ("list", "advance", "resume", "log", "validate", "hooks", "agents", "claims")


def table(rows: list[Row], note: str) -> str:
    lines = [
        "| what | baseline | measured | goal | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        met = {None: "–", "cpu": "cpu only", True: "yes"}.get(r.met, "no")
        lines.append(f"| {r.what} | {r.baseline or '–'} | {r.measured} | {r.goal} | {met} |")
    return "\n".join(lines) + f"\n\n{note}"


def replace_table(text: str, new: str) -> str:
    before, start, rest = text.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"README.md has no {START} ... {END} block to replace")
    return f"{before}{START}\n{new}\n{END}{after}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke runs of every benchmark")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's table")
    args = parser.parse_args()
    if args.readme and (args.quick or args.only):
        raise SystemExit("--readme needs a full run of every benchmark (no --quick, no --only)")
    chosen = args.only or BENCHMARKS
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for name in chosen:
            results = Path(scratch) / f"{name}.jsonl"
            command = [sys.executable, str(HERE / f"{name}.py")]
            command += ["--quick"] if args.quick else []
            print(f"== {name}: {' '.join(command[1:])}", flush=True)
            proc = subprocess.run(command, env={**os.environ, RESULTS_ENV: str(results)})
            if proc.returncode != 0:
                raise SystemExit(f"bench/{name}.py failed (exit {proc.returncode})")
            rows += read_rows(results)
    note = (
        f"Measured by `python bench/run_all.py --readme` in {time.perf_counter() - started:.0f} s "
        f'({load()} at the end; medians of several runs). "cpu only": the goal is met by '
        "the CPU time (the command and its git processes) but not by the wall clock, which "
        "other work on the machine stretched."
    )
    text = table(rows, note)
    print("\n" + text)
    if args.readme:
        README.write_text(replace_table(README.read_text(encoding="utf-8"), text), "utf-8")
        print(f"\nwrote the table into {README}")


if __name__ == "__main__":
    main()
