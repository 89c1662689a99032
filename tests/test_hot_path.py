"""The hot path stays lean: what `advance`, `claim` and the guard import, and how many git
processes each command starts (counted from git's own trace, as upper bounds, so that a
change that adds one shows here; these are counts, not timings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmilestone import quick
from gitmilestone.cli import load_command
from tests.conftest import Repo

HEAVY = ("git", "jsonschema")  # GitPython, and the validator only `validate` wording needs

IMPORTS = """
import os, sys
from gitmilestone.cli import cli
try:
    cli(sys.argv[1:], prog_name="git milestone")
except SystemExit as exit:
    code = exit.code
with open(os.environ["MODULES_OUT"], "w") as out:
    out.write(f"{code}\\n" + "\\n".join(sorted(sys.modules)))
"""


# As the installed `git-milestone` (and `python -m gitmilestone`) starts. The modules are
# written by an exit function, which the program must still run when it ends itself early.
ENTRY_IMPORTS = """
import atexit, os, sys
def written():
    with open(os.environ["MODULES_OUT"], "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
atexit.register(written)
from gitmilestone.quick import main
main()
"""


def imported(repo: Repo, tmp_path: Path, *args: str, script: str = IMPORTS) -> tuple[int, set[str]]:
    out = tmp_path / "modules.txt"
    out.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "MODULES_OUT": str(out)},
    )
    assert out.exists(), proc.stderr
    if script == ENTRY_IMPORTS:
        return proc.returncode, set(out.read_text().splitlines())
    code, *modules = out.read_text().splitlines()
    return int(code), set(modules)


def git_processes(repo: Repo, tmp_path: Path, *args: str) -> list[list[str]]:
    """The git processes a real `git milestone ARGS` run starts (hooks and children too)."""
    trace = tmp_path / "trace.json"
    trace.unlink(missing_ok=True)
    ran = repo.gm_proc(*args, env={"GIT_TRACE2_EVENT": str(trace)})
    assert ran.exit_code == 0, ran.stderr
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    return [e["argv"] for e in events if e["event"] == "start"]


@pytest.fixture
def work(repo: Repo) -> Repo:
    for mid in ("alpha", "bravo"):
        ran = repo.gm("new", f"Work {mid}", "--id", mid, "--step", "a", "--step", "b")
        assert ran.exit_code == 0, ran.stderr
    return repo


def test_advance_claim_and_the_guard_import_neither_gitpython_nor_jsonschema(
    work: Repo, tmp_path: Path
) -> None:
    for args in (("claim", "alpha"), ("advance", "alpha"), ("advance", "bravo", "--no-commit")):
        code, modules = imported(work, tmp_path, *args)
        assert code == 0, args
        assert not [m for m in modules if m.split(".")[0] in HEAVY], args
    # The guard, on the valid change `advance --no-commit` staged.
    code, modules = imported(work, tmp_path, "validate", "--staged")
    assert code == 0
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    # The check is real: a command that needs jsonschema (wording a schema error) shows it.
    work.write("MILESTONES/broken.json", '{"milestone_id": 3}\n')
    code, modules = imported(work, tmp_path, "validate", "MILESTONES/broken.json")
    assert code == 1
    assert "jsonschema" in modules


def test_git_processes_per_command(work: Repo, tmp_path: Path) -> None:
    bounds = {
        # discover (`rev-parse`); one `cat-file --batch`: the file in HEAD and the index
        # (both must be HEAD's version: a write never commits a change it did not make) and
        # HEAD's trees along its path; with no commit hook installed, the commit by
        # plumbing: `config` (hooks in config, signing), `commit-tree`, `update-ref`,
        # `update-index` of the one entry (short processes: none reads the whole index but
        # the last, none refreshes it, as `commit --only` does)
        ("claim", "alpha"): 6,
        ("advance", "alpha"): 6,
        ("handoff", "alpha", "--notes", "n"): 6,
        # discover; the claims registry's refs
        ("list",): 2,
        ("next",): 2,
        # the same, and one `git log` limited to the file
        ("resume", "alpha"): 3,
    }
    for args, bound in bounds.items():
        started = git_processes(work, tmp_path, *args)
        assert len(started) <= bound, (args, started)


def test_an_existing_file_git_does_not_know_yet_is_refused_before_any_commit(
    work: Repo, tmp_path: Path
) -> None:
    # Committing it under a claim's trailers would record a milestone no `create` made.
    text = work.read("MILESTONES/alpha.json").replace('"alpha"', '"charlie"', 1)
    work.write("MILESTONES/charlie.json", text)
    head = work.head()
    ran = work.gm_proc("claim", "charlie", env={"GIT_TRACE2_EVENT": str(tmp_path / "t.json")})
    assert ran.exit_code == 4 and "not in git yet" in ran.stderr
    assert work.head() == head
    events = [json.loads(line) for line in (tmp_path / "t.json").read_text().splitlines()]
    started = [e["argv"][1:] for e in events if e["event"] == "start" and e["argv"][0] == "git"]
    # Only reads: finding the repository, the file, and the config the commit would read
    # (started with the first, while the program loads).
    assert sorted(a[0] for a in started) == ["cat-file", "config", "rev-parse"], started
    assert next(a for a in started if a[0] == "config")[1:3] == ["-z", "--get-regexp"]


def test_the_hot_commands_and_the_hooks_start_without_click(work: Repo, tmp_path: Path) -> None:
    def modules(*args: str) -> set[str]:
        code, found = imported(work, tmp_path, *args, script=ENTRY_IMPORTS)
        assert code == 0, args
        return {m.split(".")[0] for m in found}

    for args in (
        ("claim", "alpha", "--json"),
        ("advance", "alpha", "--note", "n"),
        ("release", "alpha"),
        ("advance", "alpha", "1", "--to", "completed", "--as", "Someone Else", "--json"),
        ("advance", "bravo", "--no-commit"),
        ("validate", "--staged", "--quiet"),
    ):
        assert not modules(*args) & {"click", *HEAVY}, args
    work.git("commit", "-q", "-m", "advance bravo")
    message = work.write("message.txt", "a commit that changes no milestone\n")
    assert "click" not in modules("validate", "--commit-msg", str(message), "--quiet")
    # The check is real: help goes through click.
    assert "click" in modules("advance", "--help")


# Standard modules a plain write does without, imported only where they are used (each
# costs every command's start): hashlib loads OpenSSL (git's ids are hashed with the
# interpreter's own SHA code), textwrap (only a note is wrapped), shlex (merge drivers),
# dataclasses with inspect (records are `gitmilestone.records`).
LAZY = ("hashlib", "_hashlib", "textwrap", "shlex", "dataclasses", "inspect")


def test_a_plain_write_imports_no_module_it_does_not_use(work: Repo, tmp_path: Path) -> None:
    hook = ("validate", "--staged", "--quiet")
    for args in (("claim", "alpha"), ("advance", "alpha"), ("release", "alpha"), hook):
        code, found = imported(work, tmp_path, *args, script=ENTRY_IMPORTS)
        assert code == 0, args
        assert not found & set(LAZY), args
    # The check is real: a note is wrapped.
    code, found = imported(work, tmp_path, "advance", "alpha", "--note", "n", script=ENTRY_IMPORTS)
    assert code == 0 and "textwrap" in found


# Words a command line of a hot command is made of: valid ones, and every kind click
# refuses or reads in its own way.
WORDS = (
    *("advance", "claim", "release", "alpha", "x y", "", "1", "2", "0", "01", "+1", " 3", "-1"),
    *("--json", "--no-commit", "--push", "--force", "--as", "--as=", "--as=Ann", "Bob"),
    *("--to", "--to=completed", "completed", "skipped", "Completed", "--note", "--note=-x"),
    *("-", "--", "-h", "--help", "--version", "--jso", "--json=1", "--step", "-x"),
)


def clicks_reading(argv: list[str]) -> dict[str, object] | None:
    """The parameters click gives the command, or None when it refuses the command line."""
    command = load_command(argv[0])
    assert command is not None
    try:
        with command.make_context(argv[0], argv[1:]) as ctx:
            return {**ctx.params, "push": bool(ctx.meta.get("gitmilestone.push"))}
    except (click.ClickException, click.exceptions.Exit):
        return None


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(("advance", "claim", "release")),
    st.lists(st.sampled_from(WORDS), max_size=6),
)
def test_the_plain_reader_reads_only_what_click_reads_the_same_way(
    command: str, words: list[str]
) -> None:
    argv = [command, *words]
    parsed = quick.parse(argv)
    if parsed is not None:
        assert parsed.command == command
        assert parsed.params == clicks_reading(argv), argv


def test_the_plain_reader_takes_the_usual_command_lines_and_leaves_the_rest_to_click() -> None:
    for argv in (
        ["advance", "alpha"],
        ["advance", "alpha", "2", "--to=skipped", "--note", "why", "--json"],
        ["claim", "--as", "Ann", "alpha", "--force", "--no-commit", "--push"],
        ["release", "alpha", "--json"],
    ):
        assert quick.parse(argv) is not None, argv
    for argv in (
        ["advance"],
        ["advance", "alpha", "--help"],
        ["advance", "-h"],
        ["advance", "alpha", "0"],
        ["advance", "alpha", "1", "2"],
        ["advance", "alpha", "--to", "done"],
        ["advance", "alpha", "--note"],
        ["advance", "--", "alpha"],
        ["claim", "alpha", "--json", "--json"],
        ["claim", "alpha", "--json=yes"],
        ["release", "alpha", "--force"],
        ["--json", "advance", "alpha"],
        ["list"],
        [],
    ):
        assert quick.parse(argv) is None, argv


CLICK_ENTRY = "from gitmilestone.cli import main; main()"


def test_usage_errors_and_help_are_clicks_as_before(work: Repo) -> None:
    # Through the program's entry point and through click's, both real processes: the same
    # words, the same exit code.
    for args in (
        ("advance",),
        ("advance", "alpha", "--to", "done"),
        ("advance", "alpha", "0"),
        ("claim", "alpha", "--bogus"),
        ("release", "alpha", "--json", "--force"),
        ("advance", "--help"),
    ):
        real = work.gm_proc(*args)
        clicks = subprocess.run(
            [sys.executable, "-c", CLICK_ENTRY, *args],
            cwd=work.path,
            capture_output=True,
            text=True,
        )
        assert (real.exit_code, real.stdout, real.stderr) == (
            clicks.returncode,
            clicks.stdout,
            clicks.stderr,
        ), args
        assert real.exit_code == (0 if "--help" in args else 2), args
        assert "git milestone " in real.stdout + real.stderr


def test_a_hook_command_line_that_is_not_utf8_is_clicks(work: Repo) -> None:
    # The hooks' command lines read without click still refuse what click refuses: a
    # path that is not UTF-8 (here the commit message file's) is a usage error either way.
    name = os.fsencode(work.path) + b"/message-\xff.txt"
    Path(os.fsdecode(name)).write_text("a commit message\n")
    args = [b"validate", b"--commit-msg", name, b"--quiet"]
    runs = [
        subprocess.run([sys.executable, "-c", entry, *args], cwd=work.path, capture_output=True)
        for entry in ("from gitmilestone.quick import main; main()", CLICK_ENTRY)
    ]
    assert [(r.returncode, r.stdout, r.stderr) for r in runs] == [
        (runs[1].returncode, runs[1].stdout, runs[1].stderr)
    ] * 2
    assert runs[0].returncode == 2 and b"not valid UTF-8" in runs[0].stderr


def test_the_program_ends_itself_with_all_its_output_and_its_exit_code(work: Repo) -> None:
    """The quick commands end the process without the interpreter's teardown: what they
    print (through a pipe, larger than its buffer) and their exit codes are unchanged."""
    steps = [a for n in range(21) for a in ("--step", f"step {n}")]
    assert work.gm("new", "Long", "--id", "long", "--claim", *steps).exit_code == 0
    for n in range(1, 21):
        ran = work.gm("advance", "long", str(n), "--to", "completed", "--note", "x" * 4000)
        assert ran.exit_code == 0, ran.stderr
    in_process = work.gm("log", "--json", "--notes")
    as_process = work.gm_proc("log", "--json", "--notes")
    assert as_process.exit_code == 0, as_process.stderr
    assert len(as_process.stdout) > 65536
    assert json.loads(as_process.stdout) == json.loads(in_process.stdout)
    taken = work.gm_proc("claim", "long", "--as", "someone-else")
    assert taken.exit_code == 3 and "holds long" in taken.stderr, taken
    missing = work.gm_proc("advance", "no-such", "--json")
    assert missing.exit_code == 1 and json.loads(missing.stdout)["ok"] is False


def test_an_exit_function_or_a_thread_keeps_the_interpreters_own_exit(
    work: Repo, tmp_path: Path
) -> None:
    """Something registered for the end of the process (a coverage tool's exit function)
    still runs, and a thread still running is waited for."""
    marker = tmp_path / "ran"
    script = f"""
import atexit, sys, threading, time
atexit.register(lambda: open({str(marker)!r}, "w").write("exit function"))
from gitmilestone.quick import main
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", script, "advance", "alpha"], cwd=work.path, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    assert marker.read_text() == "exit function"
    threaded = f"""
import sys, threading, time
def late():
    time.sleep(0.3)
    open({str(marker)!r}, "w").write("thread")
threading.Thread(target=late).start()
from gitmilestone.quick import main
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", threaded, "advance", "alpha"], cwd=work.path, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    assert marker.read_text() == "thread"


def test_the_git_started_while_loading_answers_as_it_would_when_asked(
    work: Repo, tmp_path: Path
) -> None:
    """The entry point starts finding the repository (and reading the commit's config)
    before it loads the rest: from a subdirectory, and outside any repository, the command
    does what it did when it asked git itself."""
    here = work.path / "MILESTONES"
    ran = subprocess.run(
        [sys.executable, "-m", "gitmilestone", "advance", "alpha", "--json"],
        cwd=here,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["data"]["commit"].startswith(work.head()[:7])
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    ran = subprocess.run(
        [sys.executable, "-m", "gitmilestone", "advance", "alpha"],
        cwd=nowhere,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert ran.returncode != 0 and "not inside a git working tree" in ran.stderr, ran.stderr
