"""The registry's entries, pure: encoding, and who may take, renew and release a claim."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from gitmilestone import claims
from gitmilestone.claims import Claimant, Entry
from gitmilestone.errors import OwnerConflict

T0 = datetime(2025, 11, 15, 1, 0, tzinfo=timezone.utc)
LEASE = timedelta(hours=2)


def who(name: str, minutes: float = 0, branch: str = "main") -> Claimant:
    return Claimant(name, branch, T0 + timedelta(minutes=minutes), LEASE)


def held(name: str = "alice", branch: str = "main") -> Entry:
    entry = claims.take(None, "deploy", who(name, branch=branch), action="claim")
    assert entry is not None
    return entry


def test_a_message_carries_the_whole_entry_and_reads_back() -> None:
    entry = claims.take(
        held("bob"), "deploy", who("alice", 5, "feat/x"), action="claim", force=True
    )
    assert entry is not None
    message = entry.message()
    assert message.startswith(
        "claim(deploy): alice takes it over from bob on branch feat/x (forced)\n\n"
    )
    assert "Milestone-Holder: alice\n" in message
    assert "Milestone-Previous-Owner: bob\n" in message
    assert "Milestone-Forced: true\n" in message
    assert claims.parse(message, entry.at) == entry


def test_the_tree_file_says_the_same_as_the_message() -> None:
    doc = json.loads(held().document())
    assert doc["holder"] == "alice"
    assert doc["branch"] == "main"
    assert doc["expires_at"] == "2025-11-15T03:00:00Z"
    assert doc["sequence"] == 1


@pytest.mark.parametrize(
    "message",
    [
        "",
        "subject only",
        "s\n\nMilestone-Claim: x\n",
        "s\n\nMilestone-Claim: x\nMilestone-Lease: soon",
    ],
    ids=["empty", "no-body", "no-actor", "bad-lease"],
)
def test_a_message_that_is_not_an_entry_reads_as_none(message: str) -> None:
    assert claims.parse(message, T0) is None


def test_a_claim_by_someone_else_is_exit_3_naming_holder_and_branch() -> None:
    with pytest.raises(OwnerConflict) as caught:
        claims.take(held("alice", "wt-a"), "deploy", who("bob", 10), action="claim")
    assert caught.value.exit_code == 3
    assert "alice holds deploy on branch wt-a" in caught.value.message
    assert "--force" in caught.value.message


def test_an_expired_claim_is_free_and_the_previous_holder_is_recorded() -> None:
    entry = claims.take(held("alice"), "deploy", who("bob", 120), action="claim")
    assert entry is not None
    assert (entry.holder, entry.previous_holder, entry.forced) == ("bob", "alice", False)
    assert entry.sequence == 2


def test_force_takes_an_active_claim_and_says_so() -> None:
    entry = claims.take(held("alice"), "deploy", who("bob", 1), action="claim", force=True)
    assert entry is not None
    assert (entry.holder, entry.previous_holder, entry.forced) == ("bob", "alice", True)


@pytest.mark.parametrize(
    ("minutes", "renews"),
    [(1, False), (29.9, False), (30, True), (119, True)],
    ids=["just-claimed", "under-a-quarter", "a-quarter", "nearly-expired"],
)
def test_the_holder_renews_only_once_a_quarter_of_the_lease_has_passed(
    minutes: float, renews: bool
) -> None:
    entry = claims.take(held("alice"), "deploy", who("alice", minutes), action="advance")
    assert (entry is not None) == renews
    if entry is not None:
        assert entry.renewed_at == T0 + timedelta(minutes=minutes)
        assert entry.claimed_at == T0
        assert "renews" in entry.summary()


def test_the_holder_moving_to_another_branch_updates_the_entry() -> None:
    entry = claims.take(held("alice"), "deploy", who("alice", 1, "other"), action="claim")
    assert entry is not None and entry.branch == "other"


def test_the_holder_taking_back_an_expired_claim_is_no_takeover() -> None:
    entry = claims.take(held("alice"), "deploy", who("alice", 200), action="claim")
    assert entry is not None
    assert (entry.previous_holder, entry.claimed_at) == (None, T0 + timedelta(minutes=200))


def test_release_frees_it_and_keeps_a_record() -> None:
    entry = claims.release(held("alice"), who("alice", 3), action="complete")
    assert entry is not None
    assert (entry.holder, entry.branch, entry.renewed_at) == (None, None, None)
    assert entry.previous_holder == "alice"
    assert entry.summary() == "released by alice (complete)"
    assert claims.release(entry, who("alice", 4), action="release") is None


def test_only_the_holder_releases_an_active_claim() -> None:
    with pytest.raises(OwnerConflict):
        claims.release(held("alice"), who("bob", 3), action="release")
    expired = claims.release(held("alice"), who("bob", 300), action="abandon")
    assert expired is not None and expired.holder is None


def test_an_undo_restores_the_old_entry_on_top() -> None:
    old = held("alice")
    taken = claims.take(old, "deploy", who("bob", 1), action="claim", force=True)
    assert taken is not None
    undone = claims.restored(old, taken, who("bob", 2))
    assert (undone.holder, undone.action, undone.sequence) == ("alice", "restore", 3)
    free = claims.restored(None, taken, who("bob", 2))
    assert free.holder is None and free.sequence == 3
