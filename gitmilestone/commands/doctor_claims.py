"""`doctor`'s look at the claims registry: is it shared with the claims remote, and does it
agree with this branch's milestone files?

A crash between a registry change and its branch commit leaves them disagreeing; so does a
claim made before the registry existed. Each disagreement is named with the command that
repairs it. Holders on other branches and expired claims are reported, not refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from gitmilestone import git, registry, timestamps
from gitmilestone.claims import Entry
from gitmilestone.model import Milestone
from gitmilestone.rules import lease_active
from gitmilestone.workspace import Workspace, current_time

Add = Callable[[str, bool, str, str], None]


def check(ws: Workspace, milestones: Iterable[Milestone], add: Add) -> None:
    """Add the registry's checks through `add(name, ok, detail, fix)`."""
    remote = ws.settings.claims_remote
    if remote is None:
        add(
            "claims registry",
            True,
            f"in this repository ({registry.PREFIX}*): its worktrees see each other's claims",
            "",
        )
    elif remote not in git.remotes(ws.repo):
        add(
            "claims registry",
            False,
            f"claims_remote = {remote!r}, but there is no such remote",
            "add it with `git remote add`, or change claims_remote in .gitmilestone.toml",
        )
    else:
        fetches = registry.fetches_claims(ws.repo, remote)
        add(
            "claims registry",
            fetches,
            f"remote {remote} decides; `git fetch {remote}` "
            + ("brings its claims" if fetches else "does not bring its claims"),
            "" if fetches else "run `git milestone init`",
        )
    known = registry.Registry(ws.repo, remote).all()
    entries = {mid: claim.entry for mid, claim in known.items() if claim.entry is not None}
    for mid, claim in sorted(known.items()):
        if claim.newest is not None and claim.entry is None:
            add(f"claim {mid}", False, *registry.damage(mid, claim.newest, remote))
    branch = git.current_branch(ws.repo)
    now = current_time()
    files = {m.milestone_id: m for m in milestones}
    for mid in sorted(set(files) | set(entries)):
        m, entry = files.get(mid), entries.get(mid)
        if m is None:
            assert entry is not None
            _without_file(mid, entry, branch, now, add)
        else:
            _with_file(ws, m, entry, branch, now, add)


def _state(entry: Entry, now: datetime) -> str:
    if entry.holder is None:
        return "nobody holds it"
    expiry = "" if entry.expires_at is None else timestamps.format(entry.expires_at)
    if not entry.active(now):
        return f"{entry.holder}'s claim expired at {expiry}"
    return f"{entry.where()} holds it until {expiry}"


def _with_file(
    ws: Workspace, m: Milestone, entry: Entry | None, branch: str | None, now: datetime, add: Add
) -> None:
    mid = m.milestone_id
    file_holds = m.owner is not None and lease_active(m, now, ws.settings.lease)
    name = f"claim {mid}"
    if entry is None:
        if file_holds:
            add(
                name,
                False,
                f"this branch's file says {m.owner} holds it, but the claims registry has no "
                "entry, so other branches and clones do not see the claim",
                f"as {m.owner}: `git milestone claim {mid}` registers it",
            )
        return
    held_here = entry.active(now) and entry.branch is not None and entry.branch == branch
    if held_here and m.owner != entry.holder:
        add(
            name,
            False,
            f"the registry says {entry.where()} holds it, but this branch's file names "
            f"{m.owner or 'nobody'} (a claim whose branch commit is missing)",
            f"as {entry.holder}: `git milestone claim {mid}` records it here, or "
            f"`git milestone release {mid}` gives it up",
        )
    elif file_holds and not (entry.active(now) and entry.holder == m.owner):
        add(
            name,
            False,
            f"this branch's file says {m.owner} holds it, but in the registry "
            f"{_state(entry, now)}; the registry decides",
            f"as {m.owner}: `git milestone claim {mid}` takes it again, or "
            f"`git milestone release {mid}` records the release here",
        )
    elif entry.holder is not None and not entry.active(now):
        add(name, True, _state(entry, now) + "; anyone may claim it", "")
    elif entry.holder is not None and entry.branch != branch:
        add(name, True, _state(entry, now), "")


def _without_file(mid: str, entry: Entry, branch: str | None, now: datetime, add: Add) -> None:
    name = f"claim {mid}"
    if entry.active(now) and entry.branch is not None and entry.branch == branch:
        add(
            name,
            False,
            f"the registry says {entry.where()} holds {mid}, but this branch has no such milestone",
            f"merge the branch that created it, or give it up there with "
            f"`git milestone release {mid}`",
        )
    elif entry.holder is not None:
        add(name, True, f"{_state(entry, now)} (not a milestone of this branch)", "")
