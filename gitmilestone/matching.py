"""Which step is which across two versions of a step list. Pure.

A step has no id of its own: its number changes when a step before it is added, removed or
moved. Two versions are matched by what a reader would go by: the same list with the same
descriptions in the same places is matched by place; otherwise steps are matched by
description (by their whole content when descriptions repeat), the longest common run in
order first, then steps that moved, and then, between two matched steps, what is left on
both sides in equal numbers is the same steps edited in place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# For each step of the new list: the index of the same step in the old list, or None for a
# step that is new.
Alignment = list[int | None]


def content(step: Mapping[str, Any]) -> str:
    """A step's content without its number: equal for the same step renumbered."""
    return json.dumps({k: v for k, v in step.items() if k != "step"}, sort_keys=True)


def in_place(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the list kept its shape: as many steps, the same descriptions in order."""
    return len(old) == len(new) and all(
        a.get("description") == b.get("description") for a, b in zip(old, new, strict=True)
    )


def align(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> Alignment | None:
    """For each step of `new`, the index of the same step in `old` (None: a new step); None
    when steps were added, removed or moved among steps that repeat (the same description,
    the same content), so that which is which cannot be known."""
    if in_place(old, new):
        return list(range(len(new)))
    for key in (_description, content):
        old_keys, new_keys = [key(s) for s in old], [key(s) for s in new]
        if len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys):
            return _align(old_keys, new_keys)
    return None


def align_loosely(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> Alignment:
    """`align`, but steps that repeat are taken as the same in order: for a check that only
    compares what steps hold, two steps with the same content are interchangeable."""
    aligned = align(old, new)
    if aligned is None:
        aligned = _align([content(s) for s in old], [content(s) for s in new])
    return aligned


def _description(step: Mapping[str, Any]) -> str:
    return str(step.get("description"))


def _align(old: list[str], new: list[str]) -> Alignment:
    from difflib import SequenceMatcher

    out: Alignment = [None] * len(new)
    blocks = SequenceMatcher(None, old, new, autojunk=False).get_matching_blocks()
    for block in blocks:
        for k in range(block.size):
            out[block.b + k] = block.a + k
    # Steps that moved: the same key out of order, taken in order.
    taken = {a for a in out if a is not None}
    free: dict[str, list[int]] = {}
    for i, key in enumerate(old):
        if i not in taken:
            free.setdefault(key, []).append(i)
    for j, key in enumerate(new):
        if out[j] is None and free.get(key):
            out[j] = free[key].pop(0)
    # Between two steps matched in order, as many unmatched steps on each side: the same
    # steps, edited in place (a new description, a new status).
    taken = {a for a in out if a is not None}
    a_prev = b_prev = -1
    for block in blocks:
        olds = [i for i in range(a_prev + 1, block.a) if i not in taken]
        news = [j for j in range(b_prev + 1, block.b) if out[j] is None]
        if olds and len(olds) == len(news):
            for i, j in zip(olds, news, strict=True):
                out[j] = i
        a_prev, b_prev = block.a + block.size - 1, block.b + block.size - 1
    return out
