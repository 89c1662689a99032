"""`validate --staged` (the pre-commit guard) and `validate --commit-msg`, run directly on
real repositories with changes staged by hand, by the CLI (`--no-commit`) and by `git merge`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo

ID = "deploy-dashboard"
FILE = f"MILESTONES/{ID}.json"
LATER = "2025-11-15T01:30:00Z"

Doc = dict[str, Any]


def doc(repo: Repo, rel: str = FILE) -> Doc:
    loaded: Doc = json.loads(repo.read(rel))
    return loaded


def derive(d: Doc) -> None:
    steps = d["steps"]
    done = sum(s["status"] in ("completed", "skipped") for s in steps)
    d["progress"] = (
        100 * done // len(steps) if steps else (100 if d["status"] == "completed" else 0)
    )


def hand_edit(
    repo: Repo,
    change: Callable[[Doc], object],
    *,
    bump: bool = True,
    at: str = LATER,
    rel: str = FILE,
    stage: bool = True,
) -> Doc:
    """Edit the file as a person would: change it, and (with `bump`) do the bookkeeping right."""
    d = doc(repo, rel)
    change(d)
    if bump:
        d["revision"] = d.get("revision", 0) + 1
        d["updated_at"] = at
        derive(d)
    repo.write(rel, json.dumps(d, indent=2) + "\n")
    if stage:
        repo.git("add", rel)
    return d


def new_milestone(repo: Repo, *extra: str) -> None:
    ran = repo.gm("new", "Deploy dashboard", "--step", "a", "--step", "b", "--step", "c", *extra)
    assert ran.exit_code == 0, ran.stderr


def guard(repo: Repo, *args: str, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """Run `validate --staged --json`: exit code, finding codes, and the error message."""
    ran = repo.gm("validate", "--staged", "--json", *args, env=env)
    out = json.loads(ran.stdout)
    codes = {f["code"] for f in (out["data"] or {}).get("findings", [])}
    return ran.exit_code, codes, (out.get("error") or {}).get("message", "")


def set_step(number: int, status: str, who: str = "alice") -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        step = d["steps"][number - 1]
        step["status"] = status
        if status == "completed":
            step.setdefault("started_by", who)
            step.setdefault("started_at", LATER)
            step["completed_by"], step["completed_at"] = who, LATER
        if status == "in_progress":
            step["started_by"], step["started_at"] = who, LATER
        if status in ("in_progress", "completed") and d["status"] == "pending":
            d["status"] = "in_progress"

    return change


# --- the guard: what is staged, against HEAD -------------------------------------------------


def test_nothing_staged_passes(repo: Repo) -> None:
    repo.write("notes.txt", "unrelated\n")
    repo.git("add", "notes.txt")
    ran = repo.gm("validate", "--staged")
    assert ran.exit_code == 0
    assert "no milestone file staged" in ran.stdout


def test_files_that_are_not_milestones_are_ignored(repo: Repo) -> None:
    new_milestone(repo)
    repo.write("MILESTONES/README.md", "# notes\n")
    repo.write("MILESTONES/sub/x.json", "not json")
    repo.write("src/MILESTONES.json", "not json")
    repo.git("add", "MILESTONES", "src")
    ran = repo.gm("validate", "--staged")
    assert ran.exit_code == 0, ran.stdout
    assert "no milestone file staged" in ran.stdout


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(lambda d, head: d.update(progress=50), {"M101"}, id="M101-wrong-progress"),
        pytest.param(
            lambda d, head: d.update(updated_at=head["updated_at"]), {"M201"}, id="M201-same-time"
        ),
        pytest.param(
            lambda d, head: d.update(revision=head["revision"] + 5), {"M202"}, id="M202-jump"
        ),
        pytest.param(
            lambda d, head: d.update(created_at="2025-11-14T00:00:00Z"), {"M205"}, id="M205"
        ),
        pytest.param(
            lambda d, head: set_step(1, "completed", who="carol")(d), {"M303"}, id="M303-carol"
        ),
    ],
)
def test_rules_against_head(
    repo: Repo, edit: Callable[[Doc, Doc], None], expected: set[str]
) -> None:
    new_milestone(repo, "--claim")
    head = doc(repo)
    d = hand_edit(repo, lambda d: d.update(handoff_notes="hand edit"), stage=False)
    edit(d, head)
    if "M101" not in expected:
        derive(d)
    repo.write(FILE, json.dumps(d, indent=2) + "\n")
    repo.git("add", FILE)
    code, codes, message = guard(repo)
    # exit 3 when every problem is an owner conflict, as for the commands
    assert (code, codes) == (3 if all(c.startswith("M3") for c in expected) else 1, expected)
    assert "the commit was refused" in message


def test_good_hand_edit_passes(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    hand_edit(repo, set_step(1, "completed"))
    assert guard(repo) == (0, set(), "")


def test_stale_copy_undoing_a_done_step_is_m203(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    repo.gm("advance", ID, "1")
    hand_edit(repo, lambda d: d["steps"][0].update(status="pending"))
    assert guard(repo)[:2] == (1, {"M203"})


def test_reopened_step_passes(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    repo.gm("advance", ID, "1")

    def reopen(d: Doc) -> None:
        d["steps"][0].update(status="in_progress", reopened_by="alice", reopened_at=LATER)
        d["steps"][0].update(started_by="alice", started_at=LATER)
        del d["steps"][0]["completed_by"], d["steps"][0]["completed_at"]

    hand_edit(repo, reopen)
    assert guard(repo)[:2] == (0, set())


def test_edit_from_an_old_copy_is_m202(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    old = repo.read(FILE)
    assert repo.gm("advance", ID).exit_code == 0
    repo.write(FILE, old)
    hand_edit(repo, lambda d: d.update(handoff_notes="from my old copy"))
    code, codes, _ = guard(repo)
    assert code == 1
    assert "M202" in codes


def test_illegal_transition_is_m204(repo: Repo) -> None:
    new_milestone(repo)
    assert repo.gm("abandon", ID, "--reason", "not needed").exit_code == 0
    hand_edit(repo, lambda d: d.update(status="in_progress"))
    assert guard(repo)[:2] == (1, {"M204"})


def test_deleted_file_is_m206(repo: Repo) -> None:
    new_milestone(repo)
    repo.git("rm", "-q", FILE)
    code, codes, _ = guard(repo)
    assert (code, codes) == (1, {"M206"})


def test_deleting_an_unreadable_file_is_m206_too(repo: Repo) -> None:
    repo.write(FILE, "{ broken")
    repo.git("add", FILE)
    repo.git("commit", "-q", "-m", "broken file")
    repo.git("rm", "-q", FILE)
    assert guard(repo)[:2] == (1, {"M206"})


def test_file_named_like_no_milestone_is_refused(repo: Repo) -> None:
    repo.write("MILESTONES/Bad Name.json", "{}")
    repo.git("add", "MILESTONES")
    assert guard(repo)[:2] == (1, {"M003"})


def test_owner_conflict_m301_and_m302(repo: Repo) -> None:
    new_milestone(repo)
    assert repo.gm("claim", ID, "--as", "bob").exit_code == 0
    hand_edit(repo, lambda d: d.update(owner="alice"))
    assert guard(repo)[:2] == (3, {"M301"})
    repo.git("reset", "-q", "--hard")
    hand_edit(repo, set_step(1, "in_progress"))
    assert guard(repo)[:2] == (3, {"M302"})


def test_forced_claim_passes_only_for_that_milestone(repo: Repo) -> None:
    new_milestone(repo)
    assert repo.gm("claim", ID, "--as", "bob").exit_code == 0
    hand_edit(repo, lambda d: d.update(owner="alice", claimed_at=LATER))
    assert guard(repo, env={"GIT_MILESTONE_FORCED": ID})[:2] == (0, set())
    assert guard(repo, env={"GIT_MILESTONE_FORCED": "other"})[:2] == (3, {"M301"})


def test_expired_lease_can_be_taken(repo: Repo) -> None:
    new_milestone(repo)
    assert repo.gm("claim", ID, "--as", "bob").exit_code == 0
    hand_edit(repo, lambda d: d.update(owner="alice"), at="2025-11-15T05:00:00Z")
    later = {"GIT_MILESTONE_NOW": "2025-11-15T05:00:00Z"}
    assert guard(repo, env=later)[:2] == (0, set())


def test_actor_comes_from_as_option(repo: Repo) -> None:
    new_milestone(repo)
    assert repo.gm("claim", ID, "--as", "bob").exit_code == 0
    hand_edit(repo, set_step(1, "in_progress", who="bob"))
    assert guard(repo, "--as", "bob")[:2] == (0, set())
    assert guard(repo)[:2] == (3, {"M302", "M303"})


def test_cli_changes_staged_with_no_commit_pass(repo: Repo) -> None:
    new_milestone(repo)
    for args in (
        ("claim", ID),
        ("advance", ID),
        ("block", ID, "--reason", "waiting"),
        ("unblock", ID),
        ("handoff", ID, "--next", "go on"),
        ("step", "add", ID, "d"),
        ("complete", ID, "--force"),
    ):
        ran = repo.gm(*args, "--no-commit")
        assert ran.exit_code == 0, ran.stderr
        assert guard(repo)[:2] == (0, set()), args
        repo.git("commit", "-q", "-m", f"{args[0]} by hand")


def test_first_commit_has_only_file_rules(empty_repo: Repo) -> None:
    empty_repo.write(FILE, (Path(__file__).parent / "data" / f"{ID}.json").read_bytes())
    empty_repo.git("add", FILE)
    code, codes, _ = guard(empty_repo)
    assert (code, codes) == (1, {"M101"})
    hand_edit(empty_repo, lambda d: None, bump=False)
    d = doc(empty_repo)
    derive(d)
    empty_repo.write(FILE, json.dumps(d, indent=2) + "\n")
    empty_repo.git("add", FILE)
    assert guard(empty_repo)[:2] == (0, set())


def test_moved_directory_from_settings(repo: Repo) -> None:
    repo.write(".gitmilestone.toml", 'dir = "SESSIONS/MILESTONES"\n')
    repo.git("add", ".gitmilestone.toml")
    repo.git("commit", "-q", "-m", "settings")
    new_milestone(repo)
    rel = f"SESSIONS/MILESTONES/{ID}.json"
    hand_edit(repo, lambda d: d.update(progress=90), bump=False, rel=rel)
    code, codes, _ = guard(repo)
    assert code == 1
    assert "M101" in codes


def test_text_output_names_file_code_and_fix(repo: Repo) -> None:
    new_milestone(repo)
    hand_edit(repo, lambda d: d.update(progress=50), bump=False)
    ran = repo.gm("validate", "--staged")
    assert ran.exit_code == 1
    assert f"{FILE}: M101 $.progress: progress is 50" in ran.stdout
    assert "the commit was refused" in ran.stderr


def test_options_exclude_each_other(repo: Repo) -> None:
    ran = repo.gm("validate", "--staged", FILE)
    assert ran.exit_code == 2
    assert "one of them" in ran.stderr


def test_reads_the_index_git_names(repo: Repo, tmp_path: Path) -> None:
    """git points GIT_INDEX_FILE at a temporary index for `commit --only`: read that one."""
    new_milestone(repo, "--claim")
    hand_edit(repo, lambda d: d.update(progress=50), bump=False)
    other = tmp_path / "other-index"
    repo.git("read-tree", "HEAD", env={"GIT_INDEX_FILE": str(other)})
    assert guard(repo, env={"GIT_INDEX_FILE": str(other)})[:2] == (0, set())
    assert guard(repo)[:2] == (1, {"M101", "M201", "M202"})


# --- merges: MERGE_HEAD present ---------------------------------------------------------------


def _branches(repo: Repo) -> None:
    """main and feature both from a milestone alice holds with step 1 started."""
    new_milestone(repo, "--claim")
    assert repo.gm("advance", ID).exit_code == 0
    repo.git("branch", "feature")


def test_merge_taking_the_other_side_file_as_is_passes(repo: Repo) -> None:
    _branches(repo)
    repo.git("checkout", "-q", "feature")
    assert repo.gm("advance", ID).exit_code == 0
    assert repo.gm("advance", ID).exit_code == 0
    repo.git("checkout", "-q", "main")
    repo.write("other.txt", "main moves on\n")
    repo.git("add", "other.txt")
    repo.git("commit", "-q", "-m", "unrelated")
    repo.git("merge", "--no-commit", "--no-ff", "feature")
    assert guard(repo)[:2] == (0, set())
    repo.git("merge", "--abort")
    repo.git("checkout", "-q", "feature", "--", FILE)
    assert guard(repo)[:2] == (1, {"M202"}), "the same file is stale outside a merge"


def _diverge(repo: Repo) -> tuple[Doc, Doc]:
    _branches(repo)
    repo.git("checkout", "-q", "feature")
    assert repo.gm("advance", ID, "3", "--to", "skipped").exit_code == 0
    theirs = doc(repo)
    repo.git("checkout", "-q", "main")
    assert repo.gm("advance", ID).exit_code == 0
    ours = doc(repo)
    repo.git("merge", "--no-commit", "feature", check=False)
    return ours, theirs


def _combined(ours: Doc, theirs: Doc, **changes: Any) -> Doc:
    merged: Doc = json.loads(json.dumps(ours))
    merged["steps"][2] = theirs["steps"][2]
    merged["revision"] = max(ours["revision"], theirs["revision"]) + 1
    merged["updated_at"] = max(ours["updated_at"], theirs["updated_at"])
    merged.update(changes)
    derive(merged)
    return merged


def _stage(repo: Repo, d: Doc) -> None:
    repo.write(FILE, json.dumps(d, indent=2) + "\n")
    repo.git("add", FILE)


@pytest.mark.parametrize("merger", ["alice", "bob"])
def test_merge_combining_both_sides_passes(repo: Repo, merger: str) -> None:
    ours, theirs = _diverge(repo)
    _stage(repo, _combined(ours, theirs))
    assert guard(repo, "--as", merger)[:2] == (0, set())


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"revision": 1}, {"M202"}, id="revision-not-max-plus-one"),
        pytest.param(
            {"updated_at": "2025-11-15T01:00:00Z"}, {"M201", "M104"}, id="older-than-a-parent"
        ),
        pytest.param({"owner": "mallory"}, {"M301"}, id="owner-taken"),
    ],
)
def test_merge_rules(repo: Repo, changes: Doc, expected: set[str]) -> None:
    ours, theirs = _diverge(repo)
    _stage(repo, _combined(ours, theirs, **changes))
    code = 3 if all(c.startswith("M3") for c in expected) else 1
    assert guard(repo, "--as", "bob")[:2] == (code, expected)


def test_merge_undoing_the_other_side_step_is_m203(repo: Repo) -> None:
    ours, theirs = _diverge(repo)
    merged = _combined(ours, theirs)
    merged["steps"][2] = ours["steps"][2]
    derive(merged)
    _stage(repo, merged)
    assert guard(repo)[:2] == (1, {"M203"})


# --- the commit-msg check ---------------------------------------------------------------------


def message(
    d: Doc,
    *,
    action: str = "advance",
    steps: tuple[int, ...] = (),
    over: dict[str, str] | None = None,
) -> str:
    fields = {
        "Milestone": d["milestone_id"],
        "Milestone-Action": action,
        "Milestone-Status": d["status"],
        "Milestone-Progress": str(d["progress"]),
        "Milestone-Steps": str(len(d["steps"])),
        "Milestone-Owner": d["owner"] or "none",
        "Milestone-Actor": "alice",
        "Milestone-Revision": str(d.get("revision", 0)),
    }
    fields.update(over or {})
    lines = [f"{k}: {v}" for k, v in fields.items() if v]
    for n in steps:
        lines.insert(2, f"Milestone-Step-Status: {d['steps'][n - 1]['status']}")
        lines.insert(2, f"Milestone-Step: {n}")
    return "milestone: hand-written\n\nWhat I did.\n\n" + "\n".join(lines) + "\n"


def commit_msg(repo: Repo, text: str, *args: str) -> tuple[int, list[str], str]:
    path = repo.write(".git/COMMIT_EDITMSG", text)
    ran = repo.gm("validate", "--commit-msg", str(path), "--json", *args)
    out = json.loads(ran.stdout)
    problems = (out["data"] or {}).get("problems", [])
    return ran.exit_code, problems, (out.get("error") or {}).get("message", "")


@pytest.fixture
def advanced(repo: Repo) -> Doc:
    """A milestone alice holds, with an `advance` staged but not committed."""
    new_milestone(repo, "--claim")
    assert repo.gm("advance", ID, "--no-commit").exit_code == 0
    return doc(repo)


def test_message_matching_the_staged_file_passes(repo: Repo, advanced: Doc) -> None:
    assert commit_msg(repo, message(advanced, steps=(1,))) == (0, [], "")


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        pytest.param(
            {"Milestone-Status": "completed"}, "Milestone-Status says completed", id="status"
        ),
        pytest.param({"Milestone-Progress": "100"}, "Milestone-Progress says 100", id="progress"),
        pytest.param({"Milestone-Owner": "none"}, "Milestone-Owner says none", id="owner"),
        pytest.param({"Milestone-Revision": "9"}, "Milestone-Revision says 9", id="revision"),
        pytest.param({"Milestone-Steps": "7"}, "Milestone-Steps says 7", id="step-count"),
        pytest.param({"Milestone-Actor": "mallory"}, "Milestone-Actor says mallory", id="actor"),
        pytest.param({"Milestone-Revision": ""}, "Milestone-Revision is missing", id="missing"),
    ],
)
def test_forged_trailers_are_refused(
    repo: Repo, advanced: Doc, over: dict[str, str], needle: str
) -> None:
    code, problems, error = commit_msg(repo, message(advanced, over=over))
    assert code == 1
    assert any(needle in p for p in problems), problems
    assert "commit was refused" in error


def test_forged_step_status_is_refused(repo: Repo, advanced: Doc) -> None:
    text = message(advanced).replace(
        "Milestone-Action: advance\n",
        "Milestone-Action: advance\nMilestone-Step: 2\nMilestone-Step-Status: completed\n",
    )
    code, problems, _ = commit_msg(repo, text)
    assert code == 1
    assert problems == [
        "Milestone-Step 2 is completed in the message but pending in the staged file"
    ]


def test_trailers_for_a_milestone_not_in_the_commit_are_refused(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    d = doc(repo)
    repo.write("notes.txt", "x\n")
    repo.git("add", "notes.txt")
    code, problems, _ = commit_msg(
        repo, message(d, action="claim", over={"Milestone-Revision": "5"})
    )
    assert code == 1
    assert "does not change MILESTONES/deploy-dashboard.json" in problems[0]
    code, problems, _ = commit_msg(repo, message(d | {"milestone_id": "nope"}))
    assert code == 1
    assert "MILESTONES/nope.json is not in this commit" in problems[0]


def test_restating_head_record_passes(repo: Repo) -> None:
    """`git commit --amend --no-edit` of a CLI commit: nothing staged, HEAD's own message."""
    new_milestone(repo, "--claim")
    head_message = repo.git("log", "-1", "--format=%B")
    assert commit_msg(repo, head_message)[:2] == (0, [])


