"""The lazily loaded command table: every entry loads, and runs only its own module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gitmilestone.cli import COMMANDS, load_command

ALIASES = {"status": "list"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_loads_under_its_name(name: str) -> None:
    command = load_command(name)
    assert command is not None
    assert command.name == ALIASES.get(name, name)
    assert command.help


def test_unknown_command_is_a_usage_error() -> None:
    assert load_command("no-such-command") is None
    proc = subprocess.run(
        [sys.executable, "-m", "gitmilestone", "frobnicate"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "No such command 'frobnicate'" in proc.stderr


def test_a_command_imports_only_its_own_family() -> None:
    code = (
        "import sys\n"
        "from gitmilestone.cli import load_command\n"
        "load_command('advance')\n"
        "print(sorted(m for m in sys.modules if m.startswith('gitmilestone.cli.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['gitmilestone.cli.common', 'gitmilestone.cli.work']"
