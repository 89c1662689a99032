"""Every commit the tool writes, whatever the action: a subject of at most 72 characters and
user text wrapped at 72 columns (a long word such as a URL left whole). That includes the
commits of the repository's own files (init, agents, board) and of the claims registry."""

from __future__ import annotations

import json

from tests.conftest import Repo

ID = "a" * 30 + "-" + "b" * 33  # 64 characters, the most an id may have
OTHER = "c" * 64
NAME = "A" * 90 + " " + "B" * 20
TEXT = ("Title word " * 18).strip()
URL = "https://example.com/" + "x" * 120
NOTE = "Words that should be wrapped at seventy-two columns. " * 4 + f"See {URL} now.\n\nMore."
DIR = "work/" + "d" * 80 + "/MILESTONES"


def ok(ran: object) -> None:
    assert getattr(ran, "exit_code") == 0, getattr(ran, "stderr")  # noqa: B009


def every_message(repo: Repo) -> dict[str, str]:
    """Each commit of every ref (branches and the claims registry) and its message."""
    out = repo.git("log", "--all", "-z", "--format=%H%n%B")
    messages = {}
    for record in out.split("\0"):
        if record.strip():
            commit, _, message = record.strip("\n").partition("\n")
            messages[commit] = message
    return messages


def test_every_action_keeps_to_72_columns(repo: Repo) -> None:
    repo.write(".gitmilestone.toml", f'dir = "{DIR}"\n')
    repo.git("add", ".gitmilestone.toml")
    repo.git("commit", "-q", "-m", "settings")
    env = {"GIT_MILESTONE_ACTOR": NAME}
    runs = [
        ("init", "--agents"),
        ("new", TEXT, "--id", ID, *[a for _ in range(4) for a in ("--step", TEXT)]),
        ("new", TEXT, "--id", OTHER, "--step", TEXT, "--step", "two"),
        ("claim", ID),
        ("release", ID),
        ("advance", ID, "--note", NOTE),
        ("advance", ID, "--note", NOTE),
        ("block", ID, "--reason", TEXT),
        ("unblock", ID),
        ("block", ID, "--reason", TEXT, "--step", "2"),
        ("unblock", ID),
        ("handoff", ID, "--next", TEXT, "--notes", NOTE),
        ("step", "add", ID, TEXT, "--after", "1"),
        ("step", "edit", ID, "3", "--description", TEXT + " x", "--notes", NOTE),
        ("step", "move", ID, "5", "--to", "4"),
        ("step", "remove", ID, "4"),
        ("edit", ID, "--title", TEXT + " y", "--why", NOTE, "--set", "x-k=1"),
        ("dep", "add", ID, OTHER),
        ("dep", "remove", ID, OTHER),
        ("undo", ID),
        ("claim", OTHER, "--as", "Other " + NAME),
        ("claim", OTHER, "--force"),
        ("complete", ID, "--force", "--notes", NOTE),
        ("complete", ID, "--notes", NOTE),
        ("reopen", ID),
        ("reopen", ID, "2"),
        ("abandon", OTHER, "--reason", NOTE),
        ("reopen", OTHER),
        ("board", "--update", "B" * 80 + ".md"),
    ]
    for args in runs:
        ok(repo.gm(*args, env=env))
    # agents: init --agents wrote AGENTS.md already; a CLAUDE.md gets the block too
    repo.write("CLAUDE.md", "# Notes\n")
    repo.git("add", "CLAUDE.md")
    repo.git("commit", "-q", "-m", "notes")
    ok(repo.gm("agents", env=env))
    # recover: a change staged with --no-commit, committed with the message it would have had
    ok(repo.gm("handoff", ID, "--notes", NOTE + " again", "--no-commit", env=env))
    ok(repo.gm("recover", ID, env=env))
    # fix: a stale progress
    path = f"{DIR}/{OTHER}.json"
    doc = json.loads(repo.read(path))
    doc["progress"] = 7
    repo.write(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    repo.git("commit", "-q", "-am", "a stale progress, by hand")
    ok(repo.gm("validate", "--fix", env=env))

    messages = every_message(repo)
    actions = set()
    for commit, message in messages.items():
        subject, *body = message.split("\n")
        assert len(subject) <= 72, (commit, subject)
        for line in body:
            if line.startswith("Milestone") and ": " in line:
                actions.add(line.split(": ", 1)[1]) if line.startswith("Milestone-Action") else None
                continue  # trailers are one line each, whatever their length
            assert len(line) <= 72 or " " not in line.strip(), (commit, line)
    assert URL in "".join(messages.values())  # the long word stays whole
    assert "claim(" in "".join(m.split("\n")[0] for m in messages.values())  # the registry's
    expected = {
        "init", "create", "claim", "release", "advance", "block", "unblock", "handoff",
        "step-add", "step-edit", "step-move", "step-remove", "edit", "dep-add", "dep-remove",
        "undo", "complete", "complete-notes", "reopen", "abandon", "board", "agents", "fix",
    }  # fmt: skip
    assert expected <= actions
