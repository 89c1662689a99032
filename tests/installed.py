"""One real `pip install` of this checkout into a fresh virtual environment, shared by every
test (and xdist worker) of a session that needs it: what a user gets from `pip install .`
or pipx, not the editable install the suite runs from."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT

SNAPSHOT = ("pyproject.toml", "README.md", "gitmilestone", "man")


@dataclass(frozen=True)
class Installed:
    """A fresh environment with gitmilestone installed from a copy of this checkout."""

    prefix: Path
    site_packages: Path

    @property
    def bin(self) -> Path:
        return self.prefix / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a user with this environment's bin first on PATH."""
        env = {k: v for k, v in os.environ.items() if k not in ("MANPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
        return {**env, **extra}


def install(base: Path) -> Installed:
    source, prefix = base / "source", base / "venv"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SNAPSHOT:
        if (PROJECT / name).is_dir():
            shutil.copytree(PROJECT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(PROJECT / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    python = prefix / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies come from the test environment, so nothing but the build backend
    # is downloaded; gitmilestone itself is installed for real (a wheel built by pip).
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    proc = subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", str(source)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Installed(prefix, site)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = root / "fresh-install"
    with open(root / "fresh-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "done"
        if not done.exists():
            if shared.exists():
                shutil.rmtree(shared)
            shared.mkdir()
            result = install(shared)
            done.write_text(str(result.site_packages))
    return Installed(shared / "venv", Path(done.read_text()))
