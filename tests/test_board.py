"""`git milestone board`: the CURRENT_STATE.md block (Markdown and a Mermaid graph of
depends_on), kept up to date in a file one commit at a time, and a static HTML page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from gitmilestone.board import END, START, md, mermaid_label, node_id
from tests.conftest import Repo
from tests.fleet import commit_fleet

HEAD_TEXT = "# Current state\n\n## 🎯 CURRENT PRIORITY (The ONE Thing)\n\nShip it.\n\n"
TAIL_TEXT = "\n\n## Notes\n\nWritten by hand.  "  # no trailing newline, on purpose

# The Mermaid the board writes: `graph LR`, node statements, edges, classDef and class.
NODE_ID = r"[A-Za-z_][A-Za-z0-9_]*"
LABEL = r'"(?:[^"#<>`;|]|#(?:quot|amp|lt|gt|\d+);)*"'
NODE = re.compile(rf"  ({NODE_ID})\[({LABEL})\]")
EDGE = re.compile(rf"  ({NODE_ID}) --> ({NODE_ID})")
CLASSDEF = re.compile(r"  classDef (\w+) [a-z-]+:[^,;\n]+(?:,[a-z-]+:[^,;\n]+)*")
CLASS = re.compile(rf"  class ({NODE_ID}(?:,{NODE_ID})*) (\w+)")
RESERVED = {"end", "graph", "flowchart", "subgraph", "class", "classDef", "style", "click"}


def mermaid_blocks(markdown: str) -> list[list[str]]:
    return [
        block.splitlines()
        for block in re.findall(r"^```mermaid\n(.*?)^```$", markdown, re.M | re.S)
    ]


def check_mermaid(lines: list[str]) -> dict[str, str]:
    """Parse the grammar subset the board writes; return node id -> label."""
    assert lines[0] == "graph LR"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    classes: set[str] = set()
    for line in lines[1:]:
        if node := NODE.fullmatch(line):
            assert node[1] not in nodes, f"declared twice: {line}"
            nodes[node[1]] = node[2]
        elif edge := EDGE.fullmatch(line):
            edges.append((edge[1], edge[2]))
        elif classdef := CLASSDEF.fullmatch(line):
            classes.add(classdef[1])
        elif cls := CLASS.fullmatch(line):
            assert cls[2] in classes, f"class {cls[2]} used before its classDef"
            assert all(n in nodes for n in cls[1].split(",")), line
        else:
            pytest.fail(f"not a statement of the board's Mermaid: {line!r}")
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge to an undeclared node: {a} --> {b}"
    assert not RESERVED & set(nodes)
    assert not any(n[0] in "ox" for n in nodes)  # `A---oB` would read as a circle edge
    return nodes


class Page(HTMLParser):
    """The text of each milestone's <section>, and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.current: str | None = None
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "section":
            self.current = dict(attrs)["id"]
            self.sections[self.current or ""] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.sections[self.current].append(data)


def parse_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def section_text(page: Page, milestone_id: str) -> str:
    return " ".join(" ".join(page.sections[f"m-{milestone_id}"]).split())


def board_json(repo: Repo, *args: str) -> dict[str, Any]:
    ran = repo.gm("board", "--json", *args)
    assert ran.exit_code == 0, ran.stderr
    data: dict[str, Any] = json.loads(ran.stdout)["data"]
    return data


