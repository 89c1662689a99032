"""The claims registry in git: one ref per milestone, shared by every worktree and clone.

`refs/milestones/claims/<id>` is a chain of commits, one per change of that milestone's
claim (`git log refs/milestones/claims/<id>` is its history). Every worktree of a
repository shares refs, so a compare-and-swap of the ref (`git update-ref REF NEW OLD`)
decides between them. With a claims remote the remote decides: its copy of the ref is
fetched, the change is pushed with a lease on the value seen, and a rejected push means
someone moved it. One ref per milestone means claims of different milestones never
contend.

The remote's copies land in `refs/milestones/remotes/<remote>/claims/<id>`, so a fetch
never overwrites a claim made here and not pushed. What this clone knows of a milestone is
the newest of its own ref and the remotes' copies (each entry carries a sequence number,
its parent's + 1; on a tie the remote's copy wins).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timezone

from gitmilestone import claims, git, objects
from gitmilestone.claims import Entry
from gitmilestone.errors import GitFailed
from gitmilestone.records import frozen, mutable

PREFIX = "refs/milestones/claims/"
REMOTES = "refs/milestones/remotes/"
FETCH_REFSPEC = "+refs/milestones/claims/*:refs/milestones/remotes/{remote}/claims/*"
PUSH_REFSPEC = "refs/milestones/claims/*:refs/milestones/claims/*"

# The message ends with the ref's name again, so a message cannot end a record early.
_FORMAT = (
    "%(refname)%00%(objectname)%00%(objecttype)%00%(committerdate:unix)%00"
    "%(contents)%00%(refname)%00"
)


def fetch_refspec(remote: str) -> str:
    return FETCH_REFSPEC.format(remote=remote)


def fetches_claims(repo: git.Repo, remote: str) -> bool:
    """Whether a plain `git fetch REMOTE` brings the remote's claims."""
    return fetch_refspec(remote) in git.config_values(repo, f"remote.{remote}.fetch")


def configure_fetch(repo: git.Repo, remote: str) -> bool:
    """Make a plain `git fetch REMOTE` bring the remote's claims too (into their own
    namespace, never over this repository's); True when it changed the config.

    Nothing is added for `git push`: a push refspec in the config replaces what a bare
    `git push` pushes (the current branch, by push.default), and the commands push the
    claims themselves.
    """
    if fetches_claims(repo, remote):
        return False
    git.config_add(repo, f"remote.{remote}.fetch", fetch_refspec(remote))
    return True


def local_ref(milestone_id: str) -> str:
    return PREFIX + milestone_id


def tracking_ref(remote: str, milestone_id: str) -> str:
    return f"{REMOTES}{remote}/claims/{milestone_id}"


@frozen
class Found:
    """One registry ref as read: its commit and the entry it carries (None: unreadable)."""

    ref: str
    sha: str
    is_commit: bool
    entry: Entry | None


@frozen
class Claim:
    """What this clone knows of one milestone's claim: the newest entry, this repository's
    own ref, and the claims remote's copy (as last fetched)."""

    milestone_id: str
    newest: Found | None
    local: Found | None
    remote: Found | None

    @property
    def entry(self) -> Entry | None:
        return None if self.newest is None else self.newest.entry


def _parse(data: bytes) -> Iterable[Found]:
    pos = 0
    while pos < len(data):
        fields = []
        for _ in range(4):
            end = data.index(b"\0", pos)
            fields.append(data[pos:end])
            pos = end + 1
        end = data.index(b"\0" + fields[0] + b"\0\n", pos)
        message = data[pos:end].decode("utf-8", "replace")
        pos = end + len(fields[0]) + 3
        ref, sha, kind, when = (f.decode("utf-8", "replace") for f in fields)
        entry = None
        if kind == "commit" and when.isdigit():
            at = datetime.fromtimestamp(int(when), timezone.utc)
            entry = claims.parse(message, at)
        yield Found(ref, sha, kind == "commit", entry)


def _milestone_id(ref: str) -> str | None:
    if ref.startswith(PREFIX):
        return ref[len(PREFIX) :]
    if ref.startswith(REMOTES):
        _, sep, rest = ref[len(REMOTES) :].partition("/claims/")
        return rest if sep else None
    return None


