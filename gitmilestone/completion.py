"""Shell completion that plugs into git's own: `git milestone completion bash|zsh|fish`.

The scripts are generated from the click commands (names, options, which values they take)
but run without Python on every TAB: milestone ids are the `*.json` names in the milestone
directory (`dir` from .gitmilestone.toml, read by the shell) and actor names come from the
files' owner and `_by` fields and git config. git's completion is never replaced:

- bash: a `_git_milestone` function, which git's completion calls for `git milestone`;
- zsh: a `_git-milestone` function, which zsh's `_git` calls, and the `user-commands` style
  that lists `milestone` among git's commands;
- fish: `complete -c git -n '__fish_git_using_command milestone' ...` rules.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from gitmilestone.records import frozen

SHELLS = ("bash", "zsh", "fish")
# The fields of a milestone file that name someone, for completing --as, --owner, --actor.
_NAME_FIELDS = "owner|updated_by|started_by|completed_by|reopened_by|handoff_by"
# `dir = "..."` in .gitmilestone.toml, as the plain hook reads it (a plain value only): a
# sed -E program, double-quoted for bash and zsh.
_DIR_SED = (
    '"s|^[[:space:]]*dir[[:space:]]*=[[:space:]]*[\\"\']([A-Za-z0-9._/-]+)[\\"\']'
    '[[:space:]]*(#.*)?\\$|\\1|p"'
)


@frozen
class Value:
    """What an option's value or an argument is, for completing it."""

    kind: str  # "id", "actor", "file", "choice" or "text"
    choices: tuple[str, ...] = ()


@frozen
class Option:
    names: tuple[str, ...]
    help: str
    value: Value | None  # None: a flag


@frozen
class Spec:
    """One command as completion sees it."""

    path: tuple[str, ...]
    help: str
    options: tuple[Option, ...]
    args: tuple[Value, ...]
    rest: Value | None  # an argument that repeats (nargs=-1)
    subcommands: tuple[str, ...]

    @property
    def key(self) -> str:
        return " ".join(self.path)


def _value(param: click.Parameter) -> Value:
    kind = param.type
    if isinstance(kind, click.Choice):
        return Value("choice", tuple(str(c) for c in kind.choices))
    meta = (param.metavar or "").strip("[].").upper()
    name = param.name or ""
    if meta == "ID" or name in ("milestone_id", "depends_on"):
        return Value("id")
    if meta == "NAME" or name in ("as_actor", "owner", "actor"):
        return Value("actor")
    if isinstance(kind, (click.Path, click.File)) or meta in ("PATH", "FILE"):
        return Value("file")
    return Value("text")


def _first_sentence(text: str) -> str:
    line = " ".join(text.split())
    end = line.find(". ")
    return (line if end < 0 else line[: end + 1]).replace("\b", "").strip()


def specs() -> list[Spec]:
    """Every command (and each subcommand of a group), in name order."""
    from gitmilestone.cli import COMMANDS, cli, load_command

    root = click.Context(cli, info_name="git milestone", **cli.context_settings)
    out: list[Spec] = []

    def visit(path: tuple[str, ...], command: click.Command, parent: click.Context) -> None:
        ctx = click.Context(command, info_name=path[-1], parent=parent)
        options, args, rest = [], [], None
        for param in command.get_params(ctx):
            if isinstance(param, click.Argument):
                if param.nargs == -1:
                    rest = _value(param)
                else:
                    args.append(_value(param))
            elif isinstance(param, click.Option) and not param.hidden:
                names = tuple(param.opts + param.secondary_opts)
                value = None if param.is_flag or param.count else _value(param)
                options.append(Option(names, _first_sentence(param.help or ""), value))
        subs: list[str] = []
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    subs.append(name)
                    visit((*path, name), sub, ctx)
        help_text = _first_sentence(command.get_short_help_str(limit=120))
        out.append(Spec(path, help_text, tuple(options), tuple(args), rest, tuple(subs)))

    for name in sorted(COMMANDS):
        command = load_command(name)
        if command is not None and not command.hidden:
            visit((name,), command, root)
    out.sort(key=lambda s: s.path)
    return out


