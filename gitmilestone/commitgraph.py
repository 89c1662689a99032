"""git's commit-graph, as far as `resume` cares: is there one with changed-path Bloom
filters, so that a walk limited to one milestone file costs the same however long history
grows? `git milestone init` writes one, `doctor` says when there is none.

Only the files' chunk tables are read (the format is git's
Documentation/gitformat-commit-graph.txt): a Bloom filter index chunk (`BIDX`) in every
layer means git can answer "did this commit change this path?" without opening trees.
"""

from __future__ import annotations

from pathlib import Path

from gitmilestone import git

ADVICE = "git commit-graph write --reachable --changed-paths"
# Writing the graph reads every commit once: init does it for histories up to this size and
# advises it for longer ones.
INIT_LIMIT = 100_000


def _layers(objects: Path) -> list[Path]:
    info = objects / "info"
    chain = info / "commit-graphs" / "commit-graph-chain"
    try:
        names = chain.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        names = []
    if names:
        return [info / "commit-graphs" / f"graph-{n}.graph" for n in names]
    single = info / "commit-graph"
    return [single] if single.is_file() else []


def _has_bloom(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            header = handle.read(8)
            if len(header) != 8 or header[:4] != b"CGPH":
                return False
            table = handle.read(12 * (header[6] + 1))
    except OSError:
        return False
    ids = {table[i : i + 4] for i in range(0, len(table) - 11, 12)}
    return b"BIDX" in ids and b"BDAT" in ids


def has_changed_paths(repo: git.Repo) -> bool:
    """Whether the repository's commit-graph has changed-path Bloom filters in every layer."""
    layers = _layers(repo.common_dir / "objects")
    return bool(layers) and all(_has_bloom(p) for p in layers)


def ensure(repo: git.Repo) -> str:
    """Write the commit-graph with changed paths when there is none and history is short
    enough to do it now; say what was done (or what to run)."""
    if has_changed_paths(repo):
        return "present"
    if git.commit_count(repo, INIT_LIMIT + 1) > INIT_LIMIT:
        return "advised"
    return "written" if git.write_commit_graph(repo) else "advised"
