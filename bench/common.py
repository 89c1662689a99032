"""What the benchmarks share: finding the programs, timing them, and reporting a row of the
README's performance table.

Each benchmark prints its own report, with every ratio measured against a baseline run in
the same process tree. When `bench/run_all.py` runs it, it also appends its table rows (one
JSON object a line) to the file named by GM_BENCH_RESULTS, from which run_all writes the
README's table.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_ENV = "GM_BENCH_RESULTS"


def _bytecode() -> None:
    """Measure the package as it runs installed: pip compiles its modules to bytecode at
    install time. With PYTHONDONTWRITEBYTECODE set (as in some shells and CI) every run of
    an editable install would compile every module again, some 25 ms a command."""
    import compileall

    import gitmilestone

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(Path(gitmilestone.__file__).parent, quiet=1)


_bytecode()


@dataclass(frozen=True)
class Row:
    """One line of the performance table."""

    what: str
    baseline: str
    measured: str
    goal: str
    met: bool | str | None  # None: no goal; "cpu": met by the CPU time only (a busy machine)


def record(*rows: Row) -> None:
    """Print the rows as the verdict lines, and hand them to run_all when it is listening."""
    for r in rows:
        verdict = {None: "-", "cpu": "met by the CPU time only", True: "met"}.get(r.met, "NOT met")
        base = f" against {r.baseline}" if r.baseline else ""
        print(f"RESULT {r.what}: {r.measured}{base}; goal {r.goal}: {verdict}")
    target = os.environ.get(RESULTS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            for r in rows:
                out.write(json.dumps(asdict(r)) + "\n")


def read_rows(path: Path) -> list[Row]:
    if not path.exists():
        return []
    return [Row(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def git_milestone() -> list[str]:
    """The installed `git-milestone` beside this interpreter, or `python -m gitmilestone`."""
    script = Path(sys.executable).with_name("git-milestone")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gitmilestone"]


def which(name: str) -> str | None:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def environment(home: Path, actor: str = "bench-session") -> dict[str, str]:
    """Isolated from the user's git config, with `git milestone` on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
        GIT_MILESTONE_ACTOR=actor,
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_timed(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    shell: bool = False,
    expect: Sequence[int] = (0,),
) -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU: the process and the git processes it started;
    on a busy machine it is what the wall time would be on an idle one, near enough)."""
    cpu = children_cpu()
    wall = run_once(command, cwd, env, shell=shell, expect=expect)
    return wall, children_cpu() - cpu


def run_once(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    shell: bool = False,
    expect: Sequence[int] = (0,),
) -> float:
    """Wall seconds of one run; its output is thrown away; an unexpected exit stops the bench."""
    start = time.perf_counter()
    proc = subprocess.run(
        command if not shell else command[0],
        cwd=cwd,
        env=None if env is None else dict(env),
        shell=shell,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode not in expect:
        sys.exit(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stderr.decode()[-2000:]}")
    return seconds


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.0f} s"


def wall_cpu(wall: float, cpu: float) -> str:
    return f"{seconds(wall)} wall, {seconds(cpu)} cpu"


def verdict(wall: float, cpu: float, goal: float) -> bool | str:
    """Met on the wall clock; "cpu" (the table says "cpu only") when only the CPU time
    meets the goal, as on a machine that other work keeps busy."""
    if wall <= goal:
        return True
    return "cpu" if cpu <= goal else False


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus"
