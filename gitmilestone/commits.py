"""Commits as `git log -z` prints them, with their `--raw` file changes. Pure.

Each commit's fields are asked for NUL-separated (`%x00` between placeholders): a commit
message never holds a NUL, so no subject, body, name or trailer can pass for another
field, whatever it contains. `-z` ends each commit's fields with a NUL too, and writes
each `--raw` entry as a `:modes oids status` token followed by its path, so the stream is
a sequence of tokens read by position.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

FIELD = "%x00"


class FileChange(NamedTuple):
    """One file a commit changed: its blob before (one per parent: a combined `-c` entry
    of a merge has several) and after; an all-zero id means absent."""

    path: str
    status: str
    old: tuple[str, ...]
    new: str

    @property
    def added(self) -> bool:
        return not self.old or all(is_null(o) for o in self.old)

    @property
    def deleted(self) -> bool:
        return is_null(self.new)


class Commit(NamedTuple):
    """The fields asked for (as text, in order) and the files the commit changed."""

    fields: tuple[str, ...]
    changes: tuple[FileChange, ...]


def log_format(placeholders: Sequence[str]) -> str:
    """A `--format` asking for `placeholders`, one field each."""
    return FIELD.join(placeholders)


def is_null(oid: str) -> bool:
    return not oid.strip("0")


def parse_raw(meta: bytes, path: bytes) -> FileChange:
    """A `--raw` entry: `:100644 100644 OLD NEW M` (or `::` and one more id per parent)."""
    text = meta.decode("ascii", "replace").lstrip("\n")
    parents = len(text) - len(text.lstrip(":"))
    parts = text[parents:].split(" ")
    oids = parts[parents + 1 : 2 * parents + 2]
    return FileChange(
        path.decode("utf-8", "surrogateescape"),
        parts[-1] if parts else "",
        tuple(oids[:-1]),
        oids[-1] if oids else "",
    )


def parse(tokens: Iterable[bytes], count: int) -> Iterator[Commit]:
    """The commits in a `git log -z --format=log_format(...) [--raw]` token stream; `count`
    is the number of placeholders asked for."""
    header: list[bytes] = []
    changes: list[FileChange] = []
    meta: bytes | None = None
    for token in tokens:
        if len(header) < count:
            header.append(token)
            continue
        if meta is not None:
            changes.append(parse_raw(meta, token))
            meta = None
        elif token.lstrip(b"\n")[:1] == b":":
            meta = token
        else:
            yield _commit(header, changes)
            header, changes = [token], []
    if header:
        # The last commit's last field has no NUL after it, and an empty one is not a token.
        header += [b""] * (count - len(header))
        yield _commit(header, changes)


def _commit(header: list[bytes], changes: list[FileChange]) -> Commit:
    return Commit(tuple(f.decode("utf-8", "replace") for f in header), tuple(changes))
