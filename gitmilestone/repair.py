"""`validate --fix`: rewrite what can be derived from the rest of a file. Pure.

What is derived, and so repaired: progress from the steps (M101); a pending milestone with
started steps is in progress (M102); step numbers, when the numbers are right but not in
list order (M004: the list order is the truth, so the steps are renumbered in it); and the
seed's `2025-11-15 00:20:00 UTC` times, written as RFC 3339. Nothing else is guessed: a
file with any other problem is left as it is, for a person to decide.

A repair decides nothing: it changes no step's substance (status, who, when, text), no
owner and no text anyone wrote, only what follows from the rest of the file. So anyone may
run it, whoever holds the milestone (as the guard agrees: M301-M303 concern owners and
steps, and a renumbering alone is no change of the steps), and it neither takes the
milestone nor renews its holder's lease.
"""

from __future__ import annotations

from gitmilestone import timestamps
from gitmilestone.errors import Invalid
from gitmilestone.messages import Change
from gitmilestone.model import Milestone
from gitmilestone.records import frozen, replace
from gitmilestone.rules import Checked, Finding, _timestamp_paths, milestone_findings
from gitmilestone.workflow import Actor, Outcome, written

FIXED = "Milestone-Fixed"
TIMESTAMPS = "timestamps"
# The codes a repair may find on the file it is about to repair.
REPAIRS = frozenset({"M004", "M101", "M102"})


@frozen
class Plan:
    """What repairing a file would fix, and the problems no repair can (then it is left)."""

    fixes: tuple[str, ...]
    problems: tuple[Finding, ...]


def plan(checked: Checked) -> Plan:
    """What `validate --fix` would do to one checked file."""
    m = checked.milestone
    if m is None:
        return Plan((), checked.findings)
    fixes: set[str] = set()
    problems = []
    for finding in checked.findings:
        if _derivable(finding, m):
            fixes.add(finding.code)
        else:
            problems.append(finding)
    if isinstance(checked.document, dict) and any(
        timestamps.is_seed_style(value) for _, value in _timestamp_paths(checked.document)
    ):
        fixes.add(TIMESTAMPS)
    return Plan(tuple(sorted(fixes, key=lambda f: (f == TIMESTAMPS, f))), tuple(problems))


def _derivable(finding: Finding, m: Milestone) -> bool:
    if finding.code == "M101":
        return True
    if finding.code == "M004":
        return sorted(s.step for s in m.steps) == list(range(1, len(m.steps) + 1))
    if finding.code == "M102":
        # Completed with unfinished steps is not derivable: skip them, or reopen the work?
        return m.status == "pending"
    return False


def apply(m: Milestone, actor: Actor, fixes: tuple[str, ...]) -> Outcome | None:
    """The repaired milestone (progress is derived and times written RFC 3339 by every
    write)."""
    if not fixes:
        return None
    steps = tuple(replace(s, step=i) for i, s in enumerate(m.steps, 1))
    status = "in_progress" if "M102" in fixes else m.status
    new = written(m, actor, steps=steps, status=status)
    left = list(milestone_findings("", new))
    if left:
        raise Invalid(f"{m.milestone_id}: a repair would leave {left[0].code}; fix it by hand")
    names = ", ".join(fixes)
    return new, Change("fix", f"fix {names}", details=((FIXED, names),))