def test_update_on_the_seed_keeps_the_rest_of_the_file(seeded: Repo) -> None:
    seeded.write("CURRENT_STATE.md", f"{HEAD_TEXT}{START}\nold board\n{END}{TAIL_TEXT}")
    seeded.git("add", "CURRENT_STATE.md")
    seeded.git("commit", "-q", "-m", "state")
    seeded.write("MILESTONES/notes.txt", "staged, not ours\n")
    seeded.git("add", "MILESTONES/notes.txt")

    ran = seeded.gm("board", "--update", "CURRENT_STATE.md")
    assert ran.exit_code == 0, ran.stderr
    assert "CURRENT_STATE.md: board updated [" in ran.stdout
    text = seeded.read("CURRENT_STATE.md")
    assert text.startswith(HEAD_TEXT + START + "\n") and text.endswith(END + TAIL_TEXT)
    assert "old board" not in text
    block = text[text.index(START) : text.index(END)]
    for fact in (
        "### `deploy-dashboard` Deploy Dashboard to Server",
        "**Owner:** session-3-coordinator\n",
        "**Progress:** `[######------]` 50% (2/6 steps done)",
        "**Current step:** 3/6 Deploy dashboard to server (in_progress)",
        "  - Continue from step 3 (deploy to server)",
        "**Blockers:** none",
    ):
        assert fact in block
    (graph,) = mermaid_blocks(block)
    assert check_mermaid(graph) == {
        "m_deploy_dashboard": '"deploy-dashboard: Deploy Dashboard to Server (50%)"'
    }
    # One commit of that one file, with its own trailers; what the user staged stays staged.
    assert seeded.files_in() == ["CURRENT_STATE.md"]
    assert seeded.trailers() == {"Milestone-Action": ["board"], "Milestone-Actor": ["alice"]}
    assert seeded.git("log", "-1", "--format=%s").strip() == "milestone: board in CURRENT_STATE.md"
    assert seeded.git("diff", "--cached", "--name-only").split() == ["MILESTONES/notes.txt"]

    head = seeded.head()
    again = seeded.gm("board", "--update", "CURRENT_STATE.md")
    assert again.exit_code == 0
    assert "the board is up to date" in again.stdout
    assert seeded.head() == head and seeded.read("CURRENT_STATE.md") == text

    assert seeded.gm("claim", "deploy-dashboard", "--force").exit_code == 0
    data = board_json(seeded, "--update", "CURRENT_STATE.md")
    assert data["update"]["changed"] and data["update"]["commit"] == seeded.head()
    assert "**Owner:** alice\n" in seeded.read("CURRENT_STATE.md")


def test_update_appends_the_block_when_the_file_has_none(repo: Repo) -> None:
    repo.write("CURRENT_STATE.md", HEAD_TEXT.rstrip("\n"))
    assert repo.gm("new", "Write docs", "--step", "one").exit_code == 0
    ran = repo.gm("board", "--update", "CURRENT_STATE.md")
    assert ran.exit_code == 0, ran.stderr
    text = repo.read("CURRENT_STATE.md")
    assert text.startswith(HEAD_TEXT.rstrip("\n") + "\n\n" + START + "\n## Milestones\n")
    assert text.endswith(END + "\n")
    assert repo.files_in() == ["CURRENT_STATE.md"]


def test_board_on_100_milestones(repo: Repo, tmp_path: Path) -> None:
    milestones = commit_fleet(repo, 100)
    open_ = [m for m in milestones if m.status not in ("completed", "abandoned")]
    html_file = tmp_path / "board.html"
    data = board_json(repo, "--update", "CURRENT_STATE.md", "--html", str(html_file))
    assert [i["milestone_id"] for i in data["milestones"]] == sorted(
        (m.milestone_id for m in open_),
        key=lambda mid: (
            ["HIGH", "MEDIUM", "LOW"].index(
                next(m.priority for m in open_ if m.milestone_id == mid)
            ),
            mid,
        ),
    )
    text = repo.read("CURRENT_STATE.md")
    (graph,) = mermaid_blocks(text)
    nodes = check_mermaid(graph)
    for m in open_:
        assert node_id(m.milestone_id) in nodes
        assert f"### `{m.milestone_id}` " in text
    waiting = [m for m in open_ if m.depends_on]
    assert waiting
    for m in waiting:
        (dep,) = m.depends_on or ()
        assert f"  {node_id(dep)} --> {node_id(m.milestone_id)}" in graph
    assert repo.trailers()["Milestone-Action"] == ["board"]

    page = parse_page(html_file)
    assert set(page.sections) == {f"m-{m.milestone_id}" for m in open_}
    assert "script" not in page.tags


