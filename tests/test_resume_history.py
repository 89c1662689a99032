"""`resume` reads a milestone's last commits with a walk limited to its file, which git
answers from the commit-graph's changed-path Bloom filters (`init` writes them, `doctor`
checks them), so its cost does not grow with the length of history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import Repo


def bloom_statistics(trace: Path) -> dict[str, int]:
    for line in trace.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("category") == "bloom" and event.get("key") == "statistics":
            value = event["value"]
            return dict(json.loads(value) if isinstance(value, str) else value)
    return {}


def history(repo: Repo) -> None:
    """`target` with seven commits among other milestones' and unrelated ones."""
    assert repo.gm("init").exit_code == 0
    assert repo.gm("new", "Target", "--id", "target", "--step", "a", "--step", "b").exit_code == 0
    assert repo.gm("new", "Other", "--id", "other", "--step", "a", "--step", "b").exit_code == 0
    for n in range(3):
        for who in ("target", "other"):
            assert repo.gm("handoff", who, "--notes", f"round {n}").exit_code == 0
        repo.write(f"src/file{n}.txt", f"{n}\n")
        repo.git("add", "src")
        repo.git("commit", "-qm", f"unrelated {n}")
    # A commit whose message names the milestone but that does not change its file.
    repo.git("commit", "-q", "--allow-empty", "-m", "note\n\nMilestone: target\n")


def doctor_checks(repo: Repo) -> dict[str, dict[str, object]]:
    ran = repo.gm("doctor", "--json")
    return {c["check"]: c for c in json.loads(ran.stdout)["data"]["checks"]}


def test_init_writes_a_commit_graph_with_changed_paths_and_doctor_checks_it(repo: Repo) -> None:
    ran = repo.gm("init", "--json")
    assert json.loads(ran.stdout)["data"]["commit_graph"] == "written"
    checks = {
        c["check"]: c for c in json.loads(repo.gm("doctor", "--json").stdout)["data"]["checks"]
    }
    assert checks["commit-graph"]["ok"] is True
    assert json.loads(repo.gm("init", "--json").stdout)["data"]["commit_graph"] == "present"
    graphs = repo.path / ".git" / "objects" / "info"
    (graphs / "commit-graph").unlink(missing_ok=True)
    shutil.rmtree(graphs / "commit-graphs", ignore_errors=True)
    check = doctor_checks(repo)["commit-graph"]
    assert check["ok"] is False
    assert "git commit-graph write --reachable --changed-paths" in str(check["fix"])


def test_resume_reads_the_last_commits_of_its_file_through_the_bloom_filters(
    repo: Repo, tmp_path: Path
) -> None:
    history(repo)
    repo.git("commit-graph", "write", "--reachable", "--changed-paths")
    trace = tmp_path / "trace.json"
    ran = repo.gm_proc("resume", "target", "--json", env={"GIT_TRACE2_EVENT": str(trace)})
    assert ran.exit_code == 0, ran.stderr
    recent = json.loads(ran.stdout)["data"]["recent_commits"]
    # The commits that changed its file, newest first; not the one that only names it.
    assert [r["action"] for r in recent] == ["handoff", "handoff", "handoff", "create"]
    expected = repo.git("log", "--format=%H", "--", "MILESTONES/target.json").split()
    assert [r["commit"] for r in recent] == expected
    stats = bloom_statistics(trace)
    # git answered "not this path" from the filters for the other milestone's commits and
    # the unrelated ones, without reading their trees.
    assert stats.get("definitely_not", 0) >= 6