def test_two_milestones_in_one_message_are_refused(repo: Repo, advanced: Doc) -> None:
    text = message(advanced) + "Milestone: other\n"
    code, problems, _ = commit_msg(repo, text)
    assert code == 1
    assert "names 2 milestones" in problems[0]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("fix typo\n", id="plain"),
        pytest.param(
            "fix\n\nMilestone: deploy-dashboard\nwas mentioned in passing.\n\nOk.\n",
            id="not-in-the-trailer-block",
        ),
        pytest.param(
            "fix\n\nSigned-off-by: A <a@example.com>\n# Milestone: deploy-dashboard\n", id="comment"
        ),
    ],
)
def test_messages_without_a_milestone_trailer_pass(repo: Repo, text: str) -> None:
    repo.write("notes.txt", "x\n")
    repo.git("add", "notes.txt")
    ran = repo.gm("validate", "--commit-msg", str(repo.write(".git/MSG", text)))
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert "no Milestone trailer" in ran.stdout


def test_message_without_trailer_passes_outside_any_repository(tmp_path: Path) -> None:
    """The cheap path: no git, no repository needed when nothing looks like a trailer."""
    msg = tmp_path / "MSG"
    msg.write_text("just a message\n")
    proc = subprocess.run(
        [sys.executable, "-m", "gitmilestone", "validate", "--commit-msg", str(msg)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "no Milestone trailer" in proc.stdout


def test_unreadable_message_file_is_a_usage_error(repo: Repo) -> None:
    ran = repo.gm("validate", "--commit-msg", "missing-file")
    assert ran.exit_code == 2
    assert "cannot read the commit message" in ran.stderr


# --- cost ------------------------------------------------------------------------------------

_PROBE = """
import runpy, sys
sys.argv = ["git-milestone", *sys.argv[1:]]
try:
    runpy.run_module("gitmilestone", run_name="__main__")
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("jsonschema", "git", "yaml") if m in sys.modules)
sys.stderr.write(f"\\nexit={code} heavy={','.join(heavy) or '-'}\\n")
"""


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("validate", "--staged"), id="staged"),
        pytest.param(("validate", "--commit-msg", "MSG"), id="commit-msg"),
    ],
)
def test_no_milestone_staged_imports_nothing_heavy(repo: Repo, args: tuple[str, ...]) -> None:
    repo.write("MSG", "plain message\n")
    repo.write("notes.txt", "x\n")
    repo.git("add", "notes.txt")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=repo.path, capture_output=True, text=True
    )
    assert proc.stderr.strip().splitlines()[-1] == "exit=0 heavy=-", proc.stderr


