"""Commit messages: a subject for humans, the user's note, and a final trailer block.

Only the final paragraph of a message is read as trailers (git's own rule), and every
value written there is one line from the milestone itself, so nothing a user types into a
title or a note can add or change a trailer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from gitmilestone.model import Milestone

NONE = "none"


@dataclass(frozen=True)
class Change:
    """What a command did, for the commit message."""

    action: str
    summary: str
    note: str | None = None
    steps: tuple[int, ...] = ()
    forced: bool = False
    previous_owner: str | None = None


def subject(milestone_id: str, summary: str) -> str:
    one_line = " ".join(part.strip() for part in summary.splitlines() if part.strip())
    return f"milestone({milestone_id}): {one_line}"


def trailers(m: Milestone, change: Change, actor: str) -> list[tuple[str, str]]:
    out = [("Milestone", m.milestone_id), ("Milestone-Action", change.action)]
    for number in change.steps:
        step = m.step(number)
        if step is not None:
            out += [("Milestone-Step", str(number)), ("Milestone-Step-Status", step.status)]
    out += [
        ("Milestone-Status", m.status),
        ("Milestone-Progress", str(m.progress)),
        ("Milestone-Steps", str(len(m.steps))),
        ("Milestone-Owner", m.owner or NONE),
        ("Milestone-Actor", actor),
        ("Milestone-Revision", str(m.revision)),
    ]
    if change.previous_owner is not None:
        out.append(("Milestone-Previous-Owner", change.previous_owner))
    if change.forced:
        out.append(("Milestone-Forced", "true"))
    return out


def format_message(m: Milestone, change: Change, actor: str) -> str:
    """The whole commit message; ends with the trailer paragraph and a newline."""
    parts = [subject(m.milestone_id, change.summary)]
    note = "\n".join(_body_line(line) for line in (change.note or "").strip().splitlines())
    if note:
        parts.append(note)
    parts.append("\n".join(f"{k}: {v}" for k, v in trailers(m, change, actor)))
    return "\n\n".join(parts) + "\n"


def repository_message(summary: str, action: str, actor: str) -> str:
    """The message of a commit that changes the repository's own files (not a milestone):
    no `Milestone` trailer, so `log` and the commit-msg check leave it alone."""
    subj = f"milestone: {' '.join(summary.split())}"
    if len(subj) > 72:
        subj = subj[:71] + "…"
    return f"{subj}\n\nMilestone-Action: {action}\nMilestone-Actor: {actor}\n"


def _body_line(line: str) -> str:
    # git reads a `---` line as the end of the message (interpret-trailers, am): indent it,
    # so that the trailer block stays the last paragraph for every git tool.
    line = line.rstrip()
    if line.startswith("---") and (len(line) == 3 or line[3].isspace()):
        return " " + line
    return line


def parse_trailer_lines(text: str) -> list[tuple[str, str]]:
    """Split the `Key: value` lines git printed for `%(trailers:only,unfold)`."""
    out = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out.append((key.strip(), value.strip()))
    return out


class Record(NamedTuple):
    """One milestone commit, as its trailers tell it (a tuple: `log` builds thousands)."""

    commit: str
    when: str
    subject: str
    milestone: str
    action: str
    status: str
    progress: int | None
    owner: str | None
    actor: str
    revision: int | None
    steps: tuple[tuple[int, str], ...] = ()
    step_count: int | None = None
    forced: bool = False
    previous_owner: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "when": self.when,
            "milestone": self.milestone,
            "action": self.action,
            "actor": self.actor,
            "owner": self.owner,
            "status": self.status,
            "progress": self.progress,
            "revision": self.revision,
            "steps": [{"step": n, "status": s} for n, s in self.steps],
            "forced": self.forced,
            "previous_owner": self.previous_owner,
            "subject": self.subject,
        }


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def record(commit: str, when: str, subj: str, pairs: Iterable[tuple[str, str]]) -> Record | None:
    """A Record from parsed trailers; None when the commit carries no `Milestone` trailer."""
    single: dict[str, str] = {}
    steps: list[tuple[int, str]] = []
    pending_step: int | None = None
    for key, value in pairs:
        lowered = key.lower()
        if lowered == "milestone-step":
            pending_step = _int(value)
        elif lowered == "milestone-step-status" and pending_step is not None:
            steps.append((pending_step, value))
            pending_step = None
        else:
            single.setdefault(lowered, value)
    milestone = single.get("milestone")
    if not milestone:
        return None
    owner = single.get("milestone-owner", NONE)
    return Record(
        commit=commit,
        when=when,
        subject=subj,
        milestone=milestone,
        action=single.get("milestone-action", ""),
        status=single.get("milestone-status", ""),
        progress=_int(single.get("milestone-progress")),
        owner=None if owner == NONE else owner,
        actor=single.get("milestone-actor", ""),
        revision=_int(single.get("milestone-revision")),
        steps=tuple(steps),
        step_count=_int(single.get("milestone-steps")),
        forced=single.get("milestone-forced", "").lower() == "true",
        previous_owner=single.get("milestone-previous-owner"),
    )
