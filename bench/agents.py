"""What the agent-facing commands cost: `prime`'s size, the MCP server's round trip, the board.

Generates realistic milestone files (the generator of bench/validate.py) and commits them,
then measures, in this one run:

- `git milestone prime` with 50 milestones, acting as one of their owners: its size in
  tokens (characters / 4) as text and as `--json` (goal: at most 800), and its time
  against `git milestone list` on the same repository;
- the MCP server (`git milestone mcp`, needs the `mcp` extra): the round trip of a read
  tool call (`show`) and of a write (`advance`, one commit each) through the SDK's stdio
  client, against the same command run as a process (what an agent without MCP pays);
- `git milestone board` on 100 milestones: `--update CURRENT_STATE.md` with a commit,
  again with nothing to change, and `--html`, against `git milestone list --all`.

    python bench/agents.py [--quick] [--runs N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Row, environment, git_milestone, load, median, record, run_once, seconds
from validate import generate

ACTOR = "alice"  # one of the generator's owners
TOKEN_GOAL = 800


def repository(root: Path, count: int, env: dict[str, str]) -> Path:
    generate(root, count, seed=2025)
    for args in (("add", "-A"), ("commit", "-q", "-m", f"{count} milestones")):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    return root


def output(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout


def prime_rows(work: Path, env: dict[str, str], runs: int) -> list[Row]:
    repo = repository(work / "prime", 50, env)
    text = output([*git_milestone(), "prime"], repo, env)
    as_json = output([*git_milestone(), "prime", "--json"], repo, env)
    tokens, json_tokens = len(text) / 4, len(as_json) / 4
    took = median([run_once([*git_milestone(), "prime"], repo, env) for _ in range(runs)])
    base = median([run_once([*git_milestone(), "list"], repo, env) for _ in range(runs)])
    print(
        f"prime: {tokens:.0f} tokens as text, {json_tokens:.0f} as --json; {took:.3f}s, "
        f"list {base:.3f}s ({took / base:.2f}x)"
    )
    return [
        Row(
            "`prime` with 50 milestones: size (characters / 4), text and `--json`",
            "",
            f"{tokens:.0f} and {json_tokens:.0f} tokens",
            f"≤ {TOKEN_GOAL} tokens",
            max(tokens, json_tokens) <= TOKEN_GOAL,
        ),
        Row(
            "`prime` with 50 milestones",
            f"`list` {seconds(base)}",
            f"{seconds(took)} ({took / base:.2f}x)",
            "–",
            None,
        ),
    ]


def mcp_rows(work: Path, env: dict[str, str], runs: int) -> list[Row]:
    try:
        import anyio
        from mcp import Client, StdioServerParameters
    except ImportError:
        print("the mcp extra is not installed: the MCP round trip is skipped")
        return []
    repo = work / "mcp"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, env=env, check=True)
    steps = [arg for n in range(2 * runs + 2) for arg in ("--step", f"step {n}")]
    subprocess.run(
        [*git_milestone(), "new", "Bench", "--id", "bench", *steps],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )
    reads: list[float] = []
    writes: list[float] = []

    async def session() -> None:
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "gitmilestone", "mcp"], env=env, cwd=repo
        )
        async with Client(params) as client:
            for _ in range(runs):
                start = time.perf_counter()
                result = await client.call_tool("show", {"milestone_id": "bench"})
                reads.append(time.perf_counter() - start)
                start = time.perf_counter()
                result = await client.call_tool("advance", {"milestone_id": "bench"})
                writes.append(time.perf_counter() - start)
                assert not result.is_error, result.content

    anyio.run(session)
    cli_read = median(
        [run_once([*git_milestone(), "show", "bench"], repo, env) for _ in range(runs)]
    )
    cli_write = median(
        [run_once([*git_milestone(), "advance", "bench"], repo, env) for _ in range(runs)]
    )
    read, write = median(reads), median(writes)
    print(
        f"MCP show {read * 1000:.1f} ms (process {cli_read * 1000:.0f} ms), "
        f"advance {write * 1000:.1f} ms (process {cli_write * 1000:.0f} ms)"
    )
    return [
        Row(
            "MCP round trip of a read (`show`)",
            f"`show` as a process {seconds(cli_read)}",
            f"{seconds(read)} ({read / cli_read:.2f}x)",
            "–",
            None,
        ),
        Row(
            "MCP round trip of a write (`advance`, one commit)",
            f"`advance` as a process {seconds(cli_write)}",
            f"{seconds(write)} ({write / cli_write:.2f}x)",
            "–",
            None,
        ),
    ]


def board_rows(work: Path, env: dict[str, str], runs: int) -> list[Row]:
    repo = repository(work / "board", 100, env)
    board = [*git_milestone(), "board"]
    first = run_once([*board, "--update", "CURRENT_STATE.md"], repo, env)
    head = output(["git", "log", "-1", "--format=%(trailers:key=Milestone-Action)"], repo, env)
    assert "board" in head, head
    unchanged = median(
        [run_once([*board, "--update", "CURRENT_STATE.md"], repo, env) for _ in range(runs)]
    )
    page = median(
        [run_once([*board, "--html", str(work / "board.html")], repo, env) for _ in range(runs)]
    )
    base = median([run_once([*git_milestone(), "list", "--all"], repo, env) for _ in range(runs)])
    size = len((repo / "CURRENT_STATE.md").read_text(encoding="utf-8"))
    print(
        f"board, 100 milestones: update with a commit {first:.3f}s, unchanged "
        f"{unchanged:.3f}s, html {page:.3f}s; list --all {base:.3f}s; block {size} chars"
    )
    return [
        Row(
            "`board --update CURRENT_STATE.md` on 100 milestones, with its commit",
            f"`list --all` {seconds(base)}",
            f"{seconds(first)} ({first / base:.2f}x)",
            "–",
            None,
        ),
        Row(
            "`board --update` on 100 milestones, nothing to change; `--html`",
            f"`list --all` {seconds(base)}",
            f"{seconds(unchanged)} ({unchanged / base:.2f}x); {seconds(page)}",
            "–",
            None,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (2 runs each)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    work = Path(tempfile.mkdtemp(prefix="gm-bench-agents-"))
    env = environment(work / "home", ACTOR)
    (work / "home").mkdir()
    try:
        rows = prime_rows(work, env, runs) + mcp_rows(work, env, runs) + board_rows(work, env, runs)
        print(f"medians of {runs} runs ({load()})")
        record(*rows)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.pop("GIT_MILESTONE_NOW", None)
    main()