def test_valid_staged_milestone_imports_nothing_heavy(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    hand_edit(repo, set_step(1, "completed"))
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "validate", "--staged"],
        cwd=repo.path,
        capture_output=True,
        text=True,
    )
    assert proc.stderr.strip().splitlines()[-1] == "exit=0 heavy=-", proc.stdout + proc.stderr


# --- exit codes, and the pre-commit framework's split of the rules ---------------------------


def test_owner_conflict_with_another_problem_exits_1(repo: Repo) -> None:
    new_milestone(repo)
    assert repo.gm("claim", ID, "--as", "bob").exit_code == 0
    hand_edit(repo, lambda d: d.update(owner="alice", progress=50), bump=False)
    hand_edit(repo, lambda d: d.update(revision=d["revision"] + 1, updated_at=LATER), bump=False)
    code, codes, _ = guard(repo)
    assert (code, codes) == (1, {"M101", "M301"})


def test_changes_only_leaves_the_file_rules_to_milestone_validate(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    hand_edit(repo, lambda d: d.update(progress=50, handoff_notes="x"), bump=False)
    assert guard(repo)[:2] == (1, {"M101", "M201", "M202"})
    assert guard(repo, "--changes-only")[:2] == (1, {"M201", "M202"})
    repo.git("reset", "-q", "--hard")
    hand_edit(repo, lambda d: d.update(handoff_notes="x"))
    hand_edit(repo, lambda d: d.update(progress=50), bump=False)
    assert guard(repo)[:2] == (1, {"M101"})
    assert guard(repo, "--changes-only")[:2] == (0, set())
    repo.write("MILESTONES/Bad Name.json", "{}")
    repo.git("add", "MILESTONES")
    assert guard(repo, "--changes-only")[:2] == (0, set())


def test_quiet_prints_nothing_on_success_and_problems_on_failure(repo: Repo) -> None:
    new_milestone(repo, "--claim")
    hand_edit(repo, lambda d: d.update(handoff_notes="fine"))
    ran = repo.gm("validate", "--staged", "--quiet")
    assert (ran.exit_code, ran.stdout, ran.stderr) == (0, "", "")
    hand_edit(repo, lambda d: d.update(progress=50), bump=False)
    ran = repo.gm("validate", "--staged", "-q")
    assert ran.exit_code == 1
    assert "M101" in ran.stdout