def script(shell: str) -> str:
    """The completion script for `shell`."""
    render = {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell]
    return render(specs())


# --- bash -------------------------------------------------------------------------------------


def _sh_words(words: tuple[str, ...] | list[str]) -> str:
    return " ".join(words)


def _bash(all_specs: list[Spec]) -> str:
    top = [s for s in all_specs if len(s.path) == 1]
    options = "\n".join(
        f'\t"{s.key}") echo "{_sh_words([n for o in s.options for n in o.names])}" ;;'
        for s in all_specs
    )
    values = "\n".join(
        f'\t"{s.key} {name}") echo "{_bash_kind(o.value)}" ;;'
        for s in all_specs
        for o in s.options
        if o.value is not None
        for name in o.names
    )
    args = "\n".join(_bash_args(s) for s in all_specs if s.args or s.rest)
    groups = "\n".join(
        f'\t"{s.key}") echo "{_sh_words(s.subcommands)}" ;;' for s in all_specs if s.subcommands
    )
    return _BASH.format(
        commands=_sh_words([s.path[0] for s in top]),
        options=options,
        values=values,
        args=args,
        groups=groups,
        dir_sed=_DIR_SED,
        name_fields=_NAME_FIELDS,
    )


def _bash_kind(value: Value) -> str:
    return f"choice {' '.join(value.choices)}" if value.kind == "choice" else value.kind


def _bash_args(spec: Spec) -> str:
    lines = [f'\t"{spec.key} {i}") echo "{_bash_kind(v)}" ;;' for i, v in enumerate(spec.args)]
    if spec.rest is not None:
        lines.append(f'\t"{spec.key} "*) echo "{_bash_kind(spec.rest)}" ;;')
    return "\n".join(lines)


_BASH = r"""# git milestone completion for bash. git's own completion calls _git_milestone for
# `git milestone <TAB>`; this only adds that function. Enable it with
#     eval "$(git milestone completion bash)"
# in ~/.bashrc, after git's completion is loaded (bash-completion loads it for `git`).

__git_milestone_commands="{commands}"

__git_milestone_options () {{
	case "$1" in
{options}
	esac
}}

__git_milestone_value () {{
	case "$1 $2" in
{values}
	esac
}}

__git_milestone_arg () {{
	case "$1 $2" in
{args}
	esac
}}

__git_milestone_subcommands () {{
	case "$1" in
{groups}
	esac
}}

# The milestone directory of the repository git's completion is looking at (-C honoured).
__git_milestone_dir () {{
	local root dir=MILESTONES value
	root=$(__git rev-parse --show-toplevel) || return 1
	[ -n "$root" ] || return 1
	if [ -f "$root/.gitmilestone.toml" ]; then
		value=$(sed -n -E {dir_sed} "$root/.gitmilestone.toml" 2>/dev/null)
		case "$value" in
		''|*$'\n'*|/*|*..*) ;;
		*) dir=$value ;;
		esac
	fi
	printf '%s\n' "$root/$dir"
}}

__git_milestone_ids () {{
	local dir file
	dir=$(__git_milestone_dir) || return
	for file in "$dir"/*.json; do
		[ -e "$file" ] || continue
		file=${{file##*/}}
		printf '%s\n' "${{file%.json}}"
	done
}}

__git_milestone_actors () {{
	local dir
	dir=$(__git_milestone_dir) || return
	{{
		sed -n -E 's/^[[:space:]]*"({name_fields})": "([^"\\]*)",?[[:space:]]*$/\2/p' \
			"$dir"/*.json 2>/dev/null
		__git config --get milestone.actor
		__git config --get user.name
	}} | sort -u
}}

# Names may hold spaces: complete them quoted.
__git_milestone_complete_names () {{
	local name dequoted_word
	__git_dequote "$cur"
	COMPREPLY=()
	while IFS= read -r name; do
		[ -n "$name" ] || continue
		if [[ $name == "$dequoted_word"* ]]; then
			COMPREPLY+=("$(printf '%q' "$name") ")
		fi
	done
}}

__git_milestone_complete_kind () {{
	case "$1" in
	id) __gitcomp_nl "$(__git_milestone_ids)" ;;
	actor) __git_milestone_complete_names <<<"$(__git_milestone_actors)" ;;
	file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	choice\ *) __gitcomp "${{1#choice }}" ;;
	*) COMPREPLY=() ;;
	esac
}}

_git_milestone () {{
	local cmd="" group="" arg=0 i word kind subs
	for ((i = __git_cmd_idx + 1; i < cword; i++)); do
		word=${{words[i]}}
		case "$word" in
		--*=*) ;;
		-*)
			if [ -n "$cmd" ] && [ -n "$(__git_milestone_value "$cmd" "$word")" ]; then
				((i++))
			fi
			;;
		*)
			if [ -z "$cmd" ]; then
				cmd=$word
			elif [ -z "$group" ] && [ -n "$(__git_milestone_subcommands "$cmd")" ]; then
				group=$cmd
				cmd="$cmd $word"
			else
				((arg++))
			fi
			;;
		esac
	done
	if [ -z "$cmd" ]; then
		case "$cur" in
		-*) __gitcomp "--help --version" ;;
		*) __gitcomp "$__git_milestone_commands" ;;
		esac
		return
	fi
	subs=$(__git_milestone_subcommands "$cmd")
	if [ -n "$subs" ] && [[ $cur != -* ]]; then
		__gitcomp "$subs"
		return
	fi
	case "$cur" in
	--*=*)
		kind=$(__git_milestone_value "$cmd" "${{cur%%=*}}")
		local option=${{cur%%=*}}
		cur=${{cur#*=}}
		__git_milestone_complete_kind "$kind"
		return
		;;
	-*)
		__gitcomp "$(__git_milestone_options "$cmd")"
		return
		;;
	esac
	kind=$(__git_milestone_value "$cmd" "$prev")
	if [ -n "$kind" ] && [[ $prev == -* ]]; then
		__git_milestone_complete_kind "$kind"
		return
	fi
	__git_milestone_complete_kind "$(__git_milestone_arg "$cmd" "$arg")"
}}
"""