def _rank(found: Found) -> tuple[int, int]:
    sequence = found.entry.sequence if found.entry is not None else -1
    return (sequence, 0 if found.ref.startswith(PREFIX) else 1)


@mutable
class Tally:
    """The exchanges with the claims remote, counted over one command (`--json` results)."""

    pushes: int = 0
    fetches: int = 0


class Registry:
    """The registry of one repository; with `remote`, that remote's registry decides."""

    def __init__(self, repo: git.Repo, remote: str | None = None, tally: Tally | None = None):
        self.repo = repo
        self.remote = remote
        self.tally = tally or Tally()

    def all(self) -> dict[str, Claim]:
        """Every milestone's claim, read with one `git for-each-ref`."""
        return self._read([PREFIX, REMOTES])

    def get(self, milestone_id: str) -> Claim:
        """One milestone's claim: read from git's files when its refs and objects are
        there as loose objects (the usual case: no process at all), else with one
        `git for-each-ref`."""
        try:
            founds = self._read_files(milestone_id)
        except objects.NotHere:
            patterns = [local_ref(milestone_id), f"{REMOTES}*/claims/{milestone_id}"]
            founds = list(_parse(git.refs(self.repo, _FORMAT, patterns)))
        found = self._claims(founds).get(milestone_id)
        return found or Claim(milestone_id, None, None, None)

    def _read_files(self, milestone_id: str) -> list[Found]:
        common = self.repo.common_dir
        names = [local_ref(milestone_id)]
        try:
            with os.scandir(common / REMOTES) as remotes:
                names += [tracking_ref(r.name, milestone_id) for r in remotes if r.is_dir()]
        except FileNotFoundError:
            pass
        tail = f"/claims/{milestone_id}"
        refs = objects.read_refs(
            common, names, lambda name: name.startswith(REMOTES) and name.endswith(tail)
        )
        directory = objects.objects_dir(common)
        founds = []
        for ref, sha in sorted(refs.items()):
            kind, body = objects.read(directory, sha)
            entry = None
            if kind == "commit":
                when, message = objects.commit_parts(body)
                entry = claims.parse(message, datetime.fromtimestamp(when, timezone.utc))
            founds.append(Found(ref, sha, kind == "commit", entry))
        return founds

    def _read(self, patterns: list[str]) -> dict[str, Claim]:
        return self._claims(_parse(git.refs(self.repo, _FORMAT, patterns)))

    def _claims(self, founds: Iterable[Found]) -> dict[str, Claim]:
        by_id: dict[str, list[Found]] = {}
        for found in founds:
            milestone_id = _milestone_id(found.ref)
            if milestone_id is not None:
                by_id.setdefault(milestone_id, []).append(found)
        out = {}
        for milestone_id, founds in by_id.items():
            local = next((f for f in founds if f.ref.startswith(PREFIX)), None)
            remote = None
            if self.remote is not None:
                mine = tracking_ref(self.remote, milestone_id)
                remote = next((f for f in founds if f.ref == mine), None)
            newest = max(founds, key=_rank)
            out[milestone_id] = Claim(milestone_id, newest, local, remote)
        return out

    def refresh(self, milestone_id: str) -> Claim:
        """With a remote: fetch its copy of the milestone's ref first, then read."""
        if self.remote is not None:
            self.tally.fetches += 1
            dst = tracking_ref(self.remote, milestone_id)
            if not git.fetch_ref(self.repo, self.remote, local_ref(milestone_id), dst):
                known = self.get(milestone_id)
                if known.remote is not None:  # the remote lost it: so must our copy
                    git.update_ref(self.repo, dst, None, known.remote.sha)
        return self.get(milestone_id)

    def base(self, claim: Claim) -> Found | None:
        """The entry a change builds on: with a remote, the remote's (it decides); without,
        the newest this clone knows."""
        return claim.remote if self.remote is not None else claim.newest

    def swap(self, claim: Claim, entry: Entry) -> Claim | None:
        """Make `entry` the milestone's claim if nobody moved it since `claim` was read;
        None when someone did (read again, decide again)."""
        base = self.base(claim)
        parent = [base.sha] if base is not None and base.is_commit else []
        sha = self._commit(entry, parent)
        ref = local_ref(claim.milestone_id)
        new = Found(ref, sha, True, entry)
        if self.remote is None:
            if not self._swap_local(ref, sha, _sha(claim.local)):
                return None
            return Claim(claim.milestone_id, new, new, claim.remote)
        self.tally.pushes += 1
        if not git.push_ref(self.repo, self.remote, sha, ref, _sha(claim.remote)):
            return None
        self._mirror(claim, sha)
        return Claim(claim.milestone_id, new, new, new)

    def _swap_local(self, ref: str, new: str, old: str | None) -> bool:
        """This repository's compare-and-swap of `ref`: in git's files when refs are kept
        there (no process), else `git update-ref`."""
        for _ in range(2):
            try:
                return objects.swap_ref(self.repo.common_dir, ref, new, old)
            except objects.NotHere:
                break
            except objects.Locked as locked:
                # Registry refs change only under the repository lock, which we hold: a
                # lock file on one was left by a git or a command that was killed.
                if not git.clear_stale_lock_file(self.repo, locked.path):
                    return False
        return git.update_ref(self.repo, ref, new, old)

    def _mirror(self, claim: Claim, sha: str) -> None:
        """After the remote took `sha`: our copy of the remote's ref, and our own ref."""
        assert self.remote is not None
        tracking = tracking_ref(self.remote, claim.milestone_id)
        local = local_ref(claim.milestone_id)
        pairs = [(tracking, sha, _sha(claim.remote)), (local, sha, _sha(claim.local))]
        if not git.update_refs(self.repo, pairs):  # one of them moved: each on its own
            for ref, new, old in pairs:
                git.update_ref(self.repo, ref, new, old)

    def undo(self, before: Claim, after: Claim, who: claims.Claimant) -> bool:
        """Put the claim back as it was before `swap` (its branch commit failed): the ref
        goes back to its old value if nobody moved it since. False when someone did."""
        assert after.newest is not None
        new, milestone_id = after.newest.sha, before.milestone_id
        ref = local_ref(milestone_id)
        if self.remote is None:
            if before.local is None:
                return git.update_ref(self.repo, ref, None, new)
            return self._swap_local(ref, before.local.sha, new)
        self.tally.pushes += 1
        old = _sha(before.remote)
        try:
            rewound = git.push_ref(self.repo, self.remote, old, ref, new, force=True)
        except GitFailed:
            rewound = False
        if rewound:
            git.update_ref(self.repo, tracking_ref(self.remote, milestone_id), old, new)
            git.update_ref(self.repo, ref, _sha(before.local), new)
            return True
        # A remote whose policy refuses to rewind or delete a ref gets a new commit that
        # restores the old entry (with a lease on ours: if someone moved it, it is theirs).
        assert after.newest.entry is not None
        previous = None if before.remote is None else before.remote.entry
        return self.swap(after, claims.restored(previous, after.newest.entry, who)) is not None

    def _commit(self, entry: Entry, parents: list[str]) -> str:
        directory = objects.objects_dir(self.repo.common_dir)
        algorithm = self.repo.object_format
        blob = objects.write(directory, "blob", entry.document(), algorithm)
        tree = objects.write(directory, "tree", objects.tree([(claims.FILE_NAME, blob)]), algorithm)
        body = objects.commit(
            tree, parents, objects.ident(entry.actor), int(entry.at.timestamp()), entry.message()
        )
        return objects.write(directory, "commit", body, algorithm)


def damage(milestone_id: str, found: Found, remote: str | None) -> tuple[str, str]:
    """What to say of a registry ref that holds no entry the tool wrote (changed by hand):
    nobody can tell who holds the milestone, so nothing may take it. (detail, fix)"""
    what = "a commit without a claim" if found.is_commit else "not a commit"
    where = local_ref(milestone_id)
    detail = (
        f"the claims registry's entry for {milestone_id} ({found.ref} at {found.sha[:9]}) is "
        f"damaged ({what}): nobody can tell who holds {milestone_id}"
    )
    if found.ref.startswith(REMOTES) and remote is not None:
        fix = f"git push {remote} :{where}"
    else:
        fix = f"git update-ref -d {where}"
    return detail, (
        f"read its history (`git log {found.ref}`); once nobody works on {milestone_id}, "
        f"remove it (`{fix}`) and run the command again"
    )


def _sha(found: Found | None) -> str | None:
    return None if found is None else found.sha
