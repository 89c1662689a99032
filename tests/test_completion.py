"""Shell completion plugged into git's own: real bash with git's completion script, and
zsh and fish when they are installed."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from gitmilestone.completion import script
from tests.conftest import Repo

GIT_COMPLETION = Path("/usr/share/bash-completion/completions/git")

HARNESS = r"""
source {git_completion}
before=$(complete -p git)
source {ours}
[ "$(complete -p git)" = "$before" ] || echo "REPLACED git's completion"
complete_line () {{
	COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
	read -ra COMP_WORDS <<< "$COMP_LINE"
	[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
	COMPREPLY=()
	__git_wrap__git_main
	[ ${{#COMPREPLY[@]}} -eq 0 ] || printf '%s\n' "${{COMPREPLY[@]}}"
	echo "--"
}}
"""


@pytest.fixture
def board(repo: Repo) -> Repo:
    """Two milestones, held by alice and by "bob smith", in a moved milestone directory."""
    repo.write(".gitmilestone.toml", 'dir = "work/milestones"  # moved\n')
    repo.git("add", ".gitmilestone.toml")
    repo.git("commit", "-q", "-m", "settings")
    assert repo.gm("new", "Deploy dashboard", "--step", "a", "--claim").exit_code == 0
    assert repo.gm("new", "Docs", "--step", "a").exit_code == 0
    assert repo.gm("claim", "docs", "--as", "bob smith").exit_code == 0
    repo.git("config", "milestone.actor", "carol")
    return repo


def bash_complete(
    repo: Repo, tmp_path: Path, *lines: str, cwd: Path | None = None
) -> list[list[str]]:
    """COMPREPLY for each command line, completed by git's bash completion with ours
    loaded, with a `python3` and `git-milestone` on PATH that only leave a mark."""
    if not GIT_COMPLETION.is_file():
        pytest.skip(f"git's bash completion is not installed ({GIT_COMPLETION})")
    ours = tmp_path / "git-milestone.bash"
    ours.write_text(script("bash"), encoding="utf-8")
    spy = tmp_path / "spy"
    spy.mkdir(exist_ok=True)
    for name in ("python3", "python", "git-milestone"):
        (spy / name).write_text(f"#!/bin/sh\necho started >> {tmp_path}/python-started\n")
        (spy / name).chmod(0o755)
    program = HARNESS.format(git_completion=GIT_COMPLETION, ours=ours)
    program += "".join(f"complete_line {shlex.quote(line)}\n" for line in lines)
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        cwd=cwd or repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{spy}{os.pathsep}/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "REPLACED" not in proc.stdout
    assert not (tmp_path / "python-started").exists(), "a TAB started Python"
    groups, current = [], []
    for line in proc.stdout.splitlines():
        if line == "--":
            groups.append(current)
            current = []
        else:
            current.append(line)
    return groups


def test_bash_completes_commands_options_ids_and_actors(board: Repo, tmp_path: Path) -> None:
    replies = bash_complete(
        board,
        tmp_path,
        "git milestone adv",
        "git milestone advance --no",
        "git milestone show d",
        "git milestone advance ",
        "git milestone step add ",
        "git milestone step ",
        "git milestone advance docs --to c",
        "git milestone list --owner ",
        "git milestone claim docs --as b",
        "git milestone completion ",
    )
    assert replies[0] == ["advance "]
    assert replies[1] == ["--note ", "--no-commit "]
    assert replies[2] == ["deploy-dashboard ", "docs "]
    assert replies[3] == ["deploy-dashboard ", "docs "]
    assert replies[4] == ["deploy-dashboard ", "docs "]
    assert "add " in replies[5] and "deploy-dashboard " not in replies[5]
    assert replies[6] == ["completed "]
    assert replies[7] == ["Test\\ Author ", "alice ", "bob\\ smith ", "carol "]
    assert replies[8] == ["bob\\ smith "]
    assert replies[9] == ["bash ", "zsh ", "fish "]


def test_bash_completes_ids_of_the_repository_named_by_dash_c(board: Repo, tmp_path: Path) -> None:
    (outside := tmp_path / "elsewhere").mkdir()
    replies = bash_complete(board, tmp_path, f"git -C {board.path} milestone show ", cwd=outside)
    assert replies == [["deploy-dashboard ", "docs "]]


def test_bash_outside_a_repository_completes_no_ids(repo: Repo, tmp_path: Path) -> None:
    (outside := tmp_path / "plain").mkdir()
    assert bash_complete(repo, tmp_path, "git milestone show ", cwd=outside) == [[]]


def test_scripts_never_define_git_s_own_completion() -> None:
    bash = script("bash")
    assert "complete -F" not in bash and "_git ()" not in bash and "__git_main ()" not in bash
    assert "_GIT MILESTONE_COMPLETE" not in bash
    zsh = script("zsh")
    assert "_git-milestone () {" in zsh and "compdef" not in zsh
    assert "complete -c git " in script("fish") and "complete -e" not in script("fish")


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_through_git_s_own_completion(board: Repo, tmp_path: Path) -> None:
    ours = tmp_path / "git-milestone.zsh"
    ours.write_text(script("zsh"), encoding="utf-8")
    driver = tmp_path / "drive.zsh"
    driver.write_text(
        "zmodload zsh/zpty\n"
        "zpty z zsh -f -i\n"
        f"zpty -w z 'PS1=\"> \"; autoload -U compinit; compinit -u -D; source {ours}'\n"
        "sleep 1; zpty -r -t z junk\n"
        'for line in "$@"; do\n'
        "  zpty -w -n z \"$line\"$'\\t'; sleep 1; zpty -r -t z out\n"
        "  print -r -- \"=== ${out//$'\\r'/}\"\n"
        "  zpty -w -n z $'\\C-u'; sleep 0.2; zpty -r -t z junk\n"
        "done\n"
        "zpty -d z\n"
    )
    lines = [
        "git mile",
        "git milestone sho",
        "git milestone show de",
        "git milestone claim docs --as bob",
    ]
    proc = subprocess.run(
        ["zsh", "-f", str(driver), *lines], cwd=board.path, capture_output=True, text=True
    )
    out = proc.stdout
    assert "git milestone show deploy-dashboard" in out, out
    assert "git milestone claim docs --as bob\\ smith" in out, out


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_through_git_s_own_completion(board: Repo, tmp_path: Path) -> None:
    ours = tmp_path / "git-milestone.fish"
    ours.write_text(script("fish"), encoding="utf-8")
    lines = [
        "git milesto",
        "git milestone sho",
        "git milestone show ",
        "git milestone claim docs --as ",
    ]
    program = f"source {ours}\n" + "".join(
        f"complete -C {shlex.quote(line)}; echo ==\n" for line in lines
    )
    proc = subprocess.run(["fish", "-c", program], cwd=board.path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    groups = [g.strip().splitlines() for g in proc.stdout.split("==\n")]
    assert groups[0][0].split("\t")[0] == "milestone"
    assert [x.split("\t")[0] for x in groups[1]] == ["show"]
    assert [x.split("\t")[0] for x in groups[2]] == ["deploy-dashboard", "docs"]
    assert "bob smith" in [x.split("\t")[0] for x in groups[3]]


def test_completion_command_prints_the_script(repo: Repo) -> None:
    ran = repo.gm("completion", "bash")
    assert ran.exit_code == 0
    assert ran.stdout == script("bash")
    assert "_git_milestone ()" in ran.stdout
    ran = repo.gm("completion", "tcsh")
    assert ran.exit_code == 2