# --- zsh --------------------------------------------------------------------------------------


def _zsh_text(text: str) -> str:
    """Text for inside a single-quoted _arguments spec: brackets and colons escaped."""
    escaped = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return escaped.replace(":", "\\:").replace("'", "'\\''")


def _zsh_action(value: Value) -> str:
    return {
        "id": "__git_milestone_ids",
        "actor": "__git_milestone_actors",
        "file": "_files",
        "choice": f"({' '.join(value.choices)})",
    }.get(value.kind, " ")


def _zsh_function(spec: Spec, by_key: dict[str, Spec]) -> Iterator[str]:
    name = "__git_milestone_cmd_" + "_".join(p.replace("-", "_") for p in spec.path)
    lines = [f"{name} () {{"]
    if spec.subcommands:
        described = " ".join(
            f"'{_zsh_text(sub)}:{_zsh_text(by_key[f'{spec.key} {sub}'].help)}'"
            for sub in spec.subcommands
        )
        lines += [
            "\tlocal curcontext=$curcontext state line",
            f"\tlocal -a subcommands=({described})",
            "\t_arguments -C '1: :->sub' '*:: :->args' && return",
            "\tcase $state in",
            f"\tsub) _describe -t commands 'git milestone {spec.key} command' subcommands ;;",
            "\targs)",
            "\t\tcase $line[1] in",
        ]
        for sub in spec.subcommands:
            func = name + "_" + sub.replace("-", "_")
            lines.append(f"\t\t{sub}) {func} ;;")
        lines += ["\t\tesac ;;", "\tesac", "}"]
        yield "\n".join(lines)
        return
    specs_text = []
    for option in spec.options:
        help_text = _zsh_text(option.help)
        tail = "" if option.value is None else f":{option.value.kind}:{_zsh_action(option.value)}"
        if len(option.names) == 1:
            specs_text.append(f"'{option.names[0]}[{help_text}]{tail}'")
        else:
            group, brace = " ".join(option.names), ",".join(option.names)
            specs_text.append(f"'({group})'{{{brace}}}'[{help_text}]{tail}'")
    for i, value in enumerate(spec.args, 1):
        specs_text.append(f"'{i}:{value.kind}:{_zsh_action(value)}'")
    if spec.rest is not None:
        specs_text.append(f"'*:{spec.rest.kind}:{_zsh_action(spec.rest)}'")
    lines.append("\t_arguments -s \\\n\t\t" + " \\\n\t\t".join(specs_text))
    lines.append("}")
    yield "\n".join(lines)


