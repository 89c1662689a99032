"""Bad inputs, by the hundred: arguments, files, settings, environment and repository
states. Each must end with its documented exit code and a message that names what is
wrong and where, never a traceback, and leave HEAD, the index, the working tree and every
file exactly as they were.

Every case runs in a copy of one prepared repository, in-process (click's CliRunner).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import T0, Repo, make_repo

Setup = Callable[[Repo], None]
WORK = "MILESTONES/work.json"
_TEMPLATE: dict[str, Path] = {}


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    says: tuple[str, ...]
    setup: Setup | None = None
    env: dict[str, str | None] = field(default_factory=dict)


def template(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One prepared repository per test process: work (started by alice), held (bob's
    active claim), done (completed), stuck (blocked)."""
    if "path" not in _TEMPLATE:
        repo = make_repo(tmp_path_factory.mktemp("template") / "repo", monkeypatch)
        for args in (
            ("new", "Work", "--id", "work", "--step", "a", "--step", "b", "--step", "c"),
            ("advance", "work"),
            ("new", "Held", "--id", "held", "--step", "a", "--step", "b", "--as", "bob"),
            ("advance", "held", "--as", "bob"),
            ("new", "Done", "--id", "done", "--step", "a"),
            ("advance", "done"),
            ("advance", "done"),
            ("new", "Stuck", "--id", "stuck", "--step", "a"),
            ("block", "stuck", "--reason", "waiting"),
        ):
            ran = repo.gm(*args)
            assert ran.exit_code == 0, (args, ran.stderr)
        _TEMPLATE["path"] = repo.path
    return _TEMPLATE["path"]


