"""The summary cache can never make `list`/`next` show what the files do not say.

Each test lets the commands fill the cache, changes the repository behind its back, then
runs `list --all --json`, `next --json` and `validate --json` with the cache as it is and
again with no cache at all (the truth): both runs must agree, byte for byte.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from gitmilestone import cache, summary
from gitmilestone.config import load_settings
from gitmilestone.model import Milestone
from gitmilestone.rules import check_document, is_readable
from tests.conftest import Repo
from tests.test_model import milestone_documents, seed_doc

DIR = "MILESTONES"


def cache_file(repo: Repo, worktree: Path | None = None) -> Path:
    return repo.git_dir(worktree) / cache.CACHE_FILE


def views(repo: Repo) -> list[tuple[int, object]]:
    out = []
    for args in (("list", "--all", "--json"), ("next", "--json"), ("validate", "--json")):
        ran = repo.gm(*args)
        out.append((ran.exit_code, json.loads(ran.stdout)))
    return out


def agree(repo: Repo) -> list[tuple[int, object]]:
    """The views with the cache as it is, checked against the views with no cache."""
    cached = views(repo)
    cache_file(repo).unlink(missing_ok=True)
    truth = views(repo)
    assert cached == truth
    return truth


def listed(views_: list[tuple[int, object]]) -> dict[str, dict[str, object]]:
    data = views_[0][1]
    assert isinstance(data, dict)
    return {m["milestone_id"]: m for m in data["data"]["milestones"]}


def unreadable(views_: list[tuple[int, object]]) -> list[str]:
    data = views_[0][1]
    assert isinstance(data, dict)
    return list(data["data"]["unreadable"])


@pytest.fixture
def board(repo: Repo) -> Repo:
    """Four milestones, committed, and a cache filled from them."""
    for mid in ("alpha", "bravo", "charlie", "delta"):
        ran = repo.gm("new", f"Work {mid}", "--id", mid, "--step", "one", "--step", "two")
        assert ran.exit_code == 0, ran.stderr
    assert repo.gm("claim", "bravo", "--as", "bob").exit_code == 0
    assert repo.gm("list").exit_code == 0
    assert cache_file(repo).exists()
    return repo


def path(repo: Repo, mid: str) -> Path:
    return repo.path / DIR / f"{mid}.json"


def same_size_edit(file: Path, old: str, new: str) -> None:
    """Change the content, keep the size, and put the old mtime back."""
    assert len(old) == len(new)
    before = file.stat()
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert file.stat().st_size == before.st_size
    assert file.stat().st_mtime_ns == before.st_mtime_ns


def test_an_unchanged_repository_is_read_from_the_cache_and_agrees(board: Repo) -> None:
    truth = agree(board)
    assert sorted(listed(truth)) == ["alpha", "bravo", "charlie", "delta"]
    # Once the files have settled, a run over unchanged files does not rewrite the cache.
    written = cache_file(board).stat().st_mtime_ns
    board.gm("list")
    assert cache_file(board).stat().st_mtime_ns == written


def test_same_size_same_mtime_different_content(board: Repo) -> None:
    same_size_edit(path(board, "alpha"), '"title": "Work alpha"', '"title": "Work ALPHA"')
    same_size_edit(path(board, "charlie"), '"priority": "MEDIUM"', '"priority": "LOW"   ')
    truth = agree(board)
    assert listed(truth)["alpha"]["title"] == "Work ALPHA"


def test_same_size_edit_that_makes_the_file_invalid(board: Repo) -> None:
    same_size_edit(path(board, "delta"), '"status": "pending"', '"status": "pendinX"')
    truth = agree(board)
    assert "delta" not in listed(truth)
    assert unreadable(truth) == [f"{DIR}/delta.json"]
    assert truth[2][0] == 1


def test_an_entry_recorded_while_the_file_was_racy_is_not_trusted(board: Repo) -> None:
    """A cache entry whose stat matches the file is trusted only when the file did not
    change in or after the tick the cache was written: otherwise it is hashed again."""
    file = path(board, "alpha")
    settings_ = load_settings(board.path)
    expected = cache.fingerprint(settings_)
    forged = json.loads(file.read_text(encoding="utf-8"))
    forged["title"] = "Forged title"
    forged_bytes = (json.dumps(forged, indent=2) + "\n").encode()
    key = ("alpha.json", cache.blob_id(forged_bytes))
    row = summary.to_row(summary.from_document(forged))
    st = file.stat()
    sig = cache._signature(st)
    store = cache_file(board)
    cache.save(store, expected, {"alpha.json": (sig, key[1])}, {key: row})
    # Written in the same tick as the file changed: racy, so the file is read again.
    os.utime(store, ns=(st.st_mtime_ns, max(st.st_mtime_ns, st.st_ctime_ns)))
    ran = board.gm("list", "--all", "--json")
    assert json.loads(ran.stdout)["data"]["milestones"][0]["title"] == "Work alpha"
    # The same forged entry, written well after the file's last change, is believed: the
    # stat signature and the tick are all that stand between the cache and the file.
    cache.save(store, expected, {"alpha.json": (sig, key[1])}, {key: row})
    os.utime(store, ns=(st.st_mtime_ns + 10**9, max(st.st_mtime_ns, st.st_ctime_ns) + 10**9))
    ran = board.gm("list", "--all", "--json")
    assert json.loads(ran.stdout)["data"]["milestones"][0]["title"] == "Forged title"


def test_rewritten_in_the_same_tick_as_the_cache(board: Repo) -> None:
    file = path(board, "bravo")
    for round_ in range(3):
        board.gm("list")
        doc = json.loads(file.read_text(encoding="utf-8"))
        doc["title"] = f"Work brav{round_}"
        file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        truth = agree(board)
        assert listed(truth)["bravo"]["title"] == f"Work brav{round_}"


def test_renames(board: Repo) -> None:
    os.rename(path(board, "alpha"), path(board, "zulu"))  # misnamed now (M003)
    os.replace(path(board, "charlie"), path(board, "delta"))  # over another milestone
    truth = agree(board)
    assert sorted(listed(truth)) == ["alpha", "bravo", "charlie"]
    codes = {f["code"] for f in truth[2][1]["data"]["findings"]}  # type: ignore[index]
    assert "M003" in codes


def test_a_file_swapped_for_a_copy_of_another(board: Repo) -> None:
    shutil.copyfile(path(board, "alpha"), path(board, "bravo"))
    truth = agree(board)
    assert "bravo" not in listed(truth)


def test_symlinks(board: Repo, tmp_path: Path) -> None:
    path(board, "alpha").unlink()
    path(board, "alpha").symlink_to("bravo.json")  # inside the repository
    outside = tmp_path / "outside.json"
    shutil.copyfile(path(board, "charlie"), outside)
    path(board, "charlie").unlink()
    path(board, "charlie").symlink_to(outside)  # out of the repository: refused
    path(board, "echo").symlink_to("nowhere.json")  # dangling
    truth = agree(board)
    assert f"{DIR}/charlie.json" in unreadable(truth)
    assert f"{DIR}/echo.json" in unreadable(truth)
    agree(board)


def test_the_milestone_directory_becomes_a_link_out_of_the_repository(
    board: Repo, tmp_path: Path
) -> None:
    shutil.copytree(board.path / DIR, tmp_path / "elsewhere", symlinks=True)
    shutil.rmtree(board.path / DIR)
    (board.path / DIR).symlink_to(tmp_path / "elsewhere")
    truth = agree(board)
    assert listed(truth) == {}
    assert len(unreadable(truth)) == 4


def test_deletions_and_additions(board: Repo) -> None:
    path(board, "delta").unlink()
    shutil.copyfile(path(board, "alpha"), path(board, "alpha2"))
    truth = agree(board)
    assert "delta" not in listed(truth)
    path(board, "alpha2").unlink()
    path(board, "alpha").unlink()
    truth = agree(board)
    assert sorted(listed(truth)) == ["bravo", "charlie"]


def test_chmod(board: Repo) -> None:
    path(board, "alpha").chmod(0o000)
    path(board, "bravo").chmod(0o755)
    try:
        agree(board)
    finally:
        path(board, "alpha").chmod(0o644)
    agree(board)


def test_index_only_changes_and_a_lying_index(board: Repo) -> None:
    # Staged content that differs from the file, then the file put back.
    file = path(board, "alpha")
    original = file.read_bytes()
    file.write_bytes(original.replace(b"Work alpha", b"Staged alpha"))
    board.git("add", str(file))
    file.write_bytes(original)
    agree(board)
    # git told not to look at the file, then the file edited: git's stat check would lie.
    board.git("update-index", "--assume-unchanged", f"{DIR}/bravo.json")
    same_size_edit(path(board, "bravo"), '"title": "Work bravo"', '"title": "Work BRAVO"')
    assert board.git("diff", "--name-only", "--", f"{DIR}/bravo.json") == ""
    truth = agree(board)
    assert listed(truth)["bravo"]["title"] == "Work BRAVO"
    board.git("rm", "--cached", "-q", f"{DIR}/charlie.json")
    agree(board)


def test_checkout_of_another_branch_and_back(board: Repo) -> None:
    board.git("checkout", "-q", "-b", "other")
    assert board.gm("advance", "alpha").exit_code == 0
    assert board.gm("abandon", "delta", "--reason", "not needed").exit_code == 0
    board.gm("list")
    board.git("checkout", "-q", "main")
    truth = agree(board)
    assert listed(truth)["alpha"]["status"] == "pending"
    board.git("checkout", "-q", "other")
    truth = agree(board)
    assert listed(truth)["alpha"]["status"] == "in_progress"
    assert listed(truth)["delta"]["status"] == "abandoned"


def test_a_changed_settings_file(board: Repo) -> None:
    (board.path / "SESSIONS").mkdir()
    shutil.copytree(board.path / DIR, board.path / "SESSIONS" / "MILESTONES")
    path(board, "alpha").unlink()
    board.write(".gitmilestone.toml", 'dir = "SESSIONS/MILESTONES"\n')
    truth = agree(board)
    assert "alpha" in listed(truth)
    board.write(".gitmilestone.toml", 'lease = "1s"\n')
    truth = agree(board)
    assert listed(truth)["bravo"]["lease_active"] is True


@pytest.mark.parametrize(
    "damage",
    ["truncated", "flipped", "garbage", "empty", "foreign", "old-format", "directory"],
)
def test_a_damaged_or_foreign_cache_file_is_rebuilt(board: Repo, damage: str) -> None:
    store = cache_file(board)
    data = store.read_bytes()
    if damage == "truncated":
        store.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":  # a title in the payload: only the digest can tell
        store.write_bytes(data.replace(b"Work charlie", b"Work Charlie"))
    elif damage == "garbage":
        store.write_bytes(os.urandom(len(data)))
    elif damage == "empty":
        store.write_bytes(b"")
    elif damage == "foreign":
        store.write_text("[core]\n\tbare = false\n")
    elif damage == "old-format":
        store.write_bytes(data.replace(b"summary-cache 1 ", b"summary-cache 0 ", 1))
    else:
        store.unlink()
        store.mkdir()
    cached = views(board)
    assert listed(cached)["charlie"]["title"] == "Work charlie"
    if damage == "directory":
        store.rmdir()
    agree(board)


def test_files_that_are_not_plain_milestone_files(board: Repo) -> None:
    big = path(board, "big")
    big.write_text('{"x": "' + "a" * (1024 * 1024) + '"}\n', encoding="utf-8")
    os.mkfifo(path(board, "pipe"))  # must not hang
    path(board, "folder").mkdir()
    path(board, "bad").write_bytes(b"\xef\xbb\xbf{}")
    truth = agree(board)
    assert set(unreadable(truth)) >= {f"{DIR}/big.json", f"{DIR}/pipe.json", f"{DIR}/bad.json"}
    agree(board)


def test_each_worktree_has_its_own_cache(board: Repo, tmp_path: Path) -> None:
    other = tmp_path / "other"
    board.git("worktree", "add", "-q", "-b", "side", str(other))
    assert cache_file(board, other) != cache_file(board)
    same_size_edit(other / DIR / "alpha.json", '"title": "Work alpha"', '"title": "Work ALPHA"')
    board.monkeypatch.chdir(other)
    side = Repo(other, board.monkeypatch)
    truth = agree(side)
    assert listed(truth)["alpha"]["title"] == "Work ALPHA"
    assert listed(agree(board))["alpha"]["title"] == "Work alpha"


def test_concurrent_readers_and_writers(board: Repo) -> None:
    """Listing processes race each other and an editor; each shows a state the files had,
    and the cache they leave agrees with the files."""
    titles = {f"Work al{n:03d}" for n in range(40)} | {"Work alpha"}
    stop = threading.Event()

    def edit() -> None:
        file = path(board, "alpha")
        doc = json.loads(file.read_text(encoding="utf-8"))
        n = 0
        while not stop.wait(0.002):
            doc["title"] = f"Work al{n % 40:03d}"
            text = json.dumps(doc, indent=2) + "\n"
            if n % 2:  # in place, as an editor might (a reader may see it half written)
                file.write_text(text, encoding="utf-8")
            else:  # a new file renamed over it
                file.with_suffix(".tmp").write_text(text, encoding="utf-8")
                os.replace(file.with_suffix(".tmp"), file)
            n += 1

    seen: list[str] = []
    failures: list[str] = []

    def lister() -> None:
        for _ in range(3):
            proc = subprocess.run(
                [sys.executable, "-m", "gitmilestone", "list", "--all", "--json"],
                cwd=board.path,
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                failures.append(proc.stderr)
                continue
            for m in json.loads(proc.stdout)["data"]["milestones"]:
                if m["milestone_id"] == "alpha":
                    seen.append(m["title"])

    editor = threading.Thread(target=edit)
    readers = [threading.Thread(target=lister) for _ in range(4)]
    editor.start()
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    stop.set()
    editor.join()
    assert not failures
    assert seen and set(seen) <= titles
    agree(board)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=milestone_documents())
def test_a_summary_says_what_the_model_says(doc: dict[str, object]) -> None:
    checked = check_document("f.json", doc)
    assert is_readable(doc) is (checked.milestone is not None)
    if checked.milestone is None:
        return
    m: Milestone = checked.milestone
    s = summary.from_document(doc)
    assert summary.from_row(summary.to_row(s)) == s
    step = m.current_step
    assert s == summary.Summary(
        m.milestone_id,
        m.title,
        m.priority,
        m.status,
        m.progress,
        m.owner,
        m.created_at,
        m.updated_at,
        len(m.steps),
        m.done_count,
        None if step is None else summary.CurrentStep(step.step, step.description, step.status),
        m.depends_on or (),
        m.blockers,
        m.next_session_should,
        m.revision,
        m.updated_by,
        tuple(
            summary.CurrentStep(b.step, b.description, b.status)
            for b in m.steps
            if b.status == "blocked"
        ),
        m.renewed_at,
    )


EDGE_TIMES = [
    "2025-03-04T05:06:07Z",
    "2025-03-04T05:06:07.123Z",
    "2025-03-04T05:06:07.123456Z",
    "2025-03-04t05:06:07z",
    "2025-03-04T05:06:07+05:30",
    "2025-03-04 05:06:07 UTC",
    "0000-01-01T00:00:00Z",
    "0000-06-01 00:00:00 UTC",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:59:59.999Z",
    "9999-12-31T23:30:00-01:00",
    "2023-02-29T00:00:00Z",
    "1900-02-29 00:00:00 UTC",
    "2000-02-29T00:00:00Z",
    "2024-02-29T23:59:59-23:59",
    "2025-03-04T05:06:07Z\n",
]


@pytest.mark.parametrize("stamp", EDGE_TIMES)
@pytest.mark.parametrize("where", ["created_at", "renewed_at", "step"])
def test_a_timestamp_the_schema_lets_through_is_read_as_the_model_reads_it(
    stamp: str, where: str
) -> None:
    """The cheap test of timestamps that passed the schema's pattern (year 0, 29 February,
    an offset out of the calendar, a trailing newline) agrees with reading the model."""
    doc: dict[str, object] = {
        "milestone_id": "edge",
        "title": "Edge",
        "priority": "LOW",
        "owner": None,
        "status": "in_progress",
        "progress": 0,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-02T00:00:00Z",
        "steps": [
            {"step": 1, "description": "one", "status": "in_progress", "started_by": "a"},
        ],
        "next_session_should": [],
        "blockers": [],
        "handoff_notes": "",
    }
    if where == "step":
        doc["steps"][0]["started_at"] = stamp  # type: ignore[index]
    else:
        doc[where] = stamp
    checked = check_document("edge.json", doc)
    assert is_readable(doc) is (checked.milestone is not None)
    if checked.milestone is not None:
        s = summary.from_document(doc)
        assert (s.created_at, s.renewed_at) == (
            checked.milestone.created_at,
            checked.milestone.renewed_at,
        )


def _many_kinds_of_file(directory: Path) -> None:
    """Valid milestones and files that fail every way a file can fail, each kind many times."""
    base = seed_doc()
    for i in range(12):
        doc = copy.deepcopy(base)
        doc["milestone_id"] = f"good-{i}"
        doc["priority"] = ("HIGH", "MEDIUM", "LOW")[i % 3]
        doc["title"] = f"Work {i} — café 部署"
        broken = {
            0: {},
            1: {"status": "finished"},
            2: {"created_at": "2023-02-29T00:00:00Z"},
            3: {"progress": 101},
            4: {"owner": "two\nlines"},
            5: {"milestone_id": "not-the-file-name"},
        }.get(i % 7)
        name = f"good-{i}" if broken is None or i % 7 == 0 else f"bad-{i}"
        doc.update(broken or {})
        (directory / f"{name}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        text = json.dumps(doc)
        for suffix, data in (
            ("syntax", text[:-5].encode()),
            ("bom", b"\xef\xbb\xbf" + text.encode()),
            ("latin1", text.replace("café", "caf\xe9").encode("latin-1", "replace")),
            ("twice", text.replace("{", '{"title": "x", ', 1).encode()),
            ("array", f"[{text}]".encode()),
            ("empty", b""),
            ("nan", text.replace('"progress": 0', '"progress": NaN').encode()),
        ):
            (directory / f"{suffix}-{i}.json").write_bytes(data)
    (directory / "big.json").write_text('{"x": "' + "a" * (1024 * 1024) + '"}\n')
    (directory / "folder.json").mkdir()
    (directory / "link.json").symlink_to(directory / "good-1.json")


def test_checking_in_two_processes_gives_what_one_process_gives(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many files to check are shared with a forked child: the answer, the cache written
    and the commands' output are the same as when one process checks them all, and a child
    that fails leaves its half to this process."""
    directory = repo.path / DIR
    directory.mkdir(exist_ok=True)
    _many_kinds_of_file(directory)
    time.sleep(0.1)  # settled: both runs record the same signatures
    settings_ = load_settings(repo.path)
    git_dir = cache_file(repo).parent
    forks: list[object] = []
    fork = cache._fork

    def counted(*args: Any) -> object:
        forks.append(child := fork(*args))
        return child

    monkeypatch.setattr(cache, "_fork", counted)

    def run(least: int) -> tuple[cache.Listing, bytes, list[tuple[int, object]]]:
        monkeypatch.setattr(cache, "PARALLEL_MIN", least)
        cache_file(repo).unlink(missing_ok=True)
        listing = cache.read_summaries(repo.path, directory, git_dir, settings_)
        written = cache_file(repo).read_bytes()
        cache_file(repo).unlink()
        return listing, written, views(repo)

    one = run(10**9)
    assert forks == []
    monkeypatch.setattr(cache, "_spare_cores", lambda: -0.5)  # every core busy: no child
    assert run(2) == one
    assert forks == []
    monkeypatch.setattr(cache, "_spare_cores", lambda: 1.0)
    assert len(one[0].summaries) > 6 and len(one[0].unreadable) > 80
    assert run(2) == one
    # read_summaries and `list` (`next` finds what `list` wrote, `validate` has no cache)
    assert len(forks) == 2 and None not in forks

    parent = os.getpid()
    fresh = cache._fresh

    def fails_in_the_child(*args: Any) -> object:
        if os.getpid() != parent:
            raise OSError("the child fails")
        return fresh(*args)

    monkeypatch.setattr(cache, "_fresh", fails_in_the_child)
    assert run(2) == one
    assert len(forks) == 4