def _zsh(all_specs: list[Spec]) -> str:
    by_key = {s.key: s for s in all_specs}
    top = [s for s in all_specs if len(s.path) == 1]
    described = "\n\t\t".join(f"'{_zsh_text(s.path[0])}:{_zsh_text(s.help)}'" for s in top)
    cases = "\n".join(
        f"\t\t{s.path[0]}) __git_milestone_cmd_{s.path[0].replace('-', '_')} ;;" for s in top
    )
    functions = "\n\n".join(f for s in all_specs for f in _zsh_function(s, by_key))
    return _ZSH.format(
        described=described,
        cases=cases,
        functions=functions,
        dir_sed=_DIR_SED,
        name_fields=_NAME_FIELDS,
    )


_ZSH = r"""# git milestone completion for zsh. zsh's own git completion (_git) calls _git-milestone
# for `git milestone <TAB>`, and the user-commands style lists milestone among git's
# commands; nothing of git's completion is replaced. Enable it with
#     eval "$(git milestone completion zsh)"
# in ~/.zshrc, after `compinit`.

zstyle ':completion:*:*:git:*' user-commands milestone:'multi-step work kept in milestone files'

__git_milestone_dir () {{
	local root dir=MILESTONES value
	local -a cargs
	# `git -C DIR milestone ...`: _git's parsed options are in opt_args.
	(( ${{+opt_args[-C]}} )) && cargs=(-C ${{(Q)${{~opt_args[-C]}}}})
	root=$(git $cargs rev-parse --show-toplevel 2>/dev/null) || return 1
	if [[ -f $root/.gitmilestone.toml ]]; then
		value=$(sed -n -E {dir_sed} "$root/.gitmilestone.toml" 2>/dev/null)
		[[ -n $value && $value != *$'\n'* && $value != /* && $value != *..* ]] && dir=$value
	fi
	print -r -- "$root/$dir"
}}

__git_milestone_ids () {{
	local dir
	dir=$(__git_milestone_dir) || return 1
	local -a ids=( $dir/*.json(N:t:r) )
	_wanted milestones expl 'milestone' compadd -a ids
}}

__git_milestone_actors () {{
	local dir
	dir=$(__git_milestone_dir) || return 1
	local -a names=( ${{(f)"$(
		{{
			sed -n -E 's/^[[:space:]]*"({name_fields})": "([^"\\]*)",?[[:space:]]*$/\2/p' \
				$dir/*.json(N) 2>/dev/null
			git config --get milestone.actor
			git config --get user.name
		}} | sort -u
	)"}} )
	_wanted actors expl 'actor' compadd -a names
}}

{functions}

_git-milestone () {{
	local curcontext=$curcontext state line
	local -a commands=(
		{described}
	)
	_arguments -C '(- :)--version[Show the version and exit.]' \
		'(- :)'{{-h,--help}}'[Show the help and exit.]' \
		'1: :->command' '*:: :->args' && return
	case $state in
	command) _describe -t commands 'git milestone command' commands ;;
	args)
		case $line[1] in
{cases}
		esac ;;
	esac
}}
"""


# --- fish -------------------------------------------------------------------------------------


def _fish_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_args(value: Value) -> str:
    if value.kind == "id":
        return "-x -a '(__git_milestone_ids)'"
    if value.kind == "actor":
        return "-x -a '(__git_milestone_actors)'"
    if value.kind == "file":
        return "-r -F"
    if value.kind == "choice":
        return f"-x -a {_fish_text(' '.join(value.choices))}"
    return "-x"