def test_user_text_is_escaped_in_markdown_mermaid_and_html(repo: Repo, tmp_path: Path) -> None:
    nasty = 'Fix <script>alert("x")</script> | `tick` #1; [link](y) *b* & <!-- milestones:end -->'
    for mid in ("end", "o", "x-ray", "class"):
        assert repo.gm("new", f"{mid} {nasty}", "--id", mid, "--step", nasty).exit_code == 0
    assert (
        repo.gm(
            "new", "after", "--id", "graph", "--depends-on", "end", "--depends-on", "gone"
        ).exit_code
        == 0
    )
    assert repo.gm("claim", "o", "--as", 'mallory <b>"|"</b>').exit_code == 0
    assert repo.gm("block", "x-ray", "--reason", nasty).exit_code == 0
    assert repo.gm("handoff", "class", "--next", "1. " + nasty, "--next", "- # no").exit_code == 0
    html_file = tmp_path / "board.html"
    assert repo.gm("board", "--update", "STATE.md", "--html", str(html_file)).exit_code == 0

    text = repo.read("STATE.md")
    assert text.count(START) == 1 and text.count(END) == 1
    body = text[text.index(START) + len(START) : text.index(END)]
    assert "<script" not in body and "<b>" not in body and "<!--" not in body
    assert md(nasty) in body
    assert "  - 1\\. Fix &lt;script&gt;" in body and "  - \\- # no" in body
    (graph,) = mermaid_blocks(body)
    nodes = check_mermaid(graph)
    assert set(nodes) == {"m_end", "m_o", "m_x_ray", "m_class", "m_graph", "m_gone"}
    assert nodes["m_o"].startswith('"' + mermaid_label('o: o Fix <script>alert("x")</script>'))
    assert "m_gone" in nodes and "missing" in nodes["m_gone"]

    page = parse_page(html_file)
    assert "script" not in page.tags and "b" not in page.tags
    assert "<script" not in html_file.read_text()
    assert f"o {nasty}" in section_text(page, "o")
    assert 'mallory <b>"|"</b>' in section_text(page, "o")
    assert nasty in section_text(page, "x-ray")


def test_html_page_shows_each_milestone(seeded: Repo, tmp_path: Path) -> None:
    assert (
        seeded.gm(
            "new", "Build the API", "--id", "build-api", "--step", "Write it", "--step", "Test it"
        ).exit_code
        == 0
    )
    assert (
        seeded.gm(
            "new",
            "Launch",
            "--id",
            "launch",
            "--depends-on",
            "build-api",
            "--depends-on",
            "deploy-dashboard",
            "--step",
            "Go",
        ).exit_code
        == 0
    )
    assert seeded.gm("advance", "build-api", "--as", "bob").exit_code == 0
    assert seeded.gm("block", "launch", "--reason", "legal review pending").exit_code == 0
    html_file = tmp_path / "out" / "board.html"
    ran = seeded.gm("board", "--html", str(html_file))
    assert ran.exit_code == 0, ran.stderr
    assert f"{html_file}: wrote the board for 3 milestone(s)" in ran.stdout
    raw = html_file.read_text(encoding="utf-8")
    assert "<script" not in raw.lower() and "http" not in raw.lower()
    assert "<style>" in raw and "<link" not in raw and "src=" not in raw

    page = parse_page(html_file)
    seed = section_text(seeded_page := page, "deploy-dashboard")
    for fact in (
        "Deploy Dashboard to Server",
        "Owner session-3-coordinator Current",
        "50% (2/6 steps done)",
        "3/6 Deploy dashboard to server (in_progress)",
        "Continue from step 3 (deploy to server)",
        "Blockers none",
    ):
        assert fact in seed
    api = section_text(seeded_page, "build-api")
    assert "bob" in api and "0% (0/2 steps done)" in api and "1/2 Write it (in_progress)" in api
    launch = section_text(seeded_page, "launch")
    assert "legal review pending" in launch and "blocked" in launch
    assert "build-api (in_progress), deploy-dashboard (in_progress)" in launch
    assert seeded.git("status", "--porcelain") == ""  # nothing written in the repository


