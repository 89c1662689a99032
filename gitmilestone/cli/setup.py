"""Setting a repository up and checking it: init, hooks, doctor, validate, schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from gitmilestone.cli.common import (
    as_option,
    json_option,
    run,
    workspace,
    writes,
)
from gitmilestone.output import Result
from gitmilestone.records import replace


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--staged",
    is_flag=True,
    help="The pre-commit guard: check each staged milestone file, and its change against "
    "HEAD (M2xx, M3xx).",
)
@click.option(
    "--commit-msg",
    "commit_msg",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="The commit-msg check: Milestone trailers in the message FILE must match the "
    "staged milestone file.",
)
@click.option(
    "--changes-only",
    is_flag=True,
    help="With --staged: only the rules about the change (M2xx, M3xx), for when the "
    "milestone-validate pre-commit hook reports the others.",
)
@click.option(
    "--range",
    "rev_range",
    metavar="A..B",
    help="Check every commit in A..B (a single REV: REV^..REV) as the guard checks a staged "
    "change, and its trailers against its change; for CI. Works in a bare repository.",
)
@click.option(
    "--pre-receive",
    "pre_receive",
    is_flag=True,
    help="The server's guard: read `OLD NEW REF` lines on stdin (as git gives a pre-receive "
    "hook) and check every commit the push brings.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when there is no problem.")
@click.option(
    "--fix",
    is_flag=True,
    help="Repair what can be derived (progress, status from steps, step numbers, seed-style "
    "times), one commit per file; PATHs may be milestone ids.",
)
@writes
def validate_command(
    paths: tuple[Path, ...],
    staged: bool,
    commit_msg: Path | None,
    changes_only: bool,
    rev_range: str | None,
    pre_receive: bool,
    quiet: bool,
    fix: bool,
    as_json: bool,
    as_actor: str | None,
    no_commit: bool,
) -> None:
    """Check milestone files (every one in the milestone directory when no PATH is given; a
    PATH may be a milestone id).

    Prints one problem per line, `file: CODE $.json.path: what is wrong; how to fix`.
    Exits 1 when there is any problem. The git hooks run `--staged` (pre-commit) and
    `--commit-msg FILE` (commit-msg); they only read, and cost little when no milestone
    file is staged.

    \b
    --staged exits 3 when every problem is an owner conflict (M301-M303: someone else
    holds the milestone), and 1 when there is any other problem.

    With --fix: rewrites what can be derived from the rest of each file (progress M101, a
    pending status with started steps M102, step numbers out of list order M004, the
    seed's `... UTC` times), one commit per file (Milestone-Action: fix, Milestone-Fixed
    says what). A file with any other problem is reported and left as it is (exit 1). A
    fix changes no step, owner or text, so anyone may run it, whoever holds the milestone.
    --no-commit and --push apply to --fix only.

    \b
    --range A..B prints `commit: file: CODE $.json.path: message` for every problem in
    the commits of the range, oldest first: each changed milestone file against its
    version in the commit's parent(s), with the settings committed there, the commit's
    Milestone-Actor (else its author) as the actor and its committer date as the time;
    and M401/M402 when the commit's trailers do not match its change.
    """
    chosen = (
        bool(paths) and not fix,
        staged,
        commit_msg is not None,
        fix,
        rev_range is not None,
        pre_receive,
    )
    if sum(chosen) > 1:
        raise click.UsageError(
            "give PATHs, --staged, --commit-msg, --fix, --range or --pre-receive, one of them"
        )
    if changes_only and not staged:
        raise click.UsageError("--changes-only goes with --staged")
    if not fix and (no_commit or click.get_current_context().meta.get("gitmilestone.push")):
        raise click.UsageError("--no-commit and --push go with --fix")
    produce: Callable[[], Result]
    if fix:
        from gitmilestone.commands import fix as repair

        names = tuple(str(p) for p in paths)
        produce = lambda: repair.fix(workspace(as_actor), names, commit=not no_commit)  # noqa: E731
    elif rev_range is not None or pre_receive:
        produce = _history_check(rev_range)
    elif commit_msg is not None or staged:
        from gitmilestone.commands import guard

        if commit_msg is not None:
            message = commit_msg
            produce = lambda: guard.commit_msg(message, as_actor)  # noqa: E731
        else:
            produce = lambda: guard.staged(workspace(as_actor), changes_only=changes_only)  # noqa: E731
    else:
        from gitmilestone.commands import validate

        produce = lambda: validate.validate(workspace(as_actor), paths)  # noqa: E731
    run(as_json, (lambda: _quiet(produce())) if quiet else produce)


def _history_check(rev_range: str | None) -> Callable[[], Result]:
    def produce() -> Result:
        import sys

        from gitmilestone import git
        from gitmilestone.commands import audit

        repo = git.discover(bare=True)
        if rev_range is not None:
            return audit.validate_range(repo, rev_range)
        return audit.pre_receive(repo, sys.stdin.read().splitlines())

    return produce


def _quiet(result: Result) -> Result:
    return result if result.exit_code else replace(result, text="")


@click.command("schema")
@json_option
def schema_command(as_json: bool) -> None:
    """Print the milestone JSON Schema (draft 2020-12)."""
    from gitmilestone.commands import validate

    run(as_json, validate.schema)


@click.command("merge-driver")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("path")
@json_option
def merge_driver_command(base: Path, ours: Path, theirs: Path, path: str, as_json: bool) -> None:
    """Git's merge driver for milestone files (`init` registers it): merges field by field
    into OURS; on a conflict writes conflict markers and exits 1.
    """
    from gitmilestone.commands import merge_driver

    run(as_json, lambda: merge_driver.merge_driver(base, ours, theirs, path))


@click.command("init")
@click.option("--hooks", is_flag=True, help="Also install the git hooks (see install-hooks).")
@click.option(
    "--agents",
    is_flag=True,
    help="Also write the agent instructions into AGENTS.md (and CLAUDE.md; see agents).",
)
@writes
def init_command(
    hooks: bool, agents: bool, as_json: bool, as_actor: str | None, no_commit: bool
) -> None:
    """Create the milestone directory with a short README, register the merge driver
    (.gitattributes and this clone's git config), and commit."""
    from gitmilestone.commands import setup

    run(
        as_json,
        lambda: setup.init(workspace(as_actor), hooks=hooks, agents=agents, commit=not no_commit),
    )


@click.command("install-hooks")
@click.option("--uninstall", is_flag=True, help="Remove them; put back the hooks they replaced.")
@click.option(
    "--server",
    is_flag=True,
    help="Install the pre-receive hook instead, in the (bare) repository people push to.",
)
@json_option
def install_hooks_command(uninstall: bool, server: bool, as_json: bool) -> None:
    """Install the git hooks: pre-commit (the guard), pre-merge-commit (the guard, for merges
    git commits itself) and commit-msg (the trailer check).

    They go where git looks for hooks (core.hooksPath is respected). A hook that is already
    there is kept as HOOK.local and runs first; its failure stops the commit. Running it
    again changes nothing.

    With --server, in the repository people push to (bare or not): a pre-receive hook that
    checks every pushed commit as `validate --range` does and refuses the push when one
    has a problem (a new branch against the default branch; deleted branches allowed).
    """
    from gitmilestone.commands import hooks

    if server:
        from gitmilestone import git

        run(
            as_json,
            lambda: hooks.install_server_hooks(git.discover(bare=True), uninstall=uninstall),
        )
    else:
        run(as_json, lambda: hooks.install_hooks(workspace(), uninstall=uninstall))


@click.command("doctor")
@as_option
@json_option
def doctor_command(as_actor: str | None, as_json: bool) -> None:
    """Say what is set up here and what is not: settings, directory, actor, hooks, merge
    driver, and milestone files with problems. Exits 1 when something is missing."""
    from gitmilestone.commands import doctor

    run(as_json, lambda: doctor.doctor(workspace(as_actor)))
