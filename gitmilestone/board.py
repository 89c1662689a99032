"""The board: the milestones as a Markdown block (with a Mermaid graph of `depends_on`) for a
file such as CURRENT_STATE.md, and as one static HTML page. Pure: it renders the items that
`commands/board.py` builds, and escapes every piece of user text for where it lands.

An item is `read.summary` plus `steps_done`, `next_session_should`, `blockers`,
`depends_on` and `file`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gitmilestone import render
from gitmilestone.model import STATUSES
from gitmilestone.text import printable

START = "<!-- milestones:start -->"
END = "<!-- milestones:end -->"
LABEL_WIDTH = 48

Item = Mapping[str, Any]

# Markdown: `<`, `>` and `&` as entities (so no tag, comment or marker can appear),
# backslash-escape what could start markup anywhere in a line ($ is math on GitHub), and
# what could start a block (heading, list) at the start of one.
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
_MD_ORDERED = re.compile(r"\d+(?=[.)])")


def one_line(text: object) -> str:
    """User text on one line, with controls and invisible characters (a right-to-left
    override would turn the rest of the line around) shown as escapes, as in the terminal."""
    return printable(" ".join(str(text).split()))


def md(text: str) -> str:
    """User text as literal Markdown on one line (table pipes included)."""
    line = one_line(text)
    entities = re.sub("[&<>]", lambda m: _MD_ENTITY[m[0]], line)
    escaped = _MD_INLINE.sub(r"\\\1", entities)
    ordered = _MD_ORDERED.match(escaped)
    if ordered:
        return escaped[: ordered.end()] + "\\" + escaped[ordered.end() :]
    if escaped and escaped[0] in "#+=-":
        return "\\" + escaped
    return escaped


def code(text: str) -> str:
    """User text as a Markdown code span, fenced so that backticks inside stay literal."""
    line = one_line(text)
    fence = "`" * (max((len(r) for r in re.findall("`+", line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def node_id(milestone_id: str) -> str:
    """A Mermaid node id for any milestone id: `m_` and the id with `-` as `_` (ids have no
    `_`, so this is one-to-one; the prefix keeps clear of `end`, `o`/`x` edge heads...)."""
    return "m_" + re.sub(r"[^A-Za-z0-9]", "_", milestone_id)


_MERMAID_ENTITY = {'"': "#quot;", "#": "#35;", "&": "#amp;", "<": "#lt;", ">": "#gt;"}


def mermaid_label(text: str) -> str:
    """Text for inside a quoted Mermaid label: quotes, markup and entity starts encoded as
    Mermaid's `#code;` entities, so the label can neither close early nor become HTML."""
    out = []
    for ch in one_line(text):
        if ch in _MERMAID_ENTITY:
            out.append(_MERMAID_ENTITY[ch])
        elif ch in "`;|":
            out.append(f"#{ord(ch)};")
        else:
            out.append(ch)
    return "".join(out)


def _owner(item: Item) -> str:
    if item["owner"] is None:
        return "none (free to claim)"
    holder = item.get("holder") or {}
    where = f" on {holder['branch']}" if holder.get("branch") and not holder["here"] else ""
    return f"{item['owner']}{where}" + ("" if item["lease_active"] else " (lease expired)")


def _step(item: Item, escape: Callable[[str], str]) -> str:
    step = item["current_step"]
    if step is None:
        return "none"
    where = escape(f"{step['step']}/{item['steps']} {step['description']}")
    return f"{where} ({step['status']})"


def summary_line(items: Sequence[Item]) -> str:
    if not items:
        return "No open milestones (`git milestone new` creates one)"
    counts = Counter(item["status"] for item in items)
    parts = [f"{counts[s]} {s.replace('_', ' ')}" for s in STATUSES if counts[s]]
    return f"{len(items)} milestone(s)" + (f": {', '.join(parts)}" if parts else "")


_CLASSES = {
    "completed": "fill:#d7f0dd,stroke:#2f8f46",
    "in_progress": "fill:#fff4cc,stroke:#b58900",
    "blocked": "fill:#fbd9d9,stroke:#c0392b",
    "pending": "fill:#eef1f5,stroke:#6b7785",
    "abandoned": "fill:#e5e5e5,stroke:#999999,color:#777777",
    "missing": "fill:#ffffff,stroke:#c0392b,stroke-dasharray:4 3",
}


def mermaid(items: Sequence[Item], statuses: Mapping[str, str]) -> list[str]:
    """`graph LR` of the items and what they depend on: an edge from each dependency to the
    milestone that waits for it; one node statement per milestone, then the edges."""
    lines = ["graph LR"]
    declared: dict[str, str] = {}
    for item in items:
        title = render.clip(item["title"], LABEL_WIDTH)
        label = f"{item['milestone_id']}: {title} ({item['progress']}%)"
        declared[item["milestone_id"]] = item["status"]
        lines.append(f'  {node_id(item["milestone_id"])}["{mermaid_label(label)}"]')
    edges = []
    for item in items:
        for dep in item["depends_on"]:
            if dep not in declared:
                status = statuses.get(dep, "missing")
                declared[dep] = status
                label = dep if dep in statuses else f"{dep} (missing)"
                lines.append(f'  {node_id(dep)}["{mermaid_label(f"{label}: {status}")}"]')
            edges.append(f"  {node_id(dep)} --> {node_id(item['milestone_id'])}")
    lines += edges
    for status, style in _CLASSES.items():
        members = [node_id(mid) for mid, s in declared.items() if s == status]
        if members:
            lines.append(f"  classDef {status} {style}")
            lines.append(f"  class {','.join(members)} {status}")
    return lines