def _fish(all_specs: list[Spec]) -> str:
    top = [s for s in all_specs if len(s.path) == 1]
    names = " ".join(s.path[0] for s in top)
    lines = []
    using = "__fish_git_using_command milestone"
    lines.append(
        "complete -f -c git -n __fish_git_needs_command -a milestone "
        "-d 'Multi-step work kept in milestone files'"
    )
    for s in top:
        lines.append(
            f"complete -f -c git -n '{using}; and not __fish_seen_subcommand_from {names}' "
            f"-a {s.path[0]} -d {_fish_text(s.help)}"
        )
    for s in all_specs:
        when = f"{using}; and __fish_seen_subcommand_from {s.path[0]}"
        if len(s.path) > 1:
            when += f"; and __fish_seen_subcommand_from {s.path[1]}"
        if s.subcommands:
            subs = " ".join(s.subcommands)
            for sub in s.subcommands:
                help_text = next(x.help for x in all_specs if x.path == (*s.path, sub))
                lines.append(
                    f"complete -f -c git -n '{when}; and not __fish_seen_subcommand_from {subs}' "
                    f"-a {sub} -d {_fish_text(help_text)}"
                )
            continue
        for option in s.options:
            flags = " ".join(
                f"-l {n[2:]}" if n.startswith("--") else f"-s {n[1:]}" for n in option.names
            )
            extra = "" if option.value is None else " " + _fish_args(option.value)
            files = option.value is not None and option.value.kind == "file"
            lines.append(
                f"complete{'' if files else ' -f'} -c git -n '{when}' {flags}{extra} "
                f"-d {_fish_text(option.help)}"
            )
        positional = [*s.args, *([s.rest] if s.rest else [])]
        kinds = {v.kind for v in positional}
        if "id" in kinds:
            lines.append(f"complete -f -c git -n '{when}' -a '(__git_milestone_ids)'")
        if "file" in kinds:
            lines.append(f"complete -c git -n '{when}' -F")
        for value in positional:
            if value.kind == "choice":
                lines.append(
                    f"complete -f -c git -n '{when}' -a {_fish_text(' '.join(value.choices))}"
                )
    return _FISH.format(rules="\n".join(lines), name_fields=_NAME_FIELDS)


_FISH = r"""# git milestone completion for fish: rules for `git milestone`, added beside fish's own
# git completion (nothing of it is replaced). Enable it with
#     git milestone completion fish | source
# in ~/.config/fish/config.fish, or save it as ~/.config/fish/conf.d/git-milestone.fish.

# fish's own git completion (which defines __fish_git_using_command) loads when git is
# first completed, unless rules for git exist already: load it first, as fish would.
if not functions -q __fish_git_using_command
    for dir in $fish_complete_path $__fish_data_dir/completions
        if test -f $dir/git.fish
            source $dir/git.fish
            break
        end
    end
end

function __git_milestone_dir
    set -l root (command git rev-parse --show-toplevel 2>/dev/null); or return 1
    set -l dir MILESTONES
    if test -f $root/.gitmilestone.toml
        set -l pattern '^\s*dir\s*=\s*["\']([A-Za-z0-9._/-]+)["\']\s*(?:#.*)?$'
        set -l value (string match -r -g $pattern <$root/.gitmilestone.toml)
        if test (count $value) -eq 1; and not string match -q -r '^/|\.\.' -- $value
            set dir $value
        end
    end
    echo $root/$dir
end

function __git_milestone_ids
    set -l dir (__git_milestone_dir); or return
    for file in $dir/*.json
        string replace -r '^.*/(.*)\.json$' '$1' -- $file
    end
end

function __git_milestone_actors
    set -l dir (__git_milestone_dir); or return
    begin
        for file in $dir/*.json
            string match -r -g '^\s*"(?:{name_fields})": "([^"\\\\]*)",?\s*$' <$file
        end
        command git config --get milestone.actor
        command git config --get user.name
    end | sort -u
end

{rules}
"""
