"""Compile the subset of JSON Schema our schema uses into a fast yes/no check.

jsonschema spends about 2 ms on one milestone; this check spends a few microseconds, so
`validate` asks jsonschema only about documents that fail here, to word the errors. The
schema file stays the single source of truth: this compiles it, and refuses any keyword it
does not implement rather than silently ignoring it.

Each (sub)schema becomes one generated Python function of straight-line tests, so a check
costs a handful of bytecode operations per value rather than a call per keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment"})
# In draft 2020-12 `format` only annotates unless a validator opts in (jsonschema does not,
# check-jsonschema does): the schema states what it asserts with a `pattern` beside it, so
# every validator agrees. A `format` with no `pattern` would be checked by some validators
# and not others, so it is refused.
_FORMAT = "format"


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, str] = {}
        self.source: list[str] = []
        self.names: dict[str, Any] = {"_is_integer": _is_integer, "_is_number": _is_number}

    def constant(self, value: Any) -> str:
        name = f"_c{len(self.names)}"
        self.names[name] = value
        return name

    def ref(self, pointer: str) -> str:
        if pointer not in self.refs:
            if not pointer.startswith("#/"):
                raise ValueError(f"only local $ref is supported: {pointer}")
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part]
            # Named before it is compiled, so that a recursive schema calls itself.
            self.refs[pointer] = f"_r{len(self.refs)}"
            self.function(target, self.refs[pointer])
        return self.refs[pointer]

    def function(self, schema: Any, name: str | None = None) -> str:
        """Emit `def NAME(x): ...` true exactly when `schema` accepts x; return NAME."""
        if name is None and isinstance(schema, Mapping) and set(schema) - _ANNOTATIONS == {"$ref"}:
            return self.ref(schema["$ref"])
        name = name or f"_f{len(self.source)}"
        self.source.append("")  # reserve the slot: nested functions are emitted first
        slot = len(self.source) - 1
        body = self.tests(schema)
        lines = [f"def {name}(x):", *(f"    {line}" for line in body), "    return True"]
        self.source[slot] = "\n".join(lines)
        return name

    def tests(self, schema: Any) -> list[str]:
        if schema is True:
            return []
        if schema is False:
            return ["return False"]
        unknown = set(schema) - _ANNOTATIONS - _KEYWORDS - {_FORMAT}
        if unknown:
            raise ValueError(f"fastschema does not implement: {sorted(unknown)}")
        if _FORMAT in schema and "pattern" not in schema:
            raise ValueError(
                f"format {schema[_FORMAT]!r} needs a pattern beside it that asserts it"
            )
        out: list[str] = []
        if "$ref" in schema:
            out.append(f"if not {self.ref(schema['$ref'])}(x): return False")
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            out.append(f"if not ({' or '.join(_TYPE_TESTS[n] for n in names)}): return False")
        if "enum" in schema:
            options = list(schema["enum"])
            if all(type(o) is str for o in options):
                out.append(f"if type(x) is not str or x not in {self.constant(set(options))}:")
            else:
                test = self.constant(lambda x: any(type(x) is type(o) and x == o for o in options))
                out.append(f"if not {test}(x):")
            out.append("    return False")
        if "not" in schema:
            out.append(f"if {self.function(schema['not'])}(x): return False")
        if "anyOf" in schema:
            alternatives = [f"{self.function(s)}(x)" for s in schema["anyOf"]]
            out.append(f"if not ({' or '.join(alternatives)}): return False")
        out += self._string(schema)
        out += self._number(schema)
        if "items" in schema:
            item = self.function(schema["items"])
            out += ["if isinstance(x, list):", "    for i in x:"]
            out.append(f"        if not {item}(i): return False")
        if _OBJECT_KEYWORDS & set(schema):
            out += self._object(schema)
        return out

    def _string(self, schema: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        if "minLength" in schema:
            out.append(f"    if len(x) < {int(schema['minLength'])}: return False")
        if "maxLength" in schema:
            out.append(f"    if len(x) > {int(schema['maxLength'])}: return False")
        if "pattern" in schema:
            search = self.constant(re.compile(schema["pattern"]).search)
            out.append(f"    if {search}(x) is None: return False")
        return ["if isinstance(x, str):", *out] if out else []

    def _number(self, schema: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        if "minimum" in schema:
            out.append(f"    if x < {self.constant(schema['minimum'])}: return False")
        if "maximum" in schema:
            out.append(f"    if x > {self.constant(schema['maximum'])}: return False")
        return ["if _is_number(x):", *out] if out else []

    def _object(self, schema: Mapping[str, Any]) -> list[str]:
        out = ["if isinstance(x, dict):"]
        for key in schema.get("required", ()):
            out.append(f"    if {self.constant(key)} not in x: return False")
        props = {k: self.function(v) for k, v in schema.get("properties", {}).items()}
        patterns = [
            (self._key_test(p), None if s is True else self.function(s))
            for p, s in schema.get("patternProperties", {}).items()
        ]
        additional = schema.get("additionalProperties", True)
        if not props and not patterns and additional is True:
            return out if len(out) > 1 else []
        # A value meets its property's schema and every matching pattern's; a key that
        # neither names a property nor matches a pattern meets additionalProperties.
        loop = len(out)
        out.append("    for k, v in x.items():")
        if props:
            table = self.constant({})
            self._tables.append((table, props))
            out += [f"        p = {table}.get(k)", "        if p is not None and not p(v):"]
            out.append("            return False")
        for test, sub in patterns:
            if sub is not None:
                out.append(f"        if {test} and not {sub}(v): return False")
        if additional is not True:
            unmatched = [*(["p is None"] if props else []), *(f"not {t}" for t, _ in patterns)]
            if additional is not False:
                unmatched.append(f"not {self.function(additional)}(v)")
            out.append(f"        if {' and '.join(unmatched)}: return False")
        return out if len(out) > loop + 1 else out[:loop]

    def _key_test(self, pattern: str) -> str:
        """A test of the key `k` for a patternProperties pattern (a prefix: `startswith`)."""
        if _PREFIX.fullmatch(pattern):
            return f"k.startswith({self.constant(pattern[1:])})"
        return f"{self.constant(re.compile(pattern).search)}(k) is not None"

    _tables: list[tuple[str, dict[str, str]]]

    def build(self, schema: Any) -> Check:
        self._tables = []
        entry = self.function(schema, "_check")
        namespace = dict(self.names)
        exec("\n\n".join(self.source), namespace)
        for table, props in self._tables:
            namespace[table].update({k: namespace[f] for k, f in props.items()})
        check: Check = namespace[entry]
        return check


_PREFIX = re.compile(r"\^[A-Za-z0-9_-]*")
_TYPE_TESTS = {
    "string": "isinstance(x, str)",
    "integer": "_is_integer(x)",
    "number": "_is_number(x)",
    "object": "isinstance(x, dict)",
    "array": "isinstance(x, list)",
    "boolean": "isinstance(x, bool)",
    "null": "x is None",
}


_OBJECT_KEYWORDS = frozenset(
    {"required", "properties", "patternProperties", "additionalProperties"}
)
_KEYWORDS = frozenset(
    {"$ref", "type", "enum", "not", "anyOf", "minLength", "maxLength", "pattern", "minimum"}
    | {"maximum", "items"}
    | _OBJECT_KEYWORDS
)


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A predicate that is true exactly when `schema` accepts the instance."""
    return _Compiler(schema).build(schema)
