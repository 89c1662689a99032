"""`init --agents` and `agents`: the working protocol in a marked block of AGENTS.md (and
CLAUDE.md), written idempotently, never touching the user's own text."""

from __future__ import annotations

import json
import os

import pytest

from gitmilestone.commands.agents import END, START
from tests.conftest import Repo

BEFORE = "# Notes for agents\n\nRun `make test` before pushing.\n"
AFTER = "\n## House rules\n\nNo force pushes.  "  # no trailing newline, on purpose


def block_of(text: str) -> str:
    return text[text.index(START) : text.index(END) + len(END)]


def test_init_agents_twice_is_one_run_and_keeps_the_users_text(repo: Repo) -> None:
    repo.write("AGENTS.md", BEFORE)
    ran = repo.gm("init", "--agents")
    assert ran.exit_code == 0, ran.stderr
    once = repo.file("AGENTS.md").read_bytes()
    text = once.decode()
    assert text.startswith(BEFORE + "\n" + START + "\n")
    assert text.endswith(END + "\n")
    assert "git milestone prime" in text and "git milestone handoff ID" in text
    # init made one commit of everything, AGENTS.md included.
    assert repo.trailers()["Milestone-Action"] == ["init"]
    assert "AGENTS.md" in repo.files_in()
    head = repo.head()

    ran = repo.gm("init", "--agents")
    assert ran.exit_code == 0, ran.stderr
    assert repo.file("AGENTS.md").read_bytes() == once
    assert repo.head() == head
    ran = repo.gm("agents")
    assert ran.exit_code == 0
    assert "up to date" in ran.stdout
    assert repo.file("AGENTS.md").read_bytes() == once
    assert repo.head() == head


def test_agents_replaces_only_the_block_and_commits_it_alone(repo: Repo) -> None:
    stale = f"{START}\nold instructions\n{END}"
    repo.write("AGENTS.md", BEFORE + stale + AFTER)
    repo.write("CLAUDE.md", f"Claude: read AGENTS.md.\n{stale}")
    repo.git("add", "AGENTS.md", "CLAUDE.md")
    repo.git("commit", "-q", "-m", "instructions")
    repo.write("unrelated.txt", "staged, not ours\n")
    repo.git("add", "unrelated.txt")

    ran = repo.gm("agents", "--json")
    assert ran.exit_code == 0, ran.stderr
    data = json.loads(ran.stdout)["data"]
    assert data["files"] == data["changed"] == ["AGENTS.md", "CLAUDE.md"]
    agents, claude = repo.read("AGENTS.md"), repo.read("CLAUDE.md")
    assert agents.startswith(BEFORE) and agents.endswith(AFTER)
    assert claude.startswith("Claude: read AGENTS.md.\n") and claude.endswith(END)
    assert "old instructions" not in agents + claude
    assert block_of(agents) == block_of(claude)
    assert data["commit"] == repo.head()
    assert sorted(repo.files_in()) == ["AGENTS.md", "CLAUDE.md"]
    assert repo.trailers() == {"Milestone-Action": ["agents"], "Milestone-Actor": ["alice"]}
    assert repo.git("diff", "--cached", "--name-only").split() == ["unrelated.txt"]

    again = repo.gm("agents", "--json")
    assert json.loads(again.stdout)["data"]["changed"] == []
    assert repo.read("AGENTS.md") == agents and repo.read("CLAUDE.md") == claude


def test_agents_creates_agents_md_and_follows_a_claude_md_link(repo: Repo) -> None:
    os.symlink("AGENTS.md", repo.file("CLAUDE.md"))
    ran = repo.gm("agents")
    assert ran.exit_code == 0, ran.stderr
    assert repo.file("CLAUDE.md").is_symlink()
    assert repo.read("AGENTS.md").startswith(START + "\n")
    assert repo.files_in() == ["AGENTS.md"]
    assert repo.git("status", "--porcelain") == "?? CLAUDE.md\n"


def test_a_crlf_file_gets_a_crlf_block(repo: Repo) -> None:
    repo.write("AGENTS.md", b"line one\r\nline two\r\n")
    assert repo.gm("agents").exit_code == 0
    data = repo.file("AGENTS.md").read_bytes()
    assert data.startswith(b"line one\r\nline two\r\n\r\n" + START.encode() + b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert repo.gm("agents").exit_code == 0
    assert repo.file("AGENTS.md").read_bytes() == data


@pytest.mark.parametrize(
    "broken",
    [f"{START}\nno end\n", f"{END}\n{START}\n", f"{START}\n{END}\n{START}\n{END}\n"],
    ids=["no-end", "reversed", "twice"],
)
def test_broken_markers_are_refused_and_nothing_changes(repo: Repo, broken: str) -> None:
    repo.write("AGENTS.md", broken)
    head = repo.head()
    for args in (("agents",), ("init", "--agents")):
        ran = repo.gm(*args)
        assert ran.exit_code == 1
        assert "AGENTS.md: expected one <!-- gitmilestone:start --> line" in ran.stderr
        assert repo.read("AGENTS.md") == broken
        assert repo.head() == head
    assert not repo.file("MILESTONES").exists()


def test_a_refused_commit_puts_everything_back(repo: Repo) -> None:
    repo.write("AGENTS.md", BEFORE)
    hook = repo.file(".git/hooks/pre-commit")
    hook.write_text("#!/bin/sh\necho 'no commits today' >&2\nexit 1\n")
    hook.chmod(0o755)
    ran = repo.gm("agents")
    assert ran.exit_code == 1
    assert "no commits today" in ran.stderr
    assert repo.read("AGENTS.md") == BEFORE
    assert repo.git("status", "--porcelain") == "?? AGENTS.md\n"


def test_no_commit_stages_the_files(repo: Repo) -> None:
    head = repo.head()
    ran = repo.gm("agents", "--no-commit")
    assert ran.exit_code == 0
    assert "staged, not committed" in ran.stdout
    assert repo.head() == head
    assert repo.git("diff", "--cached", "--name-only").split() == ["AGENTS.md"]