@pytest.fixture
def arena(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Repo:
    monkeypatch.setenv("GIT_MILESTONE_ACTOR", "alice")
    monkeypatch.setenv("GIT_MILESTONE_NOW", T0)
    monkeypatch.setenv("GIT_MILESTONE_INDEX_LOCK_WAIT", "0")
    source = template(tmp_path_factory, monkeypatch)
    shutil.copytree(source, tmp_path / "repo", symlinks=True)
    return Repo(tmp_path / "repo", monkeypatch)


def snapshot(repo: Repo) -> tuple[str, str, str, dict[str, bytes]]:
    files = {}
    for path in sorted(repo.path.rglob("*")):
        rel = path.relative_to(repo.path)
        if rel.parts[0] == ".git" or path.is_dir():
            continue
        files[str(rel)] = path.read_bytes() if not path.is_symlink() else b"-> link"
    status = repo.git("status", "--porcelain=v2", "--branch", "--untracked-files=all", check=False)
    return status, repo.git("ls-files", "-s"), repo.git("rev-parse", "HEAD"), files


# setups ------------------------------------------------------------------------------------------


def commit_bytes(rel: str, data: bytes) -> Setup:
    """A file committed by hand, past any hook (the damage is already in history)."""

    def setup(repo: Repo) -> None:
        repo.write(rel, data)
        repo.git("add", "-A", "--", rel)
        repo.git("-c", "core.hooksPath=/dev/null", "commit", "-qm", "hand edit")

    return setup


def edit(change: Callable[[dict[str, Any]], Any], rel: str = WORK) -> Setup:
    def setup(repo: Repo) -> None:
        data = json.loads(repo.read(rel))
        change(data)
        commit_bytes(rel, json.dumps(data, indent=2).encode())(repo)

    return setup


def settings(text: bytes) -> Setup:
    return commit_bytes(".gitmilestone.toml", text)


def git_state(operation: str) -> Setup:
    def setup(repo: Repo) -> None:
        if operation == "bisect":
            repo.git("bisect", "start")
            return
        repo.git("checkout", "-qb", "side")
        repo.write("README.md", "side\n")
        repo.git("commit", "-qam", "side")
        repo.git("checkout", "-q", "main")
        repo.write("README.md", "main\n")
        repo.git("commit", "-qam", "main")
        command = {
            "merge": ["merge", "side"],
            "rebase": ["rebase", "side"],
            "rebase-apply": ["rebase", "--apply", "side"],
            "cherry-pick": ["cherry-pick", "side"],
            "revert": ["revert", "--no-edit", "HEAD~1"],
        }[operation]
        if operation == "revert":
            repo.write("README.md", "again\n")
            repo.git("commit", "-qam", "again")
        subprocess.run(["git", *command], cwd=repo.path, capture_output=True)

    return setup


def touch(rel: str, data: bytes = b"") -> Setup:
    def setup(repo: Repo) -> None:
        target = repo.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    return setup


def hand_edit(stage: bool) -> Setup:
    def setup(repo: Repo) -> None:
        repo.write(WORK, repo.read(WORK).replace('"a"', '"a, edited"'))
        if stage:
            repo.git("add", WORK)

    return setup


def interrupted(repo: Repo) -> None:
    """What a killed write leaves: its journal entry and its file, not committed."""
    ran = repo.gm("handoff", "work", "--notes", "left", "--no-commit")
    assert ran.exit_code == 0
    repo.git("reset", "-q", "--", WORK)


def delete_file(repo: Repo) -> None:
    (repo.path / WORK).unlink()


def link_outside(repo: Repo) -> None:
    (repo.path / WORK).unlink()
    (repo.path / WORK).symlink_to("/etc/hostname")
    repo.git("add", WORK)
    repo.git("-c", "core.hooksPath=/dev/null", "commit", "-qm", "link")


def directory(repo: Repo) -> None:
    repo.git("rm", "-q", WORK)
    (repo.path / WORK).mkdir()
    (repo.path / WORK / "x").write_text("x")
    repo.git("add", WORK)
    repo.git("-c", "core.hooksPath=/dev/null", "commit", "-qm", "dir")


# the cases ---------------------------------------------------------------------------------------

CASES: dict[str, Case] = {}


def add(name: str, case: Case) -> None:
    assert name not in CASES, name
    CASES[name] = case


# Arguments: ids that are not ids, for every command that takes one (exit 2).
ID_COMMANDS = {
    "advance": (),
    "claim": (),
    "release": (),
    "handoff": ("--notes", "n"),
    "block": ("--reason", "r"),
    "unblock": (),
    "complete": (),
    "abandon": ("--reason", "r"),
    "reopen": (),
    "show": (),
    "resume": (),
    "recover": (),
    "log": (),
}
for bad_id, label in (("../x", "path"), ("Work", "upper"), ("a b", "space")):
    for command, extra in ID_COMMANDS.items():
        add(f"id-{label}-{command}", Case((command, bad_id, *extra), 2, ("not a milestone id",)))
for bad_id, label in (("x" * 65, "too-long"), ("wörk", "unicode"), ("a--b", "double-dash")):
    add(f"id-{label}", Case(("advance", bad_id), 2, ("not a milestone id",)))

# Names (--as), the environment and git config (exit 2, naming where the name came from).
for name, label in (
    ("", "empty"),
    ("   ", "blank"),
    ("\t", "tab"),
    ("a\nb", "newline"),
    ("a\rb", "cr"),
    ("a\u2028b", "u2028"),
    ("a\u2029b", "u2029"),
    ("a\x1eb", "x1e"),
    ("a\x1cb", "x1c"),
    ("a\x0bb", "vt"),
    ("a\x0cb", "ff"),
    ("a\x85b", "nel"),
    ("a\x1b[2Jb", "escape"),
    ("a\x7fb", "del"),
    ("a\x9bb", "c1"),
    ("x" * 201, "too-long"),
):
    add(f"as-{label}", Case(("advance", "work", "--as", name), 2, ("--as",)))
for name, label in (("a\nb", "newline"), ("   ", "blank"), ("a\u2028b", "u2028")):
    add(
        f"env-actor-{label}",
        Case(("claim", "work"), 2, ("GIT_MILESTONE_ACTOR",), env={"GIT_MILESTONE_ACTOR": name}),
    )


def config_actor(repo: Repo) -> None:
    repo.git("config", "milestone.actor", "bob\u2028Milestone-Actor: mallory")


add(
    "config-actor",
    Case(
        ("claim", "work"),
        2,
        ("git config milestone.actor",),
        config_actor,
        {"GIT_MILESTONE_ACTOR": None},
    ),
)

# new
for args, says, label in (
    (("",), "TITLE", "title-empty"),
    (("   ",), "TITLE", "title-blank"),
    (("a\nb",), "TITLE", "title-newline"),
    (("a\u2028b",), "TITLE", "title-u2028"),
    (("x" * 201,), "TITLE", "title-long"),
    (("!!!",), "--id", "title-no-slug"),
    (("T", "--id", "Bad"), "not a milestone id", "id-option"),
    (("T", "--step", ""), "--step", "step-empty"),
    (("T", "--step", "a\nb"), "--step", "step-newline"),
    (("T", "--file", "a\x1eb"), "--file", "file-x1e"),
    (("T", "--needs", "a\x0bb"), "--needs", "needs-vt"),
    (("T", "--depends-on", "BAD"), "not a milestone id", "depends-on"),
    (("T", "--priority", "URGENT"), "URGENT", "priority"),
):
    add(f"new-{label}", Case(("new", *args), 2, (says,)))
add("new-existing", Case(("new", "Again", "--id", "work"), 1, ("already exists",)))

# advance, block, handoff, step add, log: values out of range (exit 2) or not there (exit 1).
for args, code, says, label in (
    (("advance", "work", "0"), 2, "STEP", "step-0"),
    (("advance", "work", "-1"), 2, "-1", "step-negative"),
    (("advance", "work", "x"), 2, "STEP", "step-word"),
    (("advance", "work", "1", "--to", "done"), 2, "--to", "to-choice"),
    (("advance", "work", "--to", "completed"), 2, "--to needs a STEP", "to-without-step"),
    (("advance", "work", "99"), 1, "no step 99", "step-missing"),
    (("block", "work", "--reason", ""), 2, "--reason", "reason-empty"),
    (("block", "work", "--reason", "  "), 2, "--reason", "reason-blank"),
    (("block", "work", "--reason", "a\nb"), 2, "--reason", "reason-newline"),
    (("block", "work", "--reason", "r", "--step", "0"), 2, "--step", "block-step-0"),
    (("block", "work", "--reason", "r", "--step", "9"), 1, "no step 9", "block-step-missing"),
    (("handoff", "work"), 2, "--next", "handoff-nothing"),
    (("handoff", "work", "--next", "a\u2029b"), 2, "--next", "next-u2029"),
    (("step", "add", "work", ""), 2, "description", "step-add-empty"),
    (("step", "add", "work", "a\x85b"), 2, "TEXT", "step-add-nel"),
    (("step", "add", "work", "x", "--after", "-1"), 2, "--after", "after-negative"),
    (("step", "add", "work", "x", "--after", "99"), 1, "--after 99", "after-missing"),
    (("advance", "work", "--push", "--no-commit"), 2, "--push", "push-no-commit"),
    (("log", "-n", "-1"), 2, "-n", "log-negative"),
    (("advance", "work", "--foo"), 2, "--foo", "unknown-option"),
    (("frobnicate",), 2, "frobnicate", "unknown-command"),
    (("complete", "work"), 1, "unfinished steps", "complete-unfinished"),
    (("abandon", "work", "--reason", " "), 2, "--reason", "abandon-blank"),
    (("reopen", "work"), 1, "only completed or abandoned", "reopen-open"),
    (("reopen", "work", "2"), 1, "not done", "reopen-step-not-done"),
):
    add(f"args-{label}", Case(args, code, (says,)))

# The clock (exit 2, naming GIT_MILESTONE_NOW).
for now, label in (
    ("yesterday", "words"),
    ("2025-13-01T00:00:00Z", "month-13"),
    ("0000-01-01T00:00:00Z", "year-0"),
    ("9999-12-31T23:59:59-01:00", "past-the-end"),
    ("2025-11-15", "date-only"),
):
    add(
        f"now-{label}",
        Case(("claim", "work"), 2, ("GIT_MILESTONE_NOW",), env={"GIT_MILESTONE_NOW": now}),
    )
add(
    "not-a-repository",
    Case(("list",), 1, ("not inside a git working tree",), env={"GIT_DIR": "/nonexistent"}),
)

# Files with problems, committed past the hooks: every write refuses and names the file and
# the problem (exit 1).
SEED_LIKE = b'{"milestone_id": "work"'
MISNUMBERED = edit(lambda d: [d["steps"][0].update(step=2), d["steps"][1].update(step=1)])
FILES: list[tuple[str, Setup, str]] = [
    ("syntax", commit_bytes(WORK, b"{"), "M001"),
    ("empty", commit_bytes(WORK, b""), "M001"),
    ("bom", commit_bytes(WORK, b"\xef\xbb\xbf{}"), "M001"),
    ("not-utf8", commit_bytes(WORK, b'{"title": "\xff"}'), "M001"),
    ("duplicate-key", commit_bytes(WORK, b'{"a": 1, "a": 2}'), "M001"),
    ("nan", commit_bytes(WORK, b'{"progress": NaN}'), "M001"),
    ("deep", commit_bytes(WORK, b"[" * 50_000 + b"]" * 50_000), "M001"),
    ("over-1-mib", commit_bytes(WORK, b'{"x": "' + b"a" * (1024 * 1024) + b'"}'), "1 MiB"),
    ("surrogate", commit_bytes(WORK, b'{"title": "\\udc00"}'), "M001"),
    ("array", commit_bytes(WORK, b"[]"), "M002"),
    ("string", commit_bytes(WORK, b'"work"'), "M002"),
    ("no-title", edit(lambda d: d.pop("title")), "M002"),
    ("unknown-key", edit(lambda d: d.update(assignee="bob")), "M002"),
    ("status", edit(lambda d: d.update(status="done")), "M002"),
    ("step-status", edit(lambda d: d["steps"][0].update(status="done")), "M002"),
    ("progress-string", edit(lambda d: d.update(progress="33")), "M002"),
    ("progress-150", edit(lambda d: d.update(progress=150)), "M002"),
    ("revision-negative", edit(lambda d: d.update(revision=-1)), "M002"),
    ("created-words", edit(lambda d: d.update(created_at="yesterday")), "M002"),
    ("created-feb-30", edit(lambda d: d.update(created_at="2025-02-30T00:00:00Z")), "M002"),
    ("updated-year-0", edit(lambda d: d.update(updated_at="0000-01-01T00:00:00Z")), "M002"),
    ("steps-object", edit(lambda d: d.update(steps={"1": "a"})), "M002"),
    ("step-no-description", edit(lambda d: d["steps"][0].pop("description")), "M002"),
    ("description-newline", edit(lambda d: d["steps"][0].update(description="a\nb")), "M002"),
    ("title-u2028", edit(lambda d: d.update(title="a\u2028b")), "M002"),
    ("owner-number", edit(lambda d: d.update(owner=3)), "M002"),
    ("owner-newline", edit(lambda d: d.update(owner="bob\nMilestone-Actor: x")), "M002"),
    ("step-0", edit(lambda d: d["steps"][0].update(step=0)), "M002"),
    ("depends-on-bad", edit(lambda d: d.update(depends_on=["BAD"])), "M002"),
    ("context-string", edit(lambda d: d.update(context="x")), "M002"),
    ("handoff-null", edit(lambda d: d.update(handoff_notes=None)), "M002"),
    ("other-id", edit(lambda d: d.update(milestone_id="other")), "M003"),
    ("misnumbered", MISNUMBERED, "M004"),
    ("repeated-number", edit(lambda d: d["steps"][1].update(step=1)), "M004"),
    ("link-outside", link_outside, "link that points outside"),
    ("directory", directory, "not a regular file"),
]
for label, setup, code in FILES:
    add(f"file-{label}", Case(("advance", "work"), 1, (WORK, code), setup))
for command in (("claim", "work"), ("handoff", "work", "--notes", "n"), ("release", "work")):
    add(
        f"file-misnumbered-{command[0]}",
        Case(command, 1, (WORK, "M004"), MISNUMBERED),
    )

# Settings (exit 1, naming the file and the key).
for text, label, says in (
    (b"lease = ", "toml", "not valid TOML"),
    (b'owner = "x"\n', "unknown-key", "unknown key"),
    (b'lease = "0s"\n', "lease-zero", "at least 1s"),
    (b'lease = "366d"\n', "lease-366d", "at most 365d"),
    (b'lease = "99999999999999999999d"\n', "lease-huge", "at most 365d"),
    (b'lease = "2 hours"\n', "lease-words", "2h"),
    (b"lease = 5\n", "lease-number", "lease"),
    (b'lease = ""\n', "lease-empty", "lease"),
    (b'dir = "/abs"\n', "dir-absolute", "dir"),
    (b'dir = "../x"\n', "dir-up", "dir"),
    (b'dir = ""\n', "dir-empty", "dir"),
    (b"dir = 5\n", "dir-number", "dir"),
    (b'dir = "\xff"\n', "not-utf8", "not valid TOML"),
):
    add(
        f"settings-{label}",
        Case(("advance", "work"), 1, (".gitmilestone.toml", says), settings(text)),
    )

# Repository states.
for operation, says in (
    ("merge", "a merge"),
    ("rebase", "a rebase"),
    ("rebase-apply", "a rebase"),
    ("cherry-pick", "a cherry-pick"),
    ("revert", "a revert"),
    ("bisect", "a bisect"),
):
    for command in (("advance", "work"), ("claim", "held", "--force")):
        add(
            f"state-{operation}-{command[0]}",
            Case(command, 1, (says, "in progress"), git_state(operation)),
        )
for lock in (".git/index.lock", ".git/HEAD.lock", ".git/refs/heads/main.lock"):
    add(
        f"state-lock-{Path(lock).name}",
        Case(("advance", "work"), 4, (Path(lock).name, "Only if no git process"), touch(lock)),
    )
for command in (("advance", "work"), ("claim", "work"), ("block", "work", "--reason", "r")):
    add(
        f"state-dirty-{command[0]}", Case(command, 4, (WORK, "differs from HEAD"), hand_edit(False))
    )
    add(f"state-staged-{command[0]}", Case(command, 4, (WORK, "staged"), hand_edit(True)))
add(
    "state-untracked",
    Case(
        ("advance", "extra"),
        4,
        ("MILESTONES/extra.json", "not in git yet"),
        touch("MILESTONES/extra.json", b'{"milestone_id": "extra"}'),
    ),
)
add("state-deleted", Case(("advance", "work"), 4, (WORK, "deleted"), delete_file))
add(
    "state-interrupted",
    Case(("advance", "work"), 4, (WORK, "git milestone recover work"), interrupted),
)
add(
    "state-too-big",
    Case(
        ("handoff", "work", *[a for _ in range(11) for a in ("--next", "x" * 100 * 1024)]),
        1,
        (WORK, "1 MiB", "nothing was written"),
    ),
)
for command in (
    ("advance", "held"),
    ("claim", "held"),
    ("release", "held"),
    ("handoff", "held", "--notes", "n"),
    ("block", "held", "--reason", "r"),
    ("complete", "held", "--force"),
    ("abandon", "held", "--reason", "r"),
    ("step", "add", "held", "x"),
    ("advance", "held", "2", "--to", "skipped"),
):
    add(f"held-{'-'.join(command[:1] + command[2:3])}", Case(command, 3, ("bob holds held",)))
for command, says in (
    (("advance", "done"), "done is completed"),
    (("claim", "done"), "done is completed"),
    (("block", "done", "--reason", "r"), "done is completed"),
    (("advance", "stuck"), "stuck is blocked"),
    (("advance", "ghost"), "no milestone 'ghost'"),
    (("claim", "ghost"), "no milestone 'ghost'"),
    (("show", "ghost"), "no milestone 'ghost'"),
    (("resume", "ghost"), "no milestone 'ghost'"),
):
    add(f"refused-{command[0]}-{command[1]}", Case(command, 1, (says,)))


def test_there_are_at_least_150_bad_inputs() -> None:
    assert len(CASES) >= 150, len(CASES)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_input_is_refused_cleanly(arena: Repo, case: Case) -> None:
    if case.setup is not None:
        case.setup(arena)
    before = snapshot(arena)
    ran = arena.gm(*case.args, env=case.env)  # type: ignore[arg-type]
    out = ran.stdout + ran.stderr
    assert ran.exit_code == case.code, out
    assert "Traceback" not in out
    for words in case.says:
        assert words in out, (words, out)
    assert snapshot(arena) == before
    # The same refusal as one JSON document.
    if case.args[0] not in ("frobnicate",):
        ran = arena.gm(*case.args, "--json", env=case.env)  # type: ignore[arg-type]
        assert ran.exit_code == case.code
        error = json.loads(ran.stdout)["error"]
        assert error["code"] and error["message"]
        assert snapshot(arena) == before
