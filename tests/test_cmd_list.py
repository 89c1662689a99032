"""`list` (alias `status`): one line per milestone with a progress bar, filters, and colour
only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from gitmilestone.render import clip, display_width
from tests.conftest import Ran, Repo

ANSI = "\x1b["


def ok(ran: Ran) -> Ran:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


@pytest.fixture
def board(repo: Repo) -> Repo:
    """Five milestones, one in each status, held by different people."""

    def new(mid: str, *options: str) -> None:
        steps = ("--step", "a", "--step", "b", "--step", "c")
        ok(repo.gm("new", f"Work {mid}", "--id", mid, *steps, *options))

    new("alpha", "--claim", "--priority", "LOW")
    ok(repo.gm("advance", "alpha"))
    ok(repo.gm("advance", "alpha"))
    new("bravo", "--priority", "HIGH")
    ok(repo.gm("claim", "bravo", "--as", "bob"))
    new("charlie")
    ok(repo.gm("advance", "charlie", "--as", "carol"))
    ok(repo.gm("block", "charlie", "--reason", "waiting", "--as", "carol"))
    new("delta", "--claim")
    ok(repo.gm("advance", "delta"))
    ok(repo.gm("complete", "delta", "--force"))
    new("echo")
    ok(repo.gm("abandon", "echo", "--reason", "not needed"))
    return repo


def ids(ran: Ran) -> list[str]:
    return [m["milestone_id"] for m in json.loads(ran.stdout)["data"]["milestones"]]


def row(ran: Ran, mid: str) -> str:
    return next(line for line in ran.stdout.splitlines() if line.startswith(mid + " "))


def test_list_shows_one_plain_line_per_open_milestone(board: Repo) -> None:
    ran = ok(board.gm("list"))
    assert ANSI not in ran.stdout
    lines = ran.stdout.splitlines()
    assert lines[0].split() == [
        "MILESTONE",
        "PRIORITY",
        "STATUS",
        "PROGRESS",
        "OWNER",
        "STEP",
        "UPDATED",
    ]
    assert [line.split()[0] for line in lines[1:]] == ["bravo", "charlie", "alpha"]
    alpha = row(ran, "alpha")
    assert "LOW" in alpha and "in_progress" in alpha
    assert "[###---------]  33%" in alpha
    assert "alice" in alpha and "2/3 b" in alpha
    assert "[------------]   0%" in row(ran, "bravo")
    assert "blocked" in row(ran, "charlie")


def test_status_is_the_same_command(board: Repo) -> None:
    assert ok(board.gm("status")).stdout == ok(board.gm("list")).stdout


def test_no_command_lists_too(board: Repo) -> None:
    assert ok(board.gm()).stdout == ok(board.gm("list")).stdout


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param((), ["bravo", "charlie", "alpha"], id="open"),
        pytest.param(("--all",), ["bravo", "charlie", "delta", "echo", "alpha"], id="all"),
        pytest.param(("--status", "completed"), ["delta"], id="status-completed"),
        pytest.param(("--status", "blocked"), ["charlie"], id="status-blocked"),
        pytest.param(("--owner", "bob"), ["bravo"], id="owner"),
        pytest.param(("--mine",), ["alpha"], id="mine"),
        pytest.param(("--mine", "--as", "carol"), ["charlie"], id="mine-as"),
        pytest.param(("--owner", "nobody"), [], id="nobody"),
    ],
)
def test_list_filters(board: Repo, options: tuple[str, ...], expected: list[str]) -> None:
    assert ids(ok(board.gm("list", *options, "--json"))) == expected
    text = ok(board.gm("list", *options)).stdout
    if expected:
        assert [line.split()[0] for line in text.splitlines()[1:]] == expected
    else:
        assert "no milestones to show" in text


def test_an_owner_whose_lease_expired_is_marked(board: Repo) -> None:
    fresh = ok(board.gm("list"))
    assert "lease expired" not in fresh.stdout
    later = ok(board.gm("list", env={"GIT_MILESTONE_NOW": "2025-11-15T03:30:00Z"}))
    assert "bob (lease expired)" in row(later, "bravo")
    listed = ok(board.gm("list", "--json", env={"GIT_MILESTONE_NOW": "2025-11-15T03:30:00Z"}))
    active = {
        m["milestone_id"]: m["lease_active"]
        for m in json.loads(listed.stdout)["data"]["milestones"]
    }
    assert active["bravo"] is False


def test_an_unreadable_file_is_reported_not_fatal(board: Repo) -> None:
    board.write("MILESTONES/broken.json", "{not json")
    ran = ok(board.gm("list"))
    assert "warning: unreadable: MILESTONES/broken.json" in ran.stderr
    assert "broken" not in ran.stdout
    assert "alpha" in ran.stdout


def run_on_a_terminal(repo: Repo, *args: str, env: dict[str, str]) -> str:
    """Run the CLI as a real process whose stdout is a pseudo-terminal."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitmilestone", *args],
        cwd=repo.path,
        stdout=secondary,
        stderr=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm-256color", **env},
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    return b"".join(chunks).decode("utf-8")


def test_colour_on_a_terminal_and_plain_with_no_color(board: Repo) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    board.monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = run_on_a_terminal(board, "list", env=env)
    assert ANSI in coloured
    assert "█" in coloured and "33%" in coloured
    plain = run_on_a_terminal(board, "list", env={"NO_COLOR": "1"})
    assert ANSI not in plain
    assert "[###---------]  33%" in plain


def test_piped_output_is_plain(board: Repo) -> None:
    ran = board.gm_proc("list")
    assert ran.exit_code == 0
    assert ANSI not in ran.stdout
    assert "[###---------]  33%" in ran.stdout


def test_wide_and_combining_characters_keep_the_columns_aligned(repo: Repo) -> None:
    # CJK characters take two columns, a combining accent none: the column after the step
    # starts at the same display column on every line.
    for mid, step in (
        ("cjk", "部署仪表板到服务器"),
        ("accent", "Cafe\u0301 menu"),
        ("ascii", "plain"),
        ("latin", "Café – menu"),
        ("soft", "Soft\u00adhyphen"),
        ("clipped", "A step far too long to fit the column of the table, so it is clipped"),
    ):
        ok(repo.gm("new", f"Work {mid}", "--id", mid, "--step", step))
    lines = ok(repo.gm("list")).stdout.splitlines()
    starts = {display_width(line[: line.index("ago") - 3]) for line in lines[1:]}
    header = lines[0]
    assert starts == {header.index("UPDATED")}


@pytest.mark.parametrize(
    ("text", "width"),
    [
        pytest.param("plain", 5, id="ascii"),
        pytest.param("Café – menu…", 12, id="latin-and-punctuation"),
        pytest.param("Soft\u00adhyphen", 10, id="soft-hyphen"),
        pytest.param("Cafe\u0301…", 5, id="combining"),
        pytest.param("部署…", 5, id="wide"),
        pytest.param("a\u200bb", 2, id="zero-width-space"),
    ],
)
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


def test_a_long_wide_step_is_cut_to_the_column_width() -> None:
    assert display_width(clip("部署" * 40, 32)) <= 32
    assert clip("部署" * 40, 32).endswith("…")
    assert clip("short", 32) == "short"
