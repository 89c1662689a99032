"""`init`: make a repository ready for milestones."""

from __future__ import annotations

from pathlib import Path

from gitmilestone import git, messages, registry, store, textfiles
from gitmilestone.errors import NotFound
from gitmilestone.output import Result
from gitmilestone.workspace import Workspace

README = """\
# Milestones

Each `*.json` file here is one piece of multi-step work: its steps, who holds it, its
status and progress, and what the next session should do. Change them with
`git milestone` so that every change is one commit with `Milestone-*` trailers:

    git milestone list              # what is going on
    git milestone resume ID         # the briefing for picking work up
    git milestone advance ID        # finish the current step, start the next
    git milestone handoff ID --next "..." --release
    git milestone log               # who did what, from git history

Hand edits are fine too: `git milestone validate` (and the pre-commit hooks) check them.
`schema/` holds the JSON Schema the files name in `$schema`, so editors check and
complete them as you type; `git milestone init` keeps it current.
"""


def init(ws: Workspace, *, hooks: bool, commit: bool, agents: bool = False) -> Result:
    """Create the milestone directory and register the merge driver; with `agents`, also
    write the agent instructions (see `agents`); commit it all as one commit."""
    from gitmilestone.commands import merge_driver
    from gitmilestone.schema import REPO_COPY, schema_text

    remote = claims_remote(ws)
    readme = ws.directory / "README.md"
    attributes = ws.repo.root / ".gitattributes"
    schema_copy = ws.directory / REPO_COPY
    with store.repository_lock(ws.repo.common_dir):
        # Planned first: broken markers in AGENTS.md stop init before anything is written.
        instructions = _plan_agents(ws) if agents else None
        originals = {p: _read(p) for p in (readme, attributes, schema_copy)}
        changed = []
        if originals[readme] is None:
            store.write_atomic(readme, README)
            changed.append(ws.rel(readme))
        # The schema in the repository, for editors (new files point at it in `$schema`);
        # kept to this version's schema.
        if originals[schema_copy] != schema_text().encode("utf-8"):
            store.write_atomic(schema_copy, schema_text())
            changed.append(ws.rel(schema_copy))
        attributes_changed, registration = merge_driver.configure(ws.repo, ws.settings.dir)
        changed += attributes_changed
        if instructions is not None:
            textfiles.write(instructions)
            originals.update(instructions.originals)
            changed += [ws.rel(p) for p in instructions.new]
        sha = None
        try:
            if changed and commit:
                git.add(ws.repo, changed, intent=True)
                message = messages.repository_message(
                    f"init {ws.settings.dir}/", "init", ws.actor_name
                )
                sha = git.commit_only(ws.repo, changed, message)
            elif changed:
                git.add(ws.repo, changed)
        except BaseException:
            for path, original in originals.items():
                store.restore(path, original)
            git.unstage_new(ws.repo, [ws.rel(p) for p, o in originals.items() if o is None])
            raise
    from gitmilestone import commitgraph

    graph = commitgraph.ensure(ws.repo)
    hook_lines: list[str] = []
    if remote is not None and registry.configure_fetch(ws.repo, remote):
        hook_lines.append(
            f"`git fetch {remote}` now brings the claims registry too "
            f"(into {registry.REMOTES}{remote}/claims/)"
        )
    if graph == "advised":
        hook_lines.append(
            f"history is long: run `{commitgraph.ADVICE}` once (it takes a while) so that "
            "`resume` reads a milestone's last commits without walking all of it"
        )
    if hooks:
        from gitmilestone.commands.hooks import install_hooks

        hook_lines.append(install_hooks(ws, uninstall=False).text_out())
    if changed:
        text = f"initialized {ws.settings.dir}/" + (f" [{sha[:9]}]" if sha else " (staged)")
        if instructions is not None and instructions.new:
            files = ", ".join(ws.rel(p) for p in instructions.new)
            text += f"\nagent instructions written in {files}"
    else:
        text = f"{ws.settings.dir}/ is already set up"
    if registration != "already registered":
        text += f"\nmerge driver {registration}: {merge_driver.COMMAND}"
    data = {
        "dir": ws.settings.dir,
        "created": changed,
        "commit": sha,
        "hooks": hooks,
        "agents": agents,
        "merge_driver": registration,
        "claims_remote": remote,
        "commit_graph": graph,
    }
    missing = merge_driver.not_on_path()
    return Result(data, "\n".join([text, *hook_lines]), warnings=(missing,) if missing else ())


def _plan_agents(ws: Workspace) -> textfiles.Planned:
    from gitmilestone.commands.agents import edits

    return textfiles.plan(ws, edits(ws))


def claims_remote(ws: Workspace) -> str | None:
    """The remote whose claims `git fetch` should bring: `claims_remote` when set, else
    `origin` when there is one."""
    names = git.remotes(ws.repo)
    if ws.settings.claims_remote is not None:
        if ws.settings.claims_remote not in names:
            raise NotFound(
                f"claims_remote = {ws.settings.claims_remote!r} in .gitmilestone.toml, but "
                "this repository has no such remote; add it (`git remote add NAME URL`) "
                "or change the setting"
            )
        return ws.settings.claims_remote
    return "origin" if "origin" in names else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
