"""`.gitmilestone.toml`: settings committed for every clone."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path, PurePosixPath

from gitmilestone import timestamps
from gitmilestone.errors import Invalid
from gitmilestone.records import frozen, replace

CONFIG_FILE = ".gitmilestone.toml"
DEFAULT_DIR = "MILESTONES"
DEFAULT_LEASE = timedelta(hours=2)
_KEYS = ("dir", "lease", "claims_remote")


@frozen
class Settings:
    dir: str = DEFAULT_DIR
    lease: timedelta = DEFAULT_LEASE
    # The remote whose claims registry decides who holds what (None: this repository's).
    claims_remote: str | None = None


def load_settings(root: Path) -> Settings:
    """Read `.gitmilestone.toml` at the repository root; defaults when it is absent."""
    path = root / CONFIG_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    return parse_settings(data)


def parse_settings(data: bytes | None) -> Settings:
    """Settings from the bytes of a `.gitmilestone.toml` (None: there is none), such as the
    version committed in a commit being checked."""
    if data is None:
        return Settings()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise Invalid(f"{CONFIG_FILE}: not valid TOML ({exc}); fix or remove it") from None
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        keys = ", ".join(f"`{k}`" for k in _KEYS)
        raise Invalid(f"{CONFIG_FILE}: unknown key {unknown[0]!r}; the keys are {keys}")
    settings = Settings()
    if "dir" in table:
        settings = replace(settings, dir=_check_dir(table["dir"]))
    if "lease" in table:
        lease = table["lease"]
        try:
            if not isinstance(lease, str):
                raise ValueError(f"not a duration: {lease!r} (write it like 2h, 90m or 1h30m)")
            settings = replace(settings, lease=timestamps.parse_duration(lease))
        except ValueError as exc:
            raise Invalid(f"{CONFIG_FILE}: lease: {exc}") from None
    if "claims_remote" in table:
        settings = replace(settings, claims_remote=_check_remote(table["claims_remote"]))
    return settings


def _check_remote(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value.strip()
        or any(c.isspace() or ord(c) < 32 or c in ":\\" for c in value)
    ):
        raise Invalid(
            f'{CONFIG_FILE}: claims_remote must name a git remote, such as "origin" '
            "(see `git remote -v`)"
        )
    return value


def _check_dir(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f'{CONFIG_FILE}: dir must be a relative path such as "MILESTONES"')
    posix = PurePosixPath(value.strip())
    if posix.is_absolute() or ".." in posix.parts or str(posix) in ("", "."):
        raise Invalid(
            f"{CONFIG_FILE}: dir {value!r} must stay inside the repository, "
            'such as "SESSIONS/MILESTONES"'
        )
    return str(posix)
