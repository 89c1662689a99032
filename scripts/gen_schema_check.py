"""Generate gitmilestone/schema/_check.py, the schema's fast check, from the package schema.

    python scripts/gen_schema_check.py          # write the module
    python scripts/gen_schema_check.py --check  # exit 1 when the committed module is not current

The schema is fixed package data, so its check is compiled once, here, instead of by every
process: the module is committed and loaded from Python's bytecode cache. A test fails when
it is not current.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "gitmilestone" / "schema" / "_check.py"
COMMAND = "python scripts/gen_schema_check.py"


def source() -> str:
    """The module's text, from the schema as the package ships it."""
    from gitmilestone.fastschema import module_source
    from gitmilestone.schema import SCHEMA_FILE, schema

    comment = (
        f"Generated from {SCHEMA_FILE} by `{COMMAND}`:\n"
        "do not edit by hand; run it again after changing the schema."
    )
    return module_source(schema(), comment)


def stale(path: Path = MODULE) -> bool:
    """Whether the module at `path` differs from the generated one, or is missing."""
    try:
        have = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    return have != source()


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        if stale():
            print(f"{MODULE.relative_to(ROOT)} is not current; run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if argv:
        print(f"usage: {COMMAND} [--check]", file=sys.stderr)
        return 2
    MODULE.write_text(source(), encoding="utf-8")
    print(f"wrote {MODULE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
