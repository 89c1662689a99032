"""How much `git milestone advance` costs beyond the commit it makes.

Generates a repository with many files (100,000 by default) and a milestone, then times, in
the same run and alternating, `git milestone advance ID` (a real process, as users run it)
against the same edit done in Python and committed with plain `git commit --only FILE`.
Prints the medians and their ratio (goal: at most 1.2x), and the median time of
`advance` in a small repository (goal: at most 0.06 s).

`git milestone` runs as a normal install runs it: the console script, with this package and
its dependencies found on sys.path, not through the finder an editable install (`pip
install -e`) adds to every interpreter start (some 10 ms).

    python bench/advance.py [--quick] [--files N] [--reps N] [--keep]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import resource
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import Row, record, seconds, verdict, wall_cpu

from gitmilestone import timestamps, workflow
from gitmilestone.config import DEFAULT_LEASE
from gitmilestone.messages import format_message
from gitmilestone.model import Milestone
from gitmilestone.rules import check_bytes

MILESTONE = "bench"
REL = f"MILESTONES/{MILESTONE}.json"
ACTOR = "bench-session"


def installed(where: Path) -> Path:
    """A bin directory whose `git-milestone` is this package as a normal install runs it: a
    virtual environment (no pip) whose sys.path holds this package's directory and this
    interpreter's site-packages, and the console script pip would write. Returns its bin."""
    import gitmilestone

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    inner = subprocess.run(
        [str(where / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    paths = [str(Path(gitmilestone.__file__).resolve().parents[1]), *site.getsitepackages()]
    # Directories named in a .pth file are only added to sys.path: their own .pth files (the
    # editable install's finder) are not run.
    Path(inner, "gitmilestone-bench.pth").write_text("\n".join(paths) + "\n")
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name="git-milestone")
    module, _, function = entry.value.partition(":")
    script = where / "bin" / "git-milestone"
    script.write_text(
        f"#!{where / 'bin' / 'python'}\nimport sys\nfrom {module} import {function}\n"
        f"sys.exit({function}())\n"
    )
    script.chmod(0o755)
    return where / "bin"


def environment(home: Path, bin_dir: Path) -> dict[str, str]:
    """Isolated from the user's git config, with `git milestone` (from `bin_dir`) on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GIT_MILESTONE_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
        GIT_MILESTONE_ACTOR=ACTOR,
        PATH=os.pathsep.join([str(bin_dir), env.get("PATH", "")]),
    )
    return env


def git(repo: Path, env: dict[str, str], *args: str, input: bytes | None = None) -> bytes:
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=env, input=input, capture_output=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed:\n{proc.stderr.decode(errors='replace')}")
    return proc.stdout


def fast_import_stream(files: int) -> bytes:
    """One commit holding `files` small distinct files, 1,000 to a directory."""
    chunks: list[bytes] = []
    for i in range(files):
        data = f"generated file {i}\n{'x' * (i % 200)}\n".encode()
        chunks.append(b"blob\nmark :%d\ndata %d\n%s\n" % (i + 1, len(data), data))
    chunks.append(
        b"commit refs/heads/main\n"
        b"committer Bench <bench@example.com> 1763168400 +0000\n"
        b"data 21\ngenerated repository\n"
    )
    readme = b"benchmark repository\n"
    chunks.append(b"M 100644 inline README.md\ndata %d\n%s\n" % (len(readme), readme))
    for i in range(files):
        chunks.append(b"M 100644 :%d src/d%03d/f%04d.txt\n" % (i + 1, i // 1000, i % 1000))
    chunks.append(b"\n")
    return b"".join(chunks)


def make_repo(path: Path, env: dict[str, str], files: int) -> float:
    start = time.perf_counter()
    path.mkdir(parents=True)
    git(path, env, "-c", "init.defaultBranch=main", "init", "-q")
    git(path, env, "config", "commit.gpgsign", "false")
    if files:
        git(path, env, "fast-import", "--quiet", input=fast_import_stream(files))
        git(path, env, "reset", "-q", "--hard", "main")
    else:
        (path / "README.md").write_text("small repository\n")
        git(path, env, "add", "README.md")
        git(path, env, "commit", "-q", "-m", "initial commit")
    return time.perf_counter() - start


def cli(repo: Path, env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(
        ["git", "milestone", *args], cwd=repo, env=env, capture_output=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"git milestone {' '.join(args)} failed:\n{proc.stderr.decode(errors='replace')}")


def create_milestone(repo: Path, env: dict[str, str], steps: int) -> None:
    step_args = [a for i in range(1, steps + 1) for a in ("--step", f"Bench step {i}")]
    cli(repo, env, "new", "Benchmark milestone", "--id", MILESTONE, "--claim", *step_args)
    cli(repo, env, "advance", MILESTONE)


def advance_with_cli(repo: Path, env: dict[str, str]) -> None:
    cli(repo, env, "advance", MILESTONE)


def advance_with_git(repo: Path, env: dict[str, str]) -> None:
    """The same edit, made in Python, committed with plain `git commit --only`."""
    path = repo / REL
    checked = check_bytes(REL, path.read_bytes(), MILESTONE)
    current: Milestone | None = checked.milestone
    if current is None:
        sys.exit(f"{REL} is unreadable: {checked.findings}")
    actor = workflow.Actor(ACTOR, timestamps.parse(_now()), DEFAULT_LEASE)
    new, change = workflow.advance(current, actor)
    path.write_text(new.dumps(), encoding="utf-8")
    git(
        repo,
        env,
        "commit",
        "--only",
        "--quiet",
        "--cleanup=verbatim",
        "--file=-",
        "--",
        REL,
        input=format_message(new, change, ACTOR).encode(),
    )


def _now() -> str:
    from datetime import datetime, timezone

    return timestamps.format(datetime.now(timezone.utc))


def cpu() -> float:
    """CPU seconds used so far by this process and every finished child (git, the CLI)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(
    action: Callable[[Path, dict[str, str]], None], repo: Path, env: dict[str, str]
) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run (CPU is steadier on a busy machine)."""
    start, start_cpu = time.perf_counter(), cpu()
    action(repo, env)
    return time.perf_counter() - start, cpu() - start_cpu


def compare(
    repo: Path, env: dict[str, str], reps: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Alternate `git milestone advance` and the plain-git edit; each must make one commit."""
    create_milestone(repo, env, steps=2 * reps + 6)
    advance_with_cli(repo, env)
    advance_with_git(repo, env)
    before = commit_count(repo, env)
    ours: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    for i in range(reps):
        pair = [(ours, advance_with_cli), (plain, advance_with_git)]
        for samples, action in pair if i % 2 == 0 else reversed(pair):
            samples.append(timed(action, repo, env))
    if commit_count(repo, env) != before + 2 * reps:
        sys.exit("a timed run did not make exactly one commit")
    return ours, plain


def median(samples: list[tuple[float, float]], index: int) -> float:
    return statistics.median(s[index] for s in samples)


def row(ours: list[tuple[float, float]], plain: list[tuple[float, float]]) -> str:
    wall, cpu = (median(ours, 0), median(plain, 0)), (median(ours, 1), median(plain, 1))
    return (
        f"{wall[0]:7.3f} ({cpu[0]:.3f})  {wall[1]:7.3f} ({cpu[1]:.3f})  "
        f"{wall[0] / wall[1]:5.2f}x ({cpu[0] / cpu[1]:.2f}x)  {wall[0] - wall[1]:7.3f}s"
    )


def commit_count(repo: Path, env: dict[str, str]) -> int:
    return int(git(repo, env, "rev-list", "--count", "HEAD"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--files", type=int, help="files in the large repository")
    parser.add_argument("--reps", type=int, help="timed runs of each side")
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories")
    args = parser.parse_args()
    files = args.files or (2_000 if args.quick else 100_000)
    reps = args.reps or (3 if args.quick else 15)

    work = Path(tempfile.mkdtemp(prefix="gitmilestone-bench-"))
    home = work / "home"
    home.mkdir()
    env = environment(home, installed(work / "installed"))
    try:
        results = []
        for name, count in (("large", files), ("small", 0)):
            repo = work / name
            built = make_repo(repo, env, count)
            results.append(
                (
                    f"{name} ({count + 1:,} file{'s' if count else ''})",
                    built,
                    *compare(repo, env, reps),
                )
            )
        print(f"{reps} alternating runs of each; median seconds, wall (cpu)")
        print(f"{'':22}  {'advance':>15}  {'commit --only':>15}  {'ratio':>13}  {'overhead':>8}")
        for label, _, ours, plain in results:
            print(f"{label:>22}  {row(ours, plain)}")
        large, small = results
        print(f"large repository generated in {large[1]:.1f} s")
        ours, plain = median(large[2], 0), median(large[3], 0)
        ours_cpu, plain_cpu = median(large[2], 1), median(large[3], 1)
        small_ours, small_cpu = median(small[2], 0), median(small[2], 1)
        record(
            Row(
                f"`advance` in a {files + 1:,}-file repository",
                f"`git commit --only` of the same edit {seconds(plain)}",
                f"{ours / plain:.2f}x ({ours - plain:+.3f} s); cpu {ours_cpu / plain_cpu:.2f}x",
                "≤ 1.2x",
                verdict(ours / plain, ours_cpu / plain_cpu, 1.2),
            ),
            Row(
                "`advance` in a small repository",
                "",
                f"{wall_cpu(small_ours, small_cpu)} (`git commit --only`: "
                f"{seconds(median(small[3], 0))})",
                "≤ 0.06 s",
                verdict(small_ours, small_cpu, 0.06),
            ),
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
