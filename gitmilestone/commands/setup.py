"""`init`: make a repository ready for milestones."""

from __future__ import annotations

from gitmilestone import git, store
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
"""


def init(ws: Workspace, *, hooks: bool, commit: bool) -> Result:
    directory = ws.directory
    readme = directory / "README.md"
    rel = ws.rel(readme)
    created = []
    with store.repository_lock(ws.repo.common_dir):
        if not readme.exists():
            store.write_atomic(readme, README)
            created.append(rel)
        sha = None
        if created:
            try:
                if commit:
                    git.add(ws.repo, created, intent=True)
                    message = (
                        f"milestone: init {ws.settings.dir}/\n\n"
                        f"Milestone-Action: init\nMilestone-Actor: {ws.actor_name}\n"
                    )
                    sha = git.commit_only(ws.repo, created, message)
                else:
                    git.add(ws.repo, created)
            except BaseException:
                store.restore(readme, None)
                git.unstage_new(ws.repo, created)
                raise
    hook_lines: list[str] = []
    if hooks:
        from gitmilestone.commands.hooks import install_hooks

        hook_lines.append(install_hooks(ws, uninstall=False).text)
    if created:
        text = f"initialized {ws.settings.dir}/" + (f" [{sha[:9]}]" if sha else " (staged)")
    else:
        text = f"{ws.settings.dir}/ is already set up"
    data = {"dir": ws.settings.dir, "created": created, "commit": sha, "hooks": hooks}
    return Result(data, "\n".join([text, *hook_lines]))
