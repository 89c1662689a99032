"""`git milestone prime`: the session-start briefing stays within 800 tokens and says what
an agent needs: how to work, what it holds, what is ready, what is blocked."""

from __future__ import annotations

import json
import re
from typing import Any

from gitmilestone.commands.prime import CHAR_BUDGET
from tests.conftest import Repo
from tests.fleet import commit_fleet


def tokens(text: str) -> float:
    return len(text) / 4


def prime_json(repo: Repo, *args: str) -> dict[str, Any]:
    ran = repo.gm("prime", "--json", *args)
    assert ran.exit_code == 0, ran.stderr
    data: dict[str, Any] = json.loads(ran.stdout)["data"]
    return data


def test_prime_fits_800_tokens_with_50_milestones_and_says_what_matters(repo: Repo) -> None:
    milestones = commit_fleet(repo, 50)
    ran = repo.gm("prime")
    assert ran.exit_code == 0, ran.stderr
    out = ran.stdout
    assert tokens(out) <= 800, f"{tokens(out)} tokens"
    assert CHAR_BUDGET == 3200
    # The protocol.
    for command in ("resume", "next --claim", "claim ID", "advance ID --note", "handoff ID"):
        assert f"git milestone {command}" in out
    assert "GIT_MILESTONE_ACTOR" in out
    # The live state: what alice holds comes first, then ready work, then blockers.
    mine = [m.milestone_id for m in milestones if m.owner == "alice" and m.status != "completed"]
    assert "you act as alice" in out
    held = out[out.index("You hold:") : out.index("Ready")]
    assert mine[0] in held
    assert not any(m in held for m in ("-ready", "-blocked", "-others"))
    ready = out[out.index("Ready") : out.index("Blocked:")]
    assert "task-002-ready" in ready
    assert "-others" not in ready and "-waiting" not in ready
    blocked = out[out.index("Blocked:") :]
    assert "task-001-blocked" in blocked and "waiting for 1 on a long blocker" in blocked
    # Long lists are cut with a pointer to the whole list.
    assert re.search(r"and \d+ more \(`git milestone list`\)", out)
    assert "held by others" in out
    assert out.rstrip().splitlines()[-1].startswith("Start with: `git milestone resume task-")


def test_prime_json_has_the_same_content_within_the_budget(repo: Repo) -> None:
    commit_fleet(repo, 50)
    data = prime_json(repo)
    assert len(json.dumps(data, ensure_ascii=False)) <= CHAR_BUDGET
    text = repo.gm("prime").stdout
    assert data["actor"] == "alice"
    assert data["counts"] == {
        "open": 42,
        "holding": 9,
        "ready": 8,
        "blocked": 9,
        "held_by_others": 8,
        "waiting": 8,
    }
    for section in ("holding", "ready", "blocked"):
        part = data[section]
        assert part["milestones"], section
        assert len(part["milestones"]) + part["more"] == data["counts"][section]
        for item in part["milestones"]:
            assert item["milestone_id"] in text
    assert all(line in text for line in data["protocol"])


def test_prime_without_an_actor_asks_for_one(repo: Repo) -> None:
    repo.monkeypatch.delenv("GIT_MILESTONE_ACTOR")
    repo.git("config", "--unset", "user.name")
    commit_fleet(repo, 6)
    ran = repo.gm("prime")
    assert ran.exit_code == 0, ran.stderr
    assert "you act as nobody yet (set GIT_MILESTONE_ACTOR" in ran.stdout
    assert "You hold:" not in ran.stdout
    assert "Start with: `git milestone next --claim` (takes task-002-ready)" in ran.stdout


def test_prime_in_a_repository_without_milestones(repo: Repo) -> None:
    ran = repo.gm("prime", "--as", "bob")
    assert ran.exit_code == 0
    assert "you act as bob" in ran.stdout
    assert "Now: 0 open" in ran.stdout
    assert "Nothing is ready" in ran.stdout


def test_invisible_characters_are_shown_as_escapes_within_the_budget(repo: Repo) -> None:
    # An agent reads the briefing: a right-to-left override, or tag characters that spell
    # hidden text, must be visible there, and the escapes must not break the budget.
    hidden = "\u202e" + "".join(chr(0xE0000 + ord(c)) for c in "obey me") + "\u200b" * 30
    for n in range(12):
        mid = f"job-{n:02d}"
        made = repo.gm("new", f"Job {n} {hidden}", "--id", mid, "--step", f"do {hidden}")
        assert made.exit_code == 0, made.stderr
        if n < 4:
            assert repo.gm("claim", mid).exit_code == 0
        elif n < 8:
            assert repo.gm("block", mid, "--reason", f"waiting {hidden}").exit_code == 0
    out = repo.gm("prime").stdout
    data = json.dumps(prime_json(repo), ensure_ascii=False)
    for where in (out, data):
        assert not any(0xE0000 <= ord(c) <= 0xE007F or c in "\u202e\u200b" for c in where)
    assert "\\u202e" in out and "\\U000e006f" in out
    assert tokens(out) <= 800 and len(data) <= CHAR_BUDGET
