"""`git milestone mcp`: a real server process driven by the SDK's stdio client makes the same
commits as the command line, returns the same data, and reports errors with their codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import T0, Repo, make_repo

if TYPE_CHECKING:
    # Imported where used: every test worker collects this module, and the SDK is slow to
    # import.
    from mcp import Client
    from mcp.types import CallToolResult

TOOLS = {
    "list",
    "show",
    "resume",
    "next",
    "new",
    "claim",
    "release",
    "advance",
    "block",
    "unblock",
    "handoff",
    "complete",
    "log",
    "validate",
}
STEPS = ("--step", "Build the image", "--step", "Push it", "--step", "Deploy")


def twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Repo, Repo]:
    """Two repositories whose commits get the same ids when the same things happen."""
    monkeypatch.setenv("GIT_MILESTONE_NOW", T0)
    monkeypatch.setenv("GIT_AUTHOR_DATE", T0)
    monkeypatch.setenv("GIT_COMMITTER_DATE", T0)
    repos = (make_repo(tmp_path / "cli", monkeypatch), make_repo(tmp_path / "mcp", monkeypatch))
    for repo in repos:
        assert repo.gm("new", "Deploy", "--id", "deploy", *STEPS, "--as", "lead").exit_code == 0
    return repos


def serve(cwd: Path, *args: str) -> Callable[[Callable[[Client], Awaitable[None]]], None]:
    """Run `session(client)` against `git milestone mcp ARGS` started in `cwd`."""

    def run(session: Callable[[Client], Awaitable[None]]) -> None:
        import anyio
        from mcp import Client, StdioServerParameters

        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "gitmilestone", "mcp", *args],
            env=dict(os.environ),
            cwd=cwd,
        )

        async def main() -> None:
            async with Client(params) as client:
                await session(client)

        anyio.run(main)

    return run


def cli_data(repo: Repo, *args: str) -> Any:
    ran = repo.gm(*args, "--json")
    assert ran.exit_code == 0, ran.stderr
    return json.loads(ran.stdout)["data"]


def ok(result: CallToolResult) -> Any:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    return result.structured_content


def test_mcp_makes_the_same_commits_as_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, served = twins(tmp_path, monkeypatch)
    # The session's sequence, through the command line.
    expected = [
        cli_data(cli, "claim", "deploy", "--as", "s1"),
        cli_data(cli, "advance", "deploy", "--as", "s1"),
        cli_data(cli, "advance", "deploy", "--note", "image web:1.4", "--as", "s1"),
        cli_data(
            cli,
            "handoff",
            "deploy",
            "--next",
            "push it",
            "--notes",
            "slow registry",
            "--release",
            "--as",
            "s1",
        ),
        cli_data(cli, "resume", "deploy", "--as", "s2"),
    ]
    timings: list[float] = []

    async def session(client: Client) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.description and len(tool.description) > 60
            schema = tool.input_schema
            assert schema["type"] == "object"
            for name, prop in schema.get("properties", {}).items():
                assert prop.get("description"), f"{tool.name}.{name} has no description"
        assert tools["advance"].input_schema["required"] == ["milestone_id"]
        assert "next_steps" in tools["handoff"].input_schema["properties"]
        assert {"milestone_id", "step", "to", "note", "as_actor"} <= set(
            tools["advance"].input_schema["properties"]
        )

        async def call(name: str, args: dict[str, Any]) -> CallToolResult:
            started = time.perf_counter()
            result = await client.call_tool(name, args)
            timings.append(time.perf_counter() - started)
            return result

        got = [
            ok(await call("claim", {"milestone_id": "deploy", "as_actor": "s1"})),
            ok(await call("advance", {"milestone_id": "deploy", "as_actor": "s1"})),
            ok(
                await call(
                    "advance", {"milestone_id": "deploy", "note": "image web:1.4", "actor": "s1"}
                )
            ),
            ok(
                await call(
                    "handoff",
                    {
                        "milestone_id": "deploy",
                        "next": ["push it"],
                        "notes": "slow registry",
                        "release": True,
                        "as_actor": "s1",
                    },
                )
            ),
            ok(await call("resume", {"milestone_id": "deploy", "as_actor": "s2"})),
        ]
        assert got == expected
        briefing = got[-1]
        assert briefing["owner"] is None
        assert briefing["next_session_should"] == ["push it"]
        assert briefing["done_steps"][0]["notes"] == "image web:1.4"

        # Errors carry the command's code and message.
        missing = await call("show", {"milestone_id": "no-such"})
        assert missing.is_error
        assert missing.structured_content is not None
        assert missing.structured_content["code"] == "not-found"
        assert missing.content[0].text.startswith("not-found: no milestone 'no-such'")  # type: ignore[union-attr]
        bad = await call("claim", {"milestone_id": "Not An Id", "as_actor": "s1"})
        assert bad.is_error and bad.structured_content == {
            "code": "usage",
            "message": json.loads(cli.gm("claim", "Not An Id", "--json").stdout)["error"][
                "message"
            ],
        }
        ok(await call("claim", {"milestone_id": "deploy", "as_actor": "s2"}))
        taken = await call("advance", {"milestone_id": "deploy", "as_actor": "s3"})
        assert taken.is_error and taken.structured_content is not None
        assert taken.structured_content["code"] == "owner-conflict"
        assert taken.content[0].text.startswith("owner-conflict: s2 holds deploy")  # type: ignore[union-attr]

        # Nothing is cached between calls: a change made outside shows at once.
        assert served.gm("release", "deploy", "--as", "s2").exit_code == 0
        fresh = ok(await call("show", {"id": "deploy"}))
        assert fresh["owner"] is None
        records = ok(await call("log", {"milestone_id": "deploy", "limit": 1}))["records"]
        assert records[0]["action"] == "release" and records[0]["actor"] == "s2"

    # Served from elsewhere with -C, as an MCP client configured once for a repository.
    serve(tmp_path, "-C", str(served.path))(session)

    # The same commits, ids included (same content, same times), then the two made after.
    history = ["log", "--format=%H %s%n%b"]
    assert served.git(*history, "HEAD~2") == cli.git(*history)
    assert served.trailers("HEAD~2") == cli.trailers("HEAD")
    assert served.git("status", "--porcelain") == ""
    print(f"\nMCP round trip per tool call: {1000 * sum(timings) / len(timings):.1f} ms mean")


def test_validate_and_next_through_mcp(repo: Repo) -> None:
    repo.write("MILESTONES/broken.json", "{}\n")
    assert repo.gm("new", "Ready work", "--id", "ready", "--step", "one").exit_code == 0

    async def session(client: Client) -> None:
        report = await client.call_tool("validate", {})
        assert report.is_error and report.structured_content is not None
        assert report.structured_content["code"] == "findings"
        assert report.structured_content["data"] == cli_data_or_error(repo, "validate")
        claimed = ok(await client.call_tool("next", {"claim": True}))
        assert claimed["claimed"]["milestone"]["owner"] == "server-actor"
        assert repo.trailers()["Milestone-Actor"] == ["server-actor"]

    serve(repo.path, "--as", "server-actor")(session)


def cli_data_or_error(repo: Repo, *args: str) -> Any:
    return json.loads(repo.gm(*args, "--json").stdout)["data"]


def test_without_the_sdk_mcp_says_how_to_install_it(repo: Repo) -> None:
    code = (
        "import sys\n"
        "sys.modules['mcp'] = None  # as if the extra were not installed\n"
        "from gitmilestone.cli import main\n"
        "sys.argv = ['git-milestone', 'mcp']\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo.path, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "pip install 'gitmilestone[mcp]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_only_the_server_module_imports_the_sdk() -> None:
    code = (
        "import importlib, pkgutil, sys, gitmilestone\n"
        "for m in pkgutil.walk_packages(gitmilestone.__path__, 'gitmilestone.'):\n"
        "    if m.name != 'gitmilestone.mcp_server':\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('mcp', 'mcp_types')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_argument_is_a_tool_error_naming_the_valid_ones(repo: Repo) -> None:
    assert repo.gm("new", "Ready work", "--id", "ready", "--step", "one").exit_code == 0
    head = repo.head()

    async def session(client: Client) -> None:
        typo = await client.call_tool("advance", {"id": "ready", "notee": "built it"})
        assert typo.is_error and typo.structured_content is not None
        assert typo.structured_content["code"] == "usage"
        message = typo.structured_content["message"]
        assert "advance has no argument 'notee' (did you mean 'note'?)" in message
        assert "nothing was done" in message
        assert "milestone_id (or id), step, to, note, as_actor (or actor)" in message
        assert typo.content[0].text.startswith("usage: advance has no argument")  # type: ignore[union-attr]
        several = await client.call_tool("list", {"al": True, "owner": "x", "colour": "red"})
        assert several.is_error and several.structured_content is not None
        assert (
            "list has no arguments 'al' (did you mean 'all'?), 'colour'"
            in (several.structured_content["message"])
        )
        hidden = await client.call_tool("claim", {"id": "ready", "actor": "ali\u200bce"})
        assert hidden.is_error and hidden.structured_content is not None
        assert hidden.structured_content["code"] == "usage"
        assert "\\u200b" in hidden.structured_content["message"]
        assert repo.head() == head
        # The names a tool does have, aliases included, still work.
        done = ok(await client.call_tool("advance", {"id": "ready", "note": "x", "actor": "s1"}))
        assert done["milestone"]["owner"] == "s1"

    serve(repo.path)(session)
    assert repo.trailers()["Milestone-Actor"] == ["s1"]


def test_a_lone_surrogate_in_an_argument_is_a_tool_error(repo: Repo) -> None:
    # JSON can carry one ("\ud800"); the SDK's own clients and stdio transport cannot, so
    # the server is called in-process, as another transport would call it.
    import anyio

    from gitmilestone.mcp_server import build

    assert repo.gm("new", "Ready work", "--id", "ready", "--step", "one").exit_code == 0
    head = repo.head()
    app = build(repo.path, "s1", "MILESTONES")

    async def main() -> Any:
        return await app.call_tool("advance", {"id": "ready", "note": "half \udce9 a char"})

    result = anyio.run(main)
    assert result.is_error and result.structured_content["code"] == "usage"
    assert result.structured_content["message"].startswith(
        "note: it is not valid UTF-8 text (byte \\xe9 at position 6)"
    )
    assert repo.head() == head and repo.git("status", "--porcelain") == ""


def test_every_tool_naming_a_milestone_takes_id_and_a_wrong_type_is_a_usage_error(
    repo: Repo,
) -> None:
    assert repo.gm("new", "Ready work", "--id", "ready", "--step", "one").exit_code == 0

    async def session(client: Client) -> None:
        made = ok(await client.call_tool("new", {"title": "By id", "id": "by-id", "steps": ["a"]}))
        assert made["milestone"]["milestone_id"] == "by-id"
        records = ok(await client.call_tool("log", {"id": "ready"}))["records"]
        assert {r["milestone"] for r in records} == {"ready"}
        head = repo.head()
        wrong = await client.call_tool("advance", {"id": "ready", "step": "two"})
        assert wrong.is_error and wrong.structured_content is not None
        assert wrong.structured_content["code"] == "usage"
        assert wrong.structured_content["message"].startswith("advance: step: ")
        assert "nothing was done" in wrong.structured_content["message"]
        assert wrong.content[0].text.startswith("usage: advance: step: ")  # type: ignore[union-attr]
        assert repo.head() == head

    serve(repo.path, "--as", "s1")(session)


def test_a_blank_or_invisible_as_is_refused_before_serving(repo: Repo) -> None:
    for name in ("", "  ", "ali\u200bce"):
        ran = repo.gm("mcp", "--as", name)
        assert ran.exit_code == 2, (name, ran.stdout, ran.stderr)
        assert "--as" in ran.stderr
