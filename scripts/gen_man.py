"""Generate the manual pages from the click commands: git-milestone(1) and one page per
command (git-milestone-advance(1), ...), into man/man1/.

    python scripts/gen_man.py          # write the pages
    python scripts/gen_man.py --check  # exit 1 when a committed page is not current

The pages are committed and installed with the package (share/man/man1), so `man
git-milestone`, `git help milestone` and `git milestone --help` find them; a test fails
when they are not current. The text comes only from the commands' own help.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
MAN_DIR = ROOT / "man" / "man1"
PROGRAM = "git milestone"
MANUAL = "Git Manual"


def roff(text: str) -> str:
    """Plain text as roff: backslashes and dashes escaped, `code` in bold."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)


def _line(text: str) -> str:
    # A line starting with . or ' would be read as a request.
    return "\\&" + text if text[:1] in (".", "'") else text


def paragraphs(help_text: str) -> list[str]:
    """click's help text as roff paragraphs; `\\b` paragraphs keep their lines."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", help_text.strip()):
        lines = [line.strip() for line in block.splitlines()]
        if lines and lines[0] == "\b":
            body = "\n".join(_line(roff(line)) for line in lines[1:])
            out.append(f".nf\n{body}\n.fi")
        else:
            out.append(_line(roff(" ".join(line for line in lines if line))))
    return out


def _page_name(path: list[str]) -> str:
    return "-".join(["git", "milestone", *path])


def _header(name: str, summary: str) -> list[str]:
    from gitmilestone import __version__

    return [
        f'.TH "{roff(name.upper())}" "1" "" "gitmilestone {__version__}" "{MANUAL}"',
        ".SH NAME",
        f"{roff(name)} \\- {roff(summary.rstrip('.'))}",
    ]


def _usage(ctx: click.Context, command: click.Command) -> str:
    pieces = " ".join(command.collect_usage_pieces(ctx))
    return (
        f".B {roff(ctx.command_path)}\n{roff(pieces)}" if pieces else f".B {roff(ctx.command_path)}"
    )


def _options(ctx: click.Context, command: click.Command) -> list[str]:
    out: list[str] = []
    for param in command.get_params(ctx):
        if isinstance(param, click.Argument):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        out += [".TP", f"\\fB{roff(names)}\\fR", _line(roff(help_text or ""))]
    return out


def _command_sections(ctx: click.Context, command: click.Command) -> list[str]:
    lines = [".SH SYNOPSIS", _usage(ctx, command), ".SH DESCRIPTION"]
    lines += _join(paragraphs(command.help or ""))
    options = _options(ctx, command)
    if options:
        lines += [".SH OPTIONS", *options]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = click.Context(sub, info_name=name, parent=ctx, **sub.context_settings)
            lines += [f".SH {roff(sub_ctx.command_path.upper())}", _usage(sub_ctx, sub), ".PP"]
            lines += _join(paragraphs(sub.help or ""))
            sub_options = _options(sub_ctx, sub)
            if sub_options:
                lines += [".PP", "Options:", *sub_options]
    return lines


def _join(blocks: list[str]) -> list[str]:
    out: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            out.append(".PP")
        out.append(block)
    return out


def pages() -> dict[str, str]:
    """Every page's file name and text."""
    from gitmilestone.cli import COMMANDS, cli, load_command

    root_ctx = click.Context(cli, info_name=PROGRAM, **cli.context_settings)
    out: dict[str, str] = {}
    seen: dict[int, str] = {}
    entries: list[str] = []
    for name in sorted(COMMANDS):
        command = load_command(name)
        assert command is not None
        page = _page_name([name])
        if id(command) in seen:  # an alias: the page of the command it stands for
            out[f"{page}.1"] = f".so man1/{seen[id(command)]}.1\n"
            entries += [
                ".TP",
                f"\\fB{roff(name)}\\fR",
                f"The same as \\fB{seen[id(command)]}\\fR(1).",
            ]
            continue
        seen[id(command)] = page
        ctx = click.Context(command, info_name=name, parent=root_ctx, **command.context_settings)
        summary = command.get_short_help_str(limit=200)
        lines = _header(page, summary) + _command_sections(ctx, command)
        lines += [".SH SEE ALSO", "\\fBgit\\-milestone\\fR(1)"]
        out[f"{page}.1"] = "\n".join(lines) + "\n"
        entries += [".TP", f"\\fB{roff(name)}\\fR", f"{roff(summary)} See \\fB{roff(page)}\\fR(1)."]
    main = _header("git-milestone", cli.get_short_help_str(limit=200))
    main += [
        ".SH SYNOPSIS",
        f".B {roff(PROGRAM)}",
        "[\\-\\-version] [\\-h | \\-\\-help] [\\fICOMMAND\\fR [\\fIARGS\\fR]...]",
        ".SH DESCRIPTION",
        *_join(paragraphs(cli.help or "")),
        ".PP",
        roff(
            "`git milestone COMMAND --help` (or `-h`) prints a command's help; "
            "`git milestone --help` and `git help milestone` show this page."
        ),
        ".SH COMMANDS",
        *entries,
        ".SH SEE ALSO",
        ", ".join(
            f"\\fB{roff(p.removesuffix('.1'))}\\fR(1)"
            for p in sorted(out)
            if not out[p].startswith(".so")
        )
        + ", \\fBgit\\fR(1), \\fBgithooks\\fR(5), \\fBgitattributes\\fR(5)",
    ]
    out["git-milestone.1"] = "\n".join(main) + "\n"
    return dict(sorted(out.items()))


def stale(directory: Path = MAN_DIR) -> list[str]:
    """The pages in `directory` that differ from the generated ones, or are missing or extra."""
    wanted = pages()
    have = {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.1")}
    return sorted(n for n in set(wanted) | set(have) if wanted.get(n) != have.get(n))


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        wrong = stale()
        if wrong:
            print(
                f"man pages not current: {', '.join(wrong)}; run `python scripts/gen_man.py`",
                file=sys.stderr,
            )
            return 1
        return 0
    if argv:
        print("usage: python scripts/gen_man.py [--check]", file=sys.stderr)
        return 2
    MAN_DIR.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for old in MAN_DIR.glob("*.1"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (MAN_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} pages to {MAN_DIR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
