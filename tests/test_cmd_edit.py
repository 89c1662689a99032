"""`edit`, `step edit|remove|move` and `dep add|remove` end to end: real git, the hooks
installed by `install-hooks`, one commit of one file whose trailers say what changed, the
record in `log`, and the holder rule (someone else's active lease is exit 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Ran, Repo
from tests.test_hooks_git import hooked  # noqa: F401  (a fixture)

FILE = "MILESTONES/work.json"


def ok(ran: Ran) -> Ran:
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    return ran


def doc(repo: Repo) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(repo.read(FILE))
    return data


def scene(repo: Repo, *setup: tuple[str, ...]) -> None:
    """`work` (steps a, b, c) held by alice, and `other`; then `setup`."""
    ok(repo.gm("new", "Work", "--id", "work", "--step", "a", "--step", "b", "--step", "c"))
    ok(repo.gm("new", "Other", "--id", "other"))
    ok(repo.gm("claim", "work"))
    for command in setup:
        ok(repo.gm(*command))


STARTED = ("advance", "work")
CASES: dict[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...], dict[str, list[str]]]] = {
    "edit": (
        (),
        ("edit", "work", "--title", "Work, renamed", "-p", "high", "--file", "app.py"),
        {"Milestone-Action": ["edit"], "Milestone-Fields": ["title, priority, related_files"]},
    ),
    "step-edit": (
        (),
        ("step", "edit", "work", "2", "--notes", "check the logs first"),
        {
            "Milestone-Action": ["step-edit"],
            "Milestone-Step": ["2"],
            "Milestone-Step-Status": ["pending"],
            "Milestone-Fields": ["notes"],
        },
    ),
    "step-remove": (
        (STARTED,),
        ("step", "remove", "work", "1", "--force"),
        {
            "Milestone-Action": ["step-remove"],
            "Milestone-Step": ["1"],
            "Milestone-Step-Status": ["removed"],
            "Milestone-Steps": ["2"],
            "Milestone-Forced": ["true"],
        },
    ),
    "step-move": (
        (STARTED,),
        ("step", "move", "work", "3", "--to", "1"),
        {
            "Milestone-Action": ["step-move"],
            "Milestone-Step": ["1"],
            "Milestone-Step-Status": ["pending"],
            "Milestone-Step-From": ["3"],
        },
    ),
    "dep-add": (
        (),
        ("dep", "add", "work", "other"),
        {"Milestone-Action": ["dep-add"], "Milestone-Dependency": ["other"]},
    ),
    "dep-remove": (
        (("dep", "add", "work", "other"),),
        ("dep", "remove", "work", "other"),
        {"Milestone-Action": ["dep-remove"], "Milestone-Dependency": ["other"]},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_edit_is_one_commit_the_hooks_accept_and_a_non_holder_is_refused(
    hooked: Repo,  # noqa: F811
    case: str,
) -> None:
    setup, command, expected = CASES[case]
    scene(hooked, *setup)
    head, before = hooked.head(), hooked.read(FILE)

    refused = hooked.gm(*command, "--as", "bob")
    assert refused.exit_code == 3, refused.stdout + refused.stderr
    assert "alice holds work" in refused.stderr
    assert (hooked.head(), hooked.read(FILE)) == (head, before)

    ran = ok(hooked.gm(*command, "--json"))  # the real hooks run: pre-commit and commit-msg
    out = json.loads(ran.stdout)["data"]
    assert out["changed"] and out["action"] == expected["Milestone-Action"][0]
    assert hooked.git("rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert hooked.files_in() == [FILE]
    trailers = hooked.trailers()
    assert {k: trailers.get(k) for k in expected} == expected
    assert trailers["Milestone-Revision"] == [str(doc(hooked)["revision"])]
    assert hooked.git("status", "--porcelain") == ""
    record = json.loads(ok(hooked.gm("log", "work", "-n", "1", "--json")).stdout)["data"]
    assert record["records"][0]["action"] == expected["Milestone-Action"][0]
    assert record["records"][0]["commit"] == hooked.head()


def test_what_each_edit_does_to_the_file(repo: Repo) -> None:
    scene(repo, STARTED)
    start = repo.head()
    ok(repo.gm("edit", "work", "--why", "users wait", "--needs", "a key", "--set", "x-n=[1, 2]"))
    ok(repo.gm("step", "edit", "work", "3", "--description", "c, better said"))
    ok(repo.gm("step", "move", "work", "3", "--to", "2"))
    ok(repo.gm("step", "remove", "work", "3"))
    ok(repo.gm("dep", "add", "work", "other"))
    d = doc(repo)
    assert d["context"] == {"why": "users wait", "dependencies": ["a key"]}
    assert d["x-n"] == [1, 2] and d["depends_on"] == ["other"]
    assert [(s["step"], s["description"], s["status"]) for s in d["steps"]] == [
        (1, "a", "in_progress"),
        (2, "c, better said", "pending"),
    ]
    assert repo.gm("validate").exit_code == 0
    log = ok(repo.gm("log", "work")).stdout
    for action in ("dep-add", "step-remove", "step-move", "step-edit", "edit"):
        assert action in log
    assert "3 removed" in log
    audit = repo.gm("validate", "--range", f"{start}..HEAD")  # each commit as the guard would
    assert audit.exit_code == 0, audit.stdout + audit.stderr


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("edit", "work", "--title", "Work"), id="edit-same-title"),
        pytest.param(("edit", "work"), id="edit-nothing"),
        pytest.param(("step", "edit", "work", "1", "--description", "a"), id="step-edit-same"),
        pytest.param(("step", "move", "work", "2", "--to", "2"), id="move-in-place"),
        pytest.param(("dep", "remove", "work", "other"), id="dep-not-there"),
    ],
)
def test_nothing_to_change_commits_nothing_and_says_so(
    repo: Repo, command: tuple[str, ...]
) -> None:
    scene(repo)
    head = repo.head()
    ran = ok(repo.gm(*command))
    assert "nothing to change" in ran.stdout
    assert repo.head() == head


def test_anyone_may_edit_when_nobody_holds_it_and_a_change_of_steps_takes_it(repo: Repo) -> None:
    scene(repo, ("release", "work"))
    ok(repo.gm("edit", "work", "--title", "Reviewed", "--as", "bob"))
    assert doc(repo)["owner"] is None
    ok(repo.gm("dep", "add", "work", "other", "--as", "bob"))
    assert doc(repo)["owner"] is None
    ok(repo.gm("step", "edit", "work", "1", "--notes", "start here", "--as", "bob"))
    assert doc(repo)["owner"] == "bob"


@pytest.mark.parametrize(
    ("command", "code", "says"),
    [
        pytest.param(("dep", "add", "work", "nowhere"), 1, "no milestone 'nowhere'", id="dep-new"),
        pytest.param(("edit", "work", "--depends-on", "nope"), 1, "no milestone", id="edit-dep"),
        pytest.param(("dep", "add", "work", "work"), 1, "work -> work", id="dep-on-itself"),
        pytest.param(("dep", "add", "work", "Bad_Id"), 2, "not a milestone id", id="bad-id"),
        pytest.param(("edit", "nowhere", "--title", "x"), 1, "no milestone", id="edit-unknown"),
        pytest.param(("step", "edit", "work", "1"), 2, "--description", id="step-edit-nothing"),
        pytest.param(("step", "edit", "work", "9", "--notes", "x"), 1, "no step 9", id="no-step"),
        pytest.param(("step", "move", "work", "1", "--to", "9"), 1, "steps 1..3", id="move-far"),
        pytest.param(("step", "move", "work", "1"), 2, "--to", id="move-without-to"),
        pytest.param(("step", "remove", "work", "1"), 1, "--force", id="remove-started"),
        pytest.param(("edit", "work", "--title", " "), 2, "--title", id="blank-title"),
        pytest.param(("edit", "work", "--file", ""), 2, "--file", id="empty-file"),
        pytest.param(("edit", "work", "--needs", " "), 2, "--needs", id="blank-needs"),
        pytest.param(("edit", "work", "--title", "a\nb"), 2, "--title", id="two-line-title"),
        pytest.param(("edit", "work", "--needs", "a\u2028b"), 2, "--needs", id="needs-u2028"),
        pytest.param(
            ("step", "edit", "work", "1", "--description", "a\x1eb"), 2, "--desc", id="desc-x1e"
        ),
        pytest.param(("edit", "work", "--set", "ticket=1"), 2, "x-", id="set-not-x"),
        pytest.param(("edit", "work", "--set", "x-=1"), 2, "x-", id="set-empty-key"),
        pytest.param(("edit", "work", "--set", "x-a b=1"), 2, "x-", id="set-space"),
        pytest.param(("edit", "work", "--set", "x-a"), 2, "x-a=JSON", id="set-no-value"),
        pytest.param(("edit", "work", "--set", "x-a=NaN"), 2, "not JSON", id="set-nan"),
        pytest.param(("edit", "work", "--set", "x-a=1e999"), 2, "not JSON", id="set-overflow"),
        pytest.param(("edit", "work", "--set", "x-a=text"), 2, "not JSON", id="set-bare-text"),
        pytest.param(
            ("edit", "work", "--set", 'x-a={"k": 1, "k": 2}'), 2, "not JSON", id="set-twice"
        ),
        pytest.param(("edit", "work", "--unset", "title"), 2, "x-", id="unset-field"),
        pytest.param(
            ("edit", "work", "--file", "a", "--no-file", "a"), 2, "keep one", id="file-both"
        ),
    ],
)
def test_refusals_change_nothing(
    repo: Repo, command: tuple[str, ...], code: int, says: str
) -> None:
    scene(repo, STARTED)
    head, before = repo.head(), repo.read(FILE)
    ran = repo.gm(*command)
    assert ran.exit_code == code, ran.stdout + ran.stderr
    assert says in ran.stderr
    assert "Traceback" not in ran.stderr
    assert (repo.head(), repo.read(FILE)) == (head, before)
    assert repo.git("status", "--porcelain") == ""


def test_a_dependency_cycle_is_refused_and_named(repo: Repo) -> None:
    scene(repo)
    ok(repo.gm("new", "Third", "--id", "third", "--depends-on", "work"))
    ok(repo.gm("dep", "add", "work", "other"))
    ran = repo.gm("dep", "add", "other", "third")
    assert ran.exit_code == 1
    assert "other -> third -> work -> other" in ran.stderr


def test_help_says_who_may_edit(repo: Repo) -> None:
    for command in (("edit",), ("step", "edit"), ("step", "remove"), ("step", "move"), ("dep",)):
        text = " ".join(ok(repo.gm(*command, "--help")).stdout.split())
        assert "anyone when nobody holds" in text, command
        assert "exit 3" in text, command


def test_new_refuses_an_empty_file_or_need(repo: Repo) -> None:
    head = repo.head()
    for option in ("--file", "--needs"):
        ran = repo.gm("new", "Work", "--step", "a", option, "")
        assert ran.exit_code == 2 and option in ran.stderr, ran.stderr
    assert repo.head() == head and repo.git("status", "--porcelain") == ""