def test_board_prints_the_block_and_commits_nothing(seeded: Repo) -> None:
    head = seeded.head()
    ran = seeded.gm("board")
    assert ran.exit_code == 0
    assert ran.stdout.startswith(START + "\n## Milestones\n")
    assert ran.stdout.rstrip("\n").endswith(END)
    assert seeded.head() == head
    assert board_json(seeded)["markdown"] == ran.stdout


def test_a_refused_board_commit_puts_the_file_back(seeded: Repo) -> None:
    seeded.write("CURRENT_STATE.md", HEAD_TEXT)
    seeded.git("add", "CURRENT_STATE.md")
    seeded.git("commit", "-q", "-m", "state")
    hook = seeded.file(".git/hooks/pre-commit")
    hook.write_text("#!/bin/sh\necho 'frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    ran = seeded.gm("board", "--update", "CURRENT_STATE.md")
    assert ran.exit_code == 1
    assert "frozen" in ran.stderr
    assert seeded.read("CURRENT_STATE.md") == HEAD_TEXT
    assert seeded.git("status", "--porcelain") == ""


def test_update_refuses_a_file_outside_the_repository(seeded: Repo, tmp_path: Path) -> None:
    ran = seeded.gm("board", "--update", str(tmp_path / "elsewhere.md"))
    assert ran.exit_code == 1
    assert "is outside this repository" in ran.stderr
    assert not (tmp_path / "elsewhere.md").exists()


def test_bidi_and_invisible_characters_are_shown_not_obeyed(repo: Repo, tmp_path: Path) -> None:
    # A right-to-left override would turn the rest of the line around where it is read.
    title = "Pay \u202eten\u202c invoices\u200b now"
    assert repo.gm("new", title, "--id", "pay", "--step", "Check \u2066x\u2069").exit_code == 0
    html_file = tmp_path / "board.html"
    assert repo.gm("board", "--update", "STATE.md", "--html", str(html_file)).exit_code == 0
    for where in (repo.read("STATE.md"), html_file.read_text()):
        for ch in "\u202e\u202c\u200b\u2066\u2069":
            assert ch not in where
        assert "u202e" in where and "u2066" in where
    (graph,) = mermaid_blocks(repo.read("STATE.md"))
    assert "u202e" in check_mermaid(graph)["m_pay"]


def test_a_page_that_cannot_be_written_is_an_error_not_a_traceback(seeded: Repo) -> None:
    seeded.write("notes.txt", "a file, not a directory\n")
    ran = seeded.gm("board", "--html", "notes.txt/board.html")
    assert ran.exit_code == 1
    assert "notes.txt/board.html: cannot write the page" in ran.stderr
    assert "Traceback" not in ran.stderr + ran.stdout


def test_a_file_option_never_takes_an_option_as_its_file(seeded: Repo) -> None:
    """`board --html --help` must not write a file named `--help`."""
    before = sorted(p.name for p in seeded.path.iterdir())
    head = seeded.head()
    for args in (("--html", "--help"), ("--update", "--json"), ("--html", "-x")):
        ran = seeded.gm_proc("board", *args)
        assert ran.exit_code == 2 and "looks like an option" in ran.stdout + ran.stderr, ran
    assert sorted(p.name for p in seeded.path.iterdir()) == before
    assert seeded.head() == head
    ran = seeded.gm_proc("board", "--html", "./-page.html")  # the way to name such a file
    assert ran.exit_code == 0, ran.stderr
    assert "<html" in (seeded.path / "-page.html").read_text()
