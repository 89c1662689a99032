"""The schema editors use: the whole truth where JSON Schema can say it (impossible times
are refused by check-jsonschema and by `validate` alike), a `$schema` key in milestone
files, a description on every field, and a copy `init` commits for new files to point at."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitmilestone.fastschema import compile_schema
from gitmilestone.schema import REPO_REF, schema
from tests.conftest import Repo
from tests.test_validate_cli import _set, _write_bad, check_jsonschema, findings, seed_with

IMPOSSIBLE = "2025-13-45T99:99:99Z"


def test_every_field_has_a_description() -> None:
    missing = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        for key, sub in node.get("properties", {}).items():
            if "description" not in sub:
                missing.append(f"{where}.{key}")
            walk(sub, f"{where}.{key}")
        for key, sub in node.get("$defs", {}).items():
            if "description" not in sub:
                missing.append(f"$defs.{key}")
            walk(sub, f"$defs.{key}")

    walk(schema(), "$")
    assert missing == []


def test_timestamps_carry_format_and_a_pattern_that_asserts_it() -> None:
    timestamp = schema()["$defs"]["timestamp"]
    rfc3339 = next(branch for branch in timestamp["anyOf"] if "format" in branch)
    assert rfc3339["format"] == "date-time"
    assert "pattern" in rfc3339


def test_fastschema_refuses_a_format_it_would_not_check() -> None:
    with pytest.raises(ValueError, match="needs a pattern"):
        compile_schema({"type": "string", "format": "date-time"})
    assert compile_schema({"type": "string", "format": "date-time", "pattern": "^2"})("2025")


def test_impossible_times_fail_in_check_jsonschema_and_in_validate(
    repo: Repo, tmp_path: Path
) -> None:
    schema_file = tmp_path / "milestone.schema.json"
    schema_file.write_text(repo.gm("schema").stdout, encoding="utf-8")
    cases = {
        "impossible": seed_with(_set("created_at", value=IMPOSSIBLE)),
        "hour-24": seed_with(_set("steps", 0, "completed_at", value="2025-11-15T24:00:00Z")),
        "april-31": seed_with(_set("updated_at", value="2025-04-31T00:00:00Z")),
        "seed-format": seed_with(_set("created_at", value="2025-11-15 00:20:00 UTC")),
        "schema-key": seed_with(lambda d: d.update({"$schema": REPO_REF})),
        "schema-int": seed_with(lambda d: d.update({"$schema": 1})),
    }
    for name, data in cases.items():
        _write_bad(repo, name, data)
    files = sorted(str(p) for p in (repo.path / "MILESTONES").glob("*.json"))
    ran = subprocess.run(
        [check_jsonschema(), "--schemafile", str(schema_file), "-o", "json", *files],
        capture_output=True,
        text=True,
    )
    theirs = {Path(e["filename"]).stem for e in json.loads(ran.stdout)["errors"]}
    ours_found = findings(repo.gm("validate", "--json").stdout)
    ours = {Path(f["file"]).stem for f in ours_found if f["code"] == "M002"}
    assert theirs == ours == {"impossible", "hour-24", "april-31", "schema-int"}
    impossible = next(f for f in ours_found if f["file"].endswith("impossible.json"))
    assert impossible["path"] == "$.created_at"
    assert "not a valid date and time" in impossible["message"]


def test_init_commits_the_schema_and_new_files_point_at_it(repo: Repo, tmp_path: Path) -> None:
    ran = repo.gm("init")
    assert ran.exit_code == 0, ran.stderr
    copy = repo.path / "MILESTONES" / "schema" / "milestone-v1.schema.json"
    assert copy.read_text(encoding="utf-8") == repo.gm("schema").stdout
    assert "MILESTONES/schema/milestone-v1.schema.json" in repo.files_in()
    assert repo.gm("new", "Edit me", "--step", "a").exit_code == 0
    text = repo.read("MILESTONES/edit-me.json")
    doc = json.loads(text)
    assert next(iter(doc)) == "$schema"
    # relative to the file itself, as VS Code and JetBrains resolve it
    assert (repo.path / "MILESTONES" / doc["$schema"]).resolve() == copy.resolve()
    # kept through writes, and valid for both validators
    assert repo.gm("advance", "edit-me").exit_code == 0
    assert json.loads(repo.read("MILESTONES/edit-me.json"))["$schema"] == doc["$schema"]
    assert repo.gm("validate").exit_code == 0
    ran_check = subprocess.run(
        [check_jsonschema(), "--schemafile", str(copy), str(repo.path / "MILESTONES/edit-me.json")],
        capture_output=True,
        text=True,
    )
    assert ran_check.returncode == 0, ran_check.stdout
    # the copy is not read as a milestone
    assert json.loads(repo.gm("validate", "--json").stdout)["data"]["files"] == 1
    assert repo.gm("init").stdout.strip() == "MILESTONES/ is already set up"


def test_init_updates_an_old_copy_and_doctor_notices_it(repo: Repo) -> None:
    assert repo.gm("init").exit_code == 0
    copy = "MILESTONES/schema/milestone-v1.schema.json"
    repo.write(copy, "{}\n")
    repo.git("commit", "-q", "-am", "an old schema")
    ran = repo.gm("doctor", "--json")
    schema_check = next(
        c for c in json.loads(ran.stdout)["data"]["checks"] if c["check"] == "schema"
    )
    assert not schema_check["ok"]
    assert "git milestone init" in schema_check["fix"]
    assert repo.gm("init").exit_code == 0
    assert repo.read(copy) == repo.gm("schema").stdout
    assert repo.files_in() == [copy]


def test_without_init_new_files_have_no_schema_key(repo: Repo) -> None:
    assert repo.gm("new", "Plain", "--step", "a").exit_code == 0
    assert "$schema" not in json.loads(repo.read("MILESTONES/plain.json"))