def markdown(items: Sequence[Item], statuses: Mapping[str, str], directory: str) -> str:
    """The block's content (between the markers)."""
    lines = [
        "## Milestones",
        "",
        f"_Written by `git milestone board` from {code(directory + '/')}: change the milestones "
        "with `git milestone`, not this block._",
        "",
        summary_line(items) + ".",
    ]
    if not items:
        return "\n".join(lines)
    lines += ["", "```mermaid", *mermaid(items, statuses), "```"]
    for item in items:
        lines += ["", f"### {code(item['milestone_id'])} {md(item['title'])}", ""]
        bar = render.bar(item["progress"], False)
        lines += [
            f"- **Status:** {item['status']}, {item['priority']} priority",
            f"- **Progress:** `{bar}` {item['progress']}% "
            f"({item['steps_done']}/{item['steps']} steps done)",
            f"- **Owner:** {md(_owner(item))}",
            f"- **Current step:** {_step(item, md)}",
        ]
        if item["next_session_should"]:
            lines.append("- **Next session should:**")
            lines += [f"  - {md(text)}" for text in item["next_session_should"]]
        else:
            lines.append("- **Next session should:** nothing written yet")
        if item["blockers"]:
            lines.append("- **Blockers:**")
            lines += [f"  - {md(text)}" for text in item["blockers"]]
        else:
            lines.append("- **Blockers:** none")
        if item["depends_on"]:
            deps = ", ".join(
                f"{code(dep)} ({statuses.get(dep, 'missing')})" for dep in item["depends_on"]
            )
            lines.append(f"- **Depends on:** {deps}")
        lines.append(f"- **File:** {code(item['file'])}")
    return "\n".join(lines)


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;
max-width:60rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}
.summary{color:#59636e;margin-top:0}
section{border:1px solid #d1d9e0;border-radius:8px;padding:.6rem 1rem;margin:1rem 0}
section.blocked{border-left:6px solid #c0392b}
section.in_progress{border-left:6px solid #b58900}
section.completed{border-left:6px solid #2f8f46}
h2{font-size:1.15rem;margin:.3rem 0 .6rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
dl{display:grid;grid-template-columns:11rem 1fr;gap:.25rem .8rem;margin:0}
dt{font-weight:600;color:#59636e}dd{margin:0}
ul{margin:0;padding-left:1.2rem}
.bar{display:inline-block;width:10rem;height:.7rem;background:#eef1f5;
border-radius:4px;vertical-align:middle;overflow:hidden}
.bar span{display:block;height:100%;background:#2f8f46}
.status{font-weight:600}
.none{color:#8c959f}
"""


def _e(text: object) -> str:
    return html.escape(printable(str(text), lines=True), quote=True)


def _html_list(texts: Sequence[str]) -> str:
    if not texts:
        return '<span class="none">none</span>'
    return "<ul>" + "".join(f"<li>{_e(t)}</li>" for t in texts) + "</ul>"


def _html_item(item: Item, statuses: Mapping[str, str]) -> list[str]:
    mid = item["milestone_id"]
    deps = ", ".join(
        f'<a href="#m-{_e(dep)}"><code>{_e(dep)}</code></a> ({_e(statuses.get(dep, "missing"))})'
        for dep in item["depends_on"]
    )
    rows = [
        (
            "Status",
            f'<span class="status">{_e(item["status"])}</span>, {_e(item["priority"])} priority',
        ),
        (
            "Progress",
            f'<span class="bar"><span style="width:{int(item["progress"])}%"></span></span> '
            f"{int(item['progress'])}% ({int(item['steps_done'])}/{int(item['steps'])} "
            "steps done)",
        ),
        ("Owner", _e(_owner(item))),
        ("Current step", _step(item, _e)),
        ("Next session should", _html_list(item["next_session_should"])),
        ("Blockers", _html_list(item["blockers"])),
    ]
    if deps:
        rows.append(("Depends on", deps))
    rows.append(("File", f"<code>{_e(item['file'])}</code>"))
    return [
        f'<section class="{_e(item["status"])}" id="m-{_e(mid)}">',
        f"<h2><code>{_e(mid)}</code> {_e(item['title'])}</h2>",
        "<dl>",
        *(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows),
        "</dl>",
        "</section>",
    ]


def html_page(items: Sequence[Item], statuses: Mapping[str, str], directory: str) -> str:
    """One self-contained page: inline CSS, no script, no reference to anything outside."""
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Milestones in {_e(directory)}/</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>Milestones</h1>",
        f'<p class="summary">{_e(summary_line(items))}, from <code>{_e(directory)}/</code>, '
        "written by <code>git milestone board --html</code>.</p>",
    ]
    for item in items:
        lines += _html_item(item, statuses)
    lines += ["</body>", "</html>"]
    return "\n".join(lines) + "\n"
