"""`git milestone validate` and `git milestone schema` through the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitmilestone.schema import SCHEMA_FILE
from tests.conftest import Repo, seed_bytes

SEED_FILE = "MILESTONES/deploy-dashboard.json"
SCHEMA_ID = "https://gitmilestone.dev/schema/milestone-v1.schema.json"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def seed_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(seed_bytes())
    return doc


def seed_with(edit: Callable[[dict[str, Any]], None], progress: int = 33) -> bytes:
    """The seed (with its progress fixed) after `edit`, written as a person might."""
    doc = seed_doc()
    doc["progress"] = progress
    edit(doc)
    return json.dumps(doc, indent=2).encode()


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target: Any = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return edit


def _drop(*path: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target: Any = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return edit


def findings(stdout: str) -> list[dict[str, str]]:
    envelope = json.loads(stdout)
    assert envelope["schema_version"] == 1
    result: list[dict[str, str]] = envelope["data"]["findings"]
    return result


def check_jsonschema() -> str:
    beside = Path(sys.executable).with_name("check-jsonschema")
    found = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    if found is None:
        pytest.skip("check-jsonschema is not installed")
    return found


# --- the seed -------------------------------------------------------------------------


def test_the_seed_is_reported_for_m101_only(seeded: Repo) -> None:
    ran = seeded.gm("validate")
    assert ran.exit_code == 1
    assert ran.stdout == (
        f"{SEED_FILE}: M101 $.progress: progress is 50 but 2 of 6 steps are done; "
        "set progress to 33\n"
    )
    assert "1 problem(s) in 1 of 1 file(s)" in ran.stderr


def test_the_seed_is_reported_for_m101_in_json(seeded: Repo) -> None:
    ran = seeded.gm("validate", "--json")
    assert ran.exit_code == 1
    envelope = json.loads(ran.stdout)
    assert envelope["ok"] is False
    assert envelope["error"]["code"] == "findings"
    assert envelope["data"] == {
        "files": 1,
        "findings": [
            {
                "code": "M101",
                "file": SEED_FILE,
                "path": "$.progress",
                "message": "progress is 50 but 2 of 6 steps are done; set progress to 33",
            }
        ],
    }


def test_the_seed_with_progress_33_is_clean(repo: Repo) -> None:
    repo.write(SEED_FILE, seed_bytes().replace(b'"progress": 50', b'"progress": 33'))
    text = repo.gm("validate")
    assert text.exit_code == 0
    assert "1 milestone file(s) checked, no problems" in text.stdout
    as_json = repo.gm("validate", "--json")
    assert as_json.exit_code == 0
    envelope = json.loads(as_json.stdout)
    assert envelope["ok"] is True
    assert envelope["data"] == {"files": 1, "findings": []}


def test_validate_as_a_real_process(seeded: Repo) -> None:
    ran = seeded.gm_proc("validate", SEED_FILE)
    assert ran.exit_code == 1
    assert ran.stdout.startswith(f"{SEED_FILE}: M101 $.progress: ")
    assert "Traceback" not in ran.stderr


# --- which files ----------------------------------------------------------------------


def test_validate_checks_every_json_file_in_the_directory_and_ignores_others(
    repo: Repo,
) -> None:
    repo.write("MILESTONES/README.md", "# not a milestone\n")
    repo.write("MILESTONES/notes.txt", "{")
    repo.write("MILESTONES/nested/deep.json", "{")
    repo.write(SEED_FILE, seed_with(lambda d: None))
    repo.write("MILESTONES/other.json", seed_bytes())
    ran = repo.gm("validate", "--json")
    assert ran.exit_code == 1
    assert json.loads(ran.stdout)["data"]["files"] == 2
    assert {(f["file"], f["code"]) for f in findings(ran.stdout)} == {
        ("MILESTONES/other.json", "M003"),
        ("MILESTONES/other.json", "M101"),
    }


def test_validate_checks_only_the_given_paths(repo: Repo) -> None:
    repo.write("MILESTONES/broken.json", "{")
    repo.write("elsewhere/deploy-dashboard.json", seed_with(lambda d: None))
    ran = repo.gm("validate", "elsewhere/deploy-dashboard.json")
    assert ran.exit_code == 0, ran.stdout
    assert "1 milestone file(s) checked, no problems" in ran.stdout


def test_validate_with_no_milestone_directory_is_clean(repo: Repo) -> None:
    ran = repo.gm("validate")
    assert ran.exit_code == 0
    assert "0 milestone file(s) checked" in ran.stdout


def test_validate_reports_a_file_named_differently_from_its_id(repo: Repo) -> None:
    repo.write("MILESTONES/renamed.json", seed_with(lambda d: None))
    ran = repo.gm("validate")
    assert ran.exit_code == 1
    assert ran.stdout.startswith("MILESTONES/renamed.json: M003 $.milestone_id: ")
    assert "set milestone_id to 'renamed'" in ran.stdout


def test_validate_reports_a_missing_path(repo: Repo) -> None:
    ran = repo.gm("validate", "MILESTONES/nope.json")
    assert ran.exit_code == 1
    assert ran.stdout.startswith("MILESTONES/nope.json: M001 $: no such file")


def test_validate_takes_milestone_ids_as_fix_does(repo: Repo) -> None:
    repo.write("MILESTONES/deploy-dashboard.json", seed_with(lambda d: None))
    repo.write("MILESTONES/broken.json", "{")
    ran = repo.gm("validate", "deploy-dashboard")
    assert ran.exit_code == 0, ran.stdout
    assert "1 milestone file(s) checked, no problems" in ran.stdout
    ran = repo.gm("validate", "nope")
    assert ran.exit_code == 1
    assert ran.stdout.startswith("nope: M001 $: no such file")


def test_validate_works_from_a_subdirectory(repo: Repo) -> None:
    repo.write(SEED_FILE, seed_bytes())
    (repo.path / "src").mkdir()
    ran = subprocess.run(
        [sys.executable, "-m", "gitmilestone", "validate"],
        cwd=repo.path / "src",
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 1
    assert f"{SEED_FILE}: M101" in ran.stdout


# --- bad input: a coded finding, never a traceback ------------------------------------

BIG = json.dumps({**seed_doc(), "progress": 33, "x-pad": "a" * (1024 * 1024)}).encode()
BAD_INPUT = [
    pytest.param(b"{", "M001", "$", "not valid JSON", id="invalid-json"),
    pytest.param(b"", "M001", "$", "not valid JSON", id="empty-file"),
    pytest.param(
        seed_bytes().replace(b"Dashboard", b"Dashb\xf6ard"), "M001", "$", "UTF-8", id="latin-1"
    ),
    pytest.param(b"\xef\xbb\xbf" + seed_bytes(), "M001", "$", "byte order mark", id="bom"),
    pytest.param(
        seed_bytes().replace(b'"priority": "HIGH",', b'"priority": "HIGH", "priority": "LOW",'),
        "M001",
        "$",
        "appears twice",
        id="duplicate-key",
    ),
    pytest.param(
        seed_bytes().replace(b'"step": 3,', b'"step": 3, "notes": "a",'),
        "M001",
        "$",
        "appears twice",
        id="duplicate-key-in-a-step",
    ),
    pytest.param(BIG, "M001", "$", "1 MiB", id="over-1-mib"),
    pytest.param(
        seed_bytes().replace(b'"progress": 50', b'"progress": NaN'), "M001", "$", "NaN", id="nan"
    ),
    pytest.param(b"[" * 50_000 + b"]" * 50_000, "M001", "$", "deeply", id="deep-nesting"),
    pytest.param(
        seed_bytes().replace(b'"HIGH"', b'"\\udc00"'), "M001", "$", "surrogate", id="surrogate"
    ),
    pytest.param(b"[]", "M002", "$", "must be an object", id="array"),
    pytest.param(b'"milestone"', "M002", "$", "must be an object", id="string"),
    pytest.param(
        seed_with(_set("steps", 2, "notes", value=5)), "M002", "$.steps[2].notes", "5", id="notes-5"
    ),
    pytest.param(
        seed_with(_set("context", "related_files", value="x")),
        "M002",
        "$.context.related_files",
        "'x'",
        id="related-files-string",
    ),
    pytest.param(
        seed_with(_set("context", "dependencies", 1, value=["nested"])),
        "M002",
        "$.context.dependencies[1]",
        "nested",
        id="dependency-list",
    ),
    pytest.param(seed_with(_set("owner", value=3)), "M002", "$.owner", "3", id="owner-3"),
    pytest.param(
        seed_with(_set("steps", 1, value="Test dashboard locally")),
        "M002",
        "$.steps[1]",
        "must be an object",
        id="step-string",
    ),
    pytest.param(
        seed_with(_set("steps", value={"1": "x"})), "M002", "$.steps", "a list", id="steps-object"
    ),
    pytest.param(
        seed_with(_set("steps", 0, "step", value="1")),
        "M002",
        "$.steps[0].step",
        "whole number",
        id="step-number-string",
    ),
    pytest.param(
        seed_with(_set("steps", 4, "status", value="done")),
        "M002",
        "$.steps[4].status",
        "done",
        id="step-status",
    ),
    pytest.param(
        seed_with(_drop("steps", 3, "description")),
        "M002",
        "$.steps[3]",
        "description",
        id="step-without-description",
    ),
    pytest.param(
        seed_with(_set("handoff_notes", value=None)),
        "M002",
        "$.handoff_notes",
        "None is null; handoff_notes must be a string",
        id="required-null",
    ),
    pytest.param(
        seed_with(_set("progress", value="33")), "M002", "$.progress", "'33'", id="progress-str"
    ),
    pytest.param(
        seed_with(_set("progress", value=150)), "M002", "$.progress", "150", id="progress-150"
    ),
    pytest.param(
        seed_with(_set("priority", value="URGENT")), "M002", "$.priority", "URGENT", id="priority"
    ),
    pytest.param(
        seed_with(_set("title", value="two\nlines")), "M002", "$.title", "two", id="title-lines"
    ),
    pytest.param(seed_with(_set("title", value="")), "M002", "$.title", "''", id="title-empty"),
    pytest.param(
        seed_with(_set("milestone_id", value="Deploy Dashboard")),
        "M002",
        "$.milestone_id",
        "Deploy",
        id="id-pattern",
    ),
    pytest.param(
        seed_with(_drop("title")), "M002", "$", "missing required key 'title'", id="no-title"
    ),
    pytest.param(seed_with(_set("assignee", value="bob")), "M002", "$", "assignee", id="extra-key"),
    pytest.param(
        seed_with(_set("context", "owner", value="bob")),
        "M002",
        "$.context",
        "owner",
        id="context-extra-key",
    ),
    pytest.param(
        seed_with(_set("created_at", value="yesterday")),
        "M002",
        "$.created_at",
        "yesterday",
        id="created-words",
    ),
    pytest.param(
        seed_with(_set("created_at", value="2025-02-30 00:20:00 UTC")),
        "M002",
        "$.created_at",
        "not a valid date",
        id="created-feb-30",
    ),
    pytest.param(
        seed_with(_set("steps", 0, "completed_at", value="0001-01-01T00:00:00+01:00")),
        "M002",
        "$.steps[0].completed_at",
        "not a valid date",
        id="completed-year-0",
    ),
    pytest.param(
        seed_with(_set("depends_on", value=["registry", "orchestrator\n"])),
        "M002",
        "$.depends_on[1]",
        "orchestrator",
        id="depends-on-newline",
    ),
    pytest.param(
        seed_with(_set("blockers", value="none")), "M002", "$.blockers", "none", id="blockers-str"
    ),
    pytest.param(seed_with(_set("revision", value=-1)), "M002", "$.revision", "-1", id="revision"),
]


def _write_bad(repo: Repo, name: str, data: bytes) -> str:
    """Write MILESTONES/NAME.json, its id renamed to match (so M003 stays quiet)."""
    rel = f"MILESTONES/{name}.json"
    seed_id = b'"milestone_id": "deploy-dashboard"'
    repo.write(rel, data.replace(seed_id, f'"milestone_id": "{name}"'.encode(), 1))
    return rel


@pytest.mark.parametrize(("data", "code", "path", "words"), BAD_INPUT)
def test_bad_input_is_a_coded_finding_in_text(
    repo: Repo, data: bytes, code: str, path: str, words: str
) -> None:
    rel = _write_bad(repo, "bad", data)
    ran = repo.gm("validate")
    assert ran.exit_code == 1
    lines = ran.stdout.splitlines()
    assert lines and all(line.startswith(f"{rel}: {code} ") for line in lines), ran.stdout
    assert any(line.startswith(f"{rel}: {code} {path}: ") and words in line for line in lines)
    assert "Traceback" not in ran.stdout + ran.stderr


@pytest.mark.parametrize(("data", "code", "path", "words"), BAD_INPUT)
def test_bad_input_is_a_coded_finding_in_json(
    repo: Repo, data: bytes, code: str, path: str, words: str
) -> None:
    rel = _write_bad(repo, "bad", data)
    ran = repo.gm("validate", "--json")
    assert ran.exit_code == 1
    assert json.loads(ran.stdout)["ok"] is False
    found = findings(ran.stdout)
    assert {(f["file"], f["code"]) for f in found} == {(rel, code)}
    assert any(f["path"] == path and words in f["message"] for f in found), found
    assert "Traceback" not in ran.stdout + ran.stderr


def test_all_bad_input_at_once_in_a_real_process(repo: Repo) -> None:
    expected = {}
    for number, case in enumerate(BAD_INPUT):
        data, code, path, _ = case.values
        rel = _write_bad(repo, f"bad-{number}", data)
        expected[rel] = (code, path)
    repo.write(SEED_FILE, seed_with(lambda d: None))
    for as_json in (False, True):
        ran = repo.gm_proc("validate", *(["--json"] if as_json else []))
        assert ran.exit_code == 1
        assert "Traceback" not in ran.stdout + ran.stderr
        if as_json:
            got = {(f["file"], f["code"], f["path"]) for f in findings(ran.stdout)}
        else:
            got = set()
            for line in ran.stdout.splitlines():
                file, rest = line.split(": ", 1)
                code, path = rest.split(": ", 1)[0].split(" ")
                got.add((file, code, path))
        assert {(f, c, p) for f, (c, p) in expected.items()} <= got
        assert {f for f, _, _ in got} == set(expected)


def test_a_link_out_of_the_repository_is_m001(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "deploy-dashboard.json"
    outside.parent.mkdir()
    outside.write_bytes(seed_with(lambda d: None))
    (repo.path / "MILESTONES").mkdir()
    (repo.path / SEED_FILE).symlink_to(outside)
    for args in (("validate",), ("validate", SEED_FILE)):
        ran = repo.gm(*args)
        assert ran.exit_code == 1
        assert ran.stdout.startswith(f"{SEED_FILE}: M001 $: is a link that points outside")
        as_json = repo.gm(*args, "--json")
        assert [(f["code"], f["path"]) for f in findings(as_json.stdout)] == [("M001", "$")]
        assert "Traceback" not in ran.stdout + ran.stderr + as_json.stdout + as_json.stderr


def test_a_link_inside_the_repository_is_read(repo: Repo) -> None:
    repo.write("shared/deploy-dashboard.json", seed_with(lambda d: None))
    (repo.path / "MILESTONES").mkdir()
    (repo.path / SEED_FILE).symlink_to(Path("..", "shared", "deploy-dashboard.json"))
    ran = repo.gm("validate")
    assert ran.exit_code == 0, ran.stdout


def test_a_directory_named_like_a_milestone_is_m001(repo: Repo) -> None:
    (repo.path / "MILESTONES" / "odd.json").mkdir(parents=True)
    ran = repo.gm("validate", "--json")
    assert ran.exit_code == 1
    assert [(f["code"], f["file"]) for f in findings(ran.stdout)] == [
        ("M001", "MILESTONES/odd.json")
    ]


# --- the schema -----------------------------------------------------------------------


def test_schema_prints_the_package_schema(repo: Repo) -> None:
    ran = repo.gm("schema")
    assert ran.exit_code == 0
    package = Path(__file__).resolve().parents[1] / "gitmilestone" / "schema" / SCHEMA_FILE
    assert json.loads(ran.stdout) == json.loads(package.read_text(encoding="utf-8"))
    printed = json.loads(ran.stdout)
    assert printed["$id"] == SCHEMA_ID
    assert printed["$schema"] == DRAFT_2020_12
    as_json = repo.gm("schema", "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["data"] == printed


def test_the_printed_schema_judges_files_like_check_jsonschema(repo: Repo, tmp_path: Path) -> None:
    tool = check_jsonschema()
    schema_file = tmp_path / "milestone.schema.json"
    schema_file.write_text(repo.gm("schema").stdout, encoding="utf-8")
    cases = {
        "deploy-dashboard": seed_bytes(),
        "fixed": seed_with(lambda d: None),
        "owner-3": seed_with(_set("owner", value=3)),
        "notes-5": seed_with(_set("steps", 2, "notes", value=5)),
        "files-x": seed_with(_set("context", "related_files", value="x")),
        "step-string": seed_with(_set("steps", 1, value="a step")),
        "depends-newline": seed_with(_set("depends_on", value=["registry\n"])),
        "extra": seed_with(_set("assignee", value="bob")),
        "x-keys": seed_with(_set("steps", 0, "x-ci", value={"run": 7})),
        "float-progress": seed_with(_set("progress", value=33.0)),
        "no-steps": seed_with(_drop("steps")),
    }
    for name, data in cases.items():
        _write_bad(repo, name, data)
    files = sorted(str(p) for p in (repo.path / "MILESTONES").glob("*.json"))
    ran = subprocess.run(
        [tool, "--schemafile", str(schema_file), "-o", "json", *files],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    report = json.loads(ran.stdout)
    assert report["parse_errors"] == []
    theirs = {(Path(e["filename"]).name, e["path"]) for e in report["errors"]}
    ours_ran = repo.gm("validate", "--json")
    ours = {
        (Path(f["file"]).name, f["path"]) for f in findings(ours_ran.stdout) if f["code"] == "M002"
    }
    assert ours == theirs
    assert {name for name, _ in theirs} == {
        "owner-3.json",
        "notes-5.json",
        "files-x.json",
        "step-string.json",
        "depends-newline.json",
        "extra.json",
        "no-steps.json",
    }
    assert ran.returncode == 1
    clean = [str(repo.path / "MILESTONES" / f"{n}.json") for n in ("deploy-dashboard", "fixed")]
    ok = subprocess.run(
        [tool, "--schemafile", str(schema_file), *clean], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    seed_only = repo.gm("validate", clean[0], "--json")
    assert [f["code"] for f in findings(seed_only.stdout)] == ["M101"]


# --- .gitmilestone.toml ---------------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("SESSIONS/MILESTONES", id="plain"),
        pytest.param("SESSIONS/MILESTONES/", id="trailing-slash"),
        pytest.param("./SESSIONS/MILESTONES", id="dot-slash"),
    ],
)
def test_the_milestone_directory_can_move(repo: Repo, where: str) -> None:
    repo.write(".gitmilestone.toml", f'dir = "{where}"\nlease = "90m"\n')
    repo.write("MILESTONES/ignored.json", "{")
    repo.write("SESSIONS/MILESTONES/deploy-dashboard.json", seed_bytes())
    ran = repo.gm("validate")
    assert ran.exit_code == 1
    assert ran.stdout == (
        "SESSIONS/MILESTONES/deploy-dashboard.json: M101 $.progress: progress is 50 but "
        "2 of 6 steps are done; set progress to 33\n"
    )


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        pytest.param('folder = "M"\n', "unknown key 'folder'", id="unknown-key"),
        pytest.param('dir = "MILESTONES"\nowner = "x"\n', "unknown key 'owner'", id="unknown-2"),
        pytest.param('lease = "soon"\n', "lease", id="bad-lease"),
        pytest.param("lease = 2\n", "lease", id="lease-number"),
        pytest.param('dir = "../outside"\n', "inside the repository", id="dir-escapes"),
        pytest.param('dir = "/abs"\n', "inside the repository", id="dir-absolute"),
        pytest.param("dir = [\n", "not valid TOML", id="not-toml"),
    ],
)
def test_a_bad_config_is_a_clear_error(repo: Repo, toml: str, words: str) -> None:
    repo.write(".gitmilestone.toml", toml)
    repo.write(SEED_FILE, seed_with(lambda d: None))
    ran = repo.gm("validate")
    assert ran.exit_code == 1
    assert ran.stdout == ""
    assert ran.stderr.startswith("error: .gitmilestone.toml: ")
    assert words in ran.stderr
    assert len(ran.stderr.strip().splitlines()) <= 2
    as_json = repo.gm("validate", "--json")
    assert as_json.exit_code == 1
    envelope = json.loads(as_json.stdout)
    assert envelope["ok"] is False
    assert words in envelope["error"]["message"]
    assert "Traceback" not in ran.stdout + ran.stderr + as_json.stdout + as_json.stderr


@pytest.mark.parametrize(
    ("toml", "minutes"),
    [
        pytest.param("", 120, id="default-2h"),
        pytest.param('lease = "90m"\n', 90, id="90m"),
        pytest.param('lease = "1h30m"\ndir = "MILESTONES"\n', 90, id="1h30m"),
        pytest.param('lease = "1d"\n', 1440, id="1d"),
    ],
)
def test_the_lease_setting_is_read(repo: Repo, toml: str, minutes: int) -> None:
    from gitmilestone.config import load_settings

    repo.write(".gitmilestone.toml", toml)
    settings = load_settings(repo.path)
    assert settings.lease.total_seconds() == minutes * 60
    assert settings.dir == "MILESTONES"
    assert repo.gm("validate").exit_code == 0
