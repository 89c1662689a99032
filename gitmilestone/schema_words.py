"""M002 in words for a person: for each schema violation, what is wrong and what is
expected, never jsonschema's own wording ("None should not be valid under {...}").

`describe` takes one jsonschema error (a validator's finding at a JSON path) and says it
the way a reviewer would: "'done' is not a step status; use one of pending, ...",
"unknown key 'foo' (extension keys start with x-)", "missing required key 'title'".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitmilestone.text import INVISIBLE, NOT_IN_A_LINE, NOT_IN_A_NAME, escape_char

_KINDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}
_TIME_EXAMPLE = "write it like 2025-11-15T00:20:00Z"
_REQUIRED = re.compile(r"^'(.*)' is a required property$")
# Compiled here, its only reader, rather than by every command that imports `text`.
_INVISIBLE_CHARACTER = re.compile(f"[{INVISIBLE}]")


def describe(error: Any) -> Iterator[tuple[list[Any], str]]:
    """(JSON path, message) for one jsonschema error; an error about several unknown keys
    gives one message per key (at the object's path, where check-jsonschema reports it)."""
    path = list(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, Mapping):
        for key in _unknown_keys(error.instance, error.schema):
            yield (
                path,
                (
                    f"unknown key {_show(key)} (extension keys start with x-); remove it, or "
                    f"rename it x-{key}"
                ),
            )
        return
    if kind == "required":
        found = _REQUIRED.match(error.message)
        key = found.group(1) if found else "?"
        yield path, f"missing required key {key!r}; add it"
        return
    yield path, _message(error, path)


def _message(error: Any, path: Sequence[Any]) -> str:
    kind, value, schema = error.validator, error.instance, error.schema
    if _is_time(schema) or (path and str(path[-1]).endswith("_at") and isinstance(value, str)):
        return f"{_show(value)} is not a valid date and time; {_TIME_EXAMPLE}"
    if kind == "anyOf":
        return _any_of(error, path)
    if kind == "type":
        expected = error.validator_value
        names = [str(n) for n in (expected if isinstance(expected, list) else [expected])]
        wanted = " or ".join(_KINDS.get(n, n) for n in names)
        return f"{_show(value)} is {_kind_of(value)}; {_what(path)} must be {wanted}"
    if kind == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return f"{_show(value)} is not {_a(_what(path))}; use one of {options}"
    if kind == "minimum":
        return f"{value} is below {error.validator_value}; {_what(path)} is at least that"
    if kind == "maximum":
        return f"{value} is over {error.validator_value}; {_what(path)} is at most that"
    if kind == "minLength":
        return f"{_show(value)} is empty; {_what(path)} needs at least one character"
    if kind == "maxLength":
        return (
            f"{_what(path)} is {len(value)} characters long; it may have at most "
            f"{error.validator_value}"
        )
    if kind == "pattern" and "[a-z0-9]" in str(error.validator_value):
        return (
            f"{_show(value)} is not a milestone id; use lowercase letters, digits and single "
            "dashes, at most 64 characters (like deploy-dashboard)"
        )
    if kind == "not" and isinstance(value, str):
        found = NOT_IN_A_LINE.search(value)
        invisible = _INVISIBLE_CHARACTER.search(value) or NOT_IN_A_NAME.search(value)
        if found is None and invisible is not None:
            return (
                f"{_show(value)} holds {escape_char(invisible.group())}, an invisible "
                f"character, with which a name displays as another; {_what(path)} is a name "
                "without them"
            )
        what = escape_char(found.group()) if found else "a line break"
        return (
            f"{_show(value)} holds {what}, a line break or control character; "
            f"{_what(path)} is one line of text"
        )
    return f"{_show(value)} is not allowed here ({error.message[:80]}); see `git milestone schema`"


def _any_of(error: Any, path: Sequence[Any]) -> str:
    """A nullable field (`X or null`) or the timestamp's two forms: say what the non-null
    alternative expected."""
    options = error.validator_value
    nullable = any(o == {"type": "null"} for o in options)
    others = [e for e in error.context or () if e.schema != {"type": "null"}]
    if others:
        inner = min(others, key=lambda e: len(list(e.relative_path)))
        text = _message(inner, path)
    else:
        text = f"{_show(error.instance)} is not allowed here; see `git milestone schema`"
    return f"{text} (or null)" if nullable else text


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _is_time(schema: Any) -> bool:
    options = schema.get("anyOf") if isinstance(schema, Mapping) else None
    if not isinstance(options, list) or not options:
        return False
    return all(
        isinstance(o, Mapping) and any(m in str(o.get("pattern", "")) for m in ("[Tt]", " UTC"))
        for o in options
    )


def _unknown_keys(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return sorted(k for k in instance if k not in known and not any(p.search(k) for p in patterns))


def _what(path: Sequence[Any]) -> str:
    """What the value at `path` is, in words: `a step status`, `the priority`..."""
    if not path:
        return "a milestone file"
    last = path[-1]
    if isinstance(last, int):
        parent = str(path[-2]) if len(path) > 1 else "list"
        return "each step" if parent == "steps" else f"each item of {parent}"
    if last == "status":
        return "a step status" if "steps" in path else "a milestone status"
    return str(last)


def _a(what: str) -> str:
    return what if what.startswith(("a ", "an ", "each ", "the ")) else f"a valid {what}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
