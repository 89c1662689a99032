"""The one exception hierarchy: every user-facing failure carries an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_CONFLICT = 3
EXIT_STALE = 4


class MilestoneError(Exception):
    """A failure to report in one or two sentences that say what to do next."""

    exit_code = EXIT_REFUSED
    code = "refused"

    def __init__(self, message: str, *, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(MilestoneError):
    code = "not-found"


class Invalid(MilestoneError):
    code = "invalid"


class UsageError(MilestoneError):
    exit_code = EXIT_USAGE
    code = "usage"


class OwnerConflict(MilestoneError):
    exit_code = EXIT_CONFLICT
    code = "owner-conflict"


class Stale(MilestoneError):
    exit_code = EXIT_STALE
    code = "stale"


class IndexLocked(Stale):
    code = "index-locked"


class GitFailed(MilestoneError):
    code = "git"


class CommitRefused(MilestoneError):
    code = "commit-refused"
