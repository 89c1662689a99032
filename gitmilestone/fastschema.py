"""Compile the subset of JSON Schema our schema uses into a fast yes/no check.

jsonschema spends about 2 ms on one milestone; this check spends a few microseconds, so
`validate` asks jsonschema only about documents that fail here, to word the errors. The
schema file stays the single source of truth: this compiles it, and refuses any keyword it
does not implement rather than silently ignoring it.

The whole schema becomes one generated Python function: each subschema's tests are written
inline where it applies (a `$ref` too), as one expression per value, with the tests its
context already settles left out (a value known to be a string is not asked again). A
check then costs a few bytecode operations per value and no Python call; only a recursive
`$ref`, or a `not`/`anyOf` over a subschema with loops, becomes a function of its own.

`compile_schema` runs the generated source at once; `module_source` writes it as a module
instead, so that a fixed schema is compiled ahead of time and loaded from Python's bytecode
cache rather than generated and compiled again by every process.
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


def _equal_to_one_of(options: tuple[Any, ...]) -> Check:
    """An `enum` test for options that are not all strings (true is not 1)."""
    return lambda x: any(type(x) is type(o) and x == o for o in options)


def _literal(value: Any) -> str:
    """Python source for a JSON value that is the same on every run and Python version:
    strings as ASCII (which characters `repr` prints depends on the Unicode database),
    dicts in their order."""
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        text = repr(value)
        return f"float({text!r})" if text in ("inf", "-inf", "nan") else text
    if isinstance(value, str):
        return ascii(value)
    if isinstance(value, (list, tuple)):
        items = [_literal(v) for v in value]
        if isinstance(value, list):
            return f"[{', '.join(items)}]"
        return _tuple(items)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise ValueError(f"fastschema cannot write {value!r} as source")


def _tuple(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _frozenset(items: frozenset[Any]) -> str:
    # Sorted: a set's order changes from run to run with hash randomization.
    return f"frozenset({_tuple(sorted(_literal(i) for i in items))})"


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        # The names the generated functions use besides their own: these three are
        # imported by a generated module, the constants are written into it (`sources`).
        self.names: dict[str, Any] = {
            "_is_integer": _is_integer,
            "_is_number": _is_number,
            "_M": _MISSING,
        }
        self.sources: dict[str, str] = {}  # a constant's source expression: its name
        self.functions: list[str] = []
        self.refs: dict[str, str] = {}  # a $ref compiled as a function (recursion, `not`)
        self.inlining: list[str] = []  # the $refs being inlined, outermost first
        self.variables = 0

    def constant(self, value: Any, source: str) -> str:
        """A name for `value`, which the Python expression `source` rebuilds (one name for
        equal sources: a `$ref` inlined in many places compiles its pattern once)."""
        name = self.sources.get(source)
        if name is None:
            name = self.sources[source] = f"_c{len(self.names)}"
            self.names[name] = value
        return name

    def variable(self) -> str:
        self.variables += 1
        return f"v{self.variables}"

    def target(self, pointer: str) -> Any:
        if not pointer.startswith("#/"):
            raise ValueError(f"only local $ref is supported: {pointer}")
        found: Any = self.root
        for part in pointer[2:].split("/"):
            found = found[part]
        return found

    def ref_function(self, pointer: str) -> str:
        """A function for `$ref` (named before it is compiled: a recursive schema calls
        itself)."""
        if pointer not in self.refs:
            self.refs[pointer] = f"_r{len(self.refs)}"
            outer, self.inlining = self.inlining, [pointer]
            self.function(self.target(pointer), self.refs[pointer])
            self.inlining = outer
        return self.refs[pointer]

    def function(self, schema: Any, name: str | None = None) -> str:
        """Emit `def NAME(x): ...` true exactly when `schema` accepts x; return NAME."""
        name = name or f"_f{len(self.functions)}"
        self.functions.append("")  # reserve the slot: nested functions are emitted first
        slot = len(self.functions) - 1
        body = self.statements(schema, "x", _ANY, "    ")
        header = f"def {name}(x: Any) -> bool:"
        self.functions[slot] = "\n".join([header, *body, "    return True"])
        return name

    # A (sub)schema becomes tests on a variable `v` of which the kinds in `known` are
    # possible (what enclosing tests already established), so that a test the context
    # settles is left out: a title known to be a string is not asked again whether it is.

    def statements(self, schema: Any, v: str, known: frozenset[str], pad: str) -> list[str]:
        """Lines (indented by `pad`) that return False when `schema` rejects `v`."""
        test, known, rest = self.split(schema, v, known)
        out = [] if test == "True" else [f"{pad}if not ({test}): return False"]
        if rest is None:
            return out
        pointer = rest.get("$ref")
        if pointer is not None and not self.expressible({"$ref": pointer}):
            self.inlining.append(pointer)
            out += self.statements(self.target(pointer), v, known, pad)
            self.inlining.pop()
        if "items" in rest and _LIST in known:
            inner = pad if known == {_LIST} else pad + "    "
            if inner != pad:
                out.append(f"{pad}if isinstance({v}, list):")
            item = self.variable()
            body = self.statements(rest["items"], item, _ANY, inner + "    ")
            if body:
                out += [f"{inner}for {item} in {v}:", *body]
            elif inner != pad:
                out.pop()
        if _OBJECT_KEYWORDS & set(rest) and _DICT in known:
            out += self._object(rest, v, known, pad)
        return out

    def expression(self, schema: Any, v: str, known: frozenset[str]) -> str:
        """A boolean expression true exactly when `schema` accepts `v`."""
        if not self.expressible(schema):
            return f"{self.function(schema)}({v})"
        return self.split(schema, v, known)[0]

    def expressible(self, schema: Any) -> bool:
        """Whether `schema` is tests without a loop (no items, no properties to go through)."""
        if isinstance(schema, bool):
            return True
        if "items" in schema or (_OBJECT_KEYWORDS - {"required"}) & set(schema):
            return False
        pointer = schema.get("$ref")
        return pointer is None or pointer in self.inlining or self.expressible(self.target(pointer))

    def split(
        self, schema: Any, v: str, known: frozenset[str]
    ) -> tuple[str, frozenset[str], Mapping[str, Any] | None]:
        """The loop-free tests of `schema` as one expression, the kinds `v` may be when it
        holds, and the schema again when it has loops for `statements` to emit."""
        if schema is True:
            return "True", known, None
        if schema is False:
            return "False", frozenset(), None
        unknown = set(schema) - _ANNOTATIONS - _KEYWORDS - {_FORMAT}
        if unknown:
            raise ValueError(f"fastschema does not implement: {sorted(unknown)}")
        if _FORMAT in schema and "pattern" not in schema:
            raise ValueError(
                f"format {schema[_FORMAT]!r} needs a pattern beside it that asserts it"
            )
        parts: list[str] = []
        pointer = schema.get("$ref")
        if pointer is not None:
            if pointer in self.inlining:
                parts.append(f"{self.ref_function(pointer)}({v})")
            elif self.expressible(self.target(pointer)):
                self.inlining.append(pointer)
                test, known, _ = self.split(self.target(pointer), v, known)
                self.inlining.pop()
                parts.append(test)
            else:
                self.target(pointer)  # checked now; `statements` inlines it
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            kinds = frozenset().union(*(_KINDS[n] for n in names))
            if not known <= kinds:
                parts.append(f"({' or '.join(_TYPE_TESTS[n].format(v=v) for n in names)})")
            known &= kinds
        if "enum" in schema:
            options = list(schema["enum"])
            if all(type(o) is str for o in options):
                strings = frozenset(options)
                found = self.constant(strings, _frozenset(strings))
                parts.append(f"(type({v}) is str and {v} in {found})")
            else:
                source = f"_equal_to_one_of({_tuple([_literal(o) for o in options])})"
                test = self.constant(_equal_to_one_of(tuple(options)), source)
                parts.append(f"{test}({v})")
        if "not" in schema:
            parts.append(f"not ({self.expression(schema['not'], v, known)})")
        if "anyOf" in schema:
            alternatives = [self.expression(s, v, known) for s in schema["anyOf"]]
            parts.append(f"({' or '.join(alternatives)})")
        guarded = [(_KINDS["string"], "isinstance({v}, str)", self._string(schema, v))]
        guarded.append((_NUMBER, "_is_number({v})", self._number(schema, v)))
        if "required" in schema:
            required = frozenset(schema["required"])
            keys = self.constant(required, _frozenset(required))
            guarded.append((_KINDS["object"], "isinstance({v}, dict)", [f"{v}.keys() >= {keys}"]))
        for kinds, guard, tests in guarded:
            parts += self._guarded(kinds, guard.format(v=v), known, v, tests)
        parts = [p for p in parts if p != "True"]
        test = " and ".join(parts) if parts else "True"
        rest = None if self.expressible(schema) else schema
        return ("False" if "False" in parts else test), known, rest

    @staticmethod
    def _guarded(
        kinds: frozenset[str], guard: str, known: frozenset[str], v: str, tests: list[str]
    ) -> list[str]:
        """`tests` of the kinds they apply to, as they stand when `v` may be something else."""
        if not tests or not kinds & known:
            return []
        test = " and ".join(tests)
        if known <= kinds:
            return [test]
        other = known - kinds
        if other == {_NULL}:
            return [f"({v} is None or ({test}))"]
        return [f"(not {guard} or ({test}))"]

    def _string(self, schema: Mapping[str, Any], v: str) -> list[str]:
        out: list[str] = []
        if "minLength" in schema:
            out.append(f"len({v}) >= {int(schema['minLength'])}")
        if "maxLength" in schema:
            out.append(f"len({v}) <= {int(schema['maxLength'])}")
        if "pattern" in schema:
            out.append(f"{self._search(schema['pattern'])}({v}) is not None")
        return out

    def _number(self, schema: Mapping[str, Any], v: str) -> list[str]:
        out: list[str] = []
        for keyword, operator in (("minimum", ">="), ("maximum", "<=")):
            if keyword in schema:
                bound = schema[keyword]
                out.append(f"{v} {operator} {self.constant(bound, _literal(bound))}")
        return out

    def _search(self, pattern: str) -> str:
        return self.constant(re.compile(pattern).search, f"re.compile({_literal(pattern)}).search")

    def _object(
        self, schema: Mapping[str, Any], v: str, known: frozenset[str], pad: str
    ) -> list[str]:
        inner = pad if known == {_DICT} else pad + "    "
        out: list[str] = []
        required = set(schema.get("required", ()))
        props = schema.get("properties", {})
        for key, sub in props.items():
            w = self.variable()
            if key in required:  # the required keys were asked for already
                body = self.statements(sub, w, _ANY, inner)
                out += [f"{inner}{w} = {v}[{key!a}]", *body] if body else []
            else:
                body = self.statements(sub, w, _ANY, inner + "    ")
                if body:
                    out += [f"{inner}{w} = {v}.get({key!a}, _M)", f"{inner}if {w} is not _M:"]
                    out += body
        k = self.variable()
        patterns = [
            (self._key_test(p, k), s) for p, s in schema.get("patternProperties", {}).items()
        ]
        # A value meets its property's schema and every matching pattern's; a key that
        # neither names a property nor matches a pattern meets additionalProperties.
        w = self.variable()
        loop: list[str] = []
        for test, sub in patterns:
            body = self.statements(sub, w, _ANY, inner + "        ")
            if body:
                loop += [f"{inner}    if {test}:", *body]
        names = self.constant(frozenset(props), _frozenset(frozenset(props)))
        additional = schema.get("additionalProperties", True)
        unmatched = " and ".join([f"{k} not in {names}", *(f"not {t}" for t, _ in patterns)])
        if additional is False and not loop:
            # Most objects have only known keys: one set comparison says so.
            test = f"{names}.issuperset({v})"
            if not patterns:
                out.append(f"{inner}if not {test}: return False")
            else:
                out += [f"{inner}if not {test}:", f"{inner}    for {k} in {v}:"]
                out.append(f"{inner}        if {unmatched}: return False")
        elif additional is not True:
            body = self.statements(additional, w, _ANY, inner + "        ")
            if body:
                loop += [f"{inner}    if {unmatched}:", *body]
        if loop:
            out += [f"{inner}for {k}, {w} in {v}.items():", *loop]
        if out and inner != pad:
            out.insert(0, f"{pad}if isinstance({v}, dict):")
        return out

    def _key_test(self, pattern: str, k: str) -> str:
        """A test of the key `k` for a patternProperties pattern (a prefix: `startswith`)."""
        if _PREFIX.fullmatch(pattern):
            return f"{k}.startswith({pattern[1:]!a})"
        return f"{self._search(pattern)}({k}) is not None"

    def build(self, schema: Any) -> Check:
        entry = self.function(schema, "_check")
        namespace = {**self.names, "Any": Any}
        exec(self.source(), namespace)
        check: Check = namespace[entry]
        return check

    def module(self, schema: Any, comment: str) -> str:
        entry = self.function(schema, "_check")
        lines = [f"# {line}".rstrip() for line in comment.splitlines()]
        lines += _MODULE_HEAD + [f"{name} = {source}" for source, name in self.sources.items()]
        return "\n".join([*lines, "", "", self.source(), "", "", f"check: Check = {entry}", ""])

    def source(self) -> str:
        return "\n\n\n".join(self.functions)


_PREFIX = re.compile(r"\^[A-Za-z0-9_-]*")
# The kinds of JSON value a test can establish: an integer is a number with no fraction
# (1.0 included), a "fraction" is any other number.
_STRING, _INTEGRAL, _FRACTION, _DICT, _LIST, _BOOL, _NULL = (
    "string",
    "integral",
    "fraction",
    "object",
    "array",
    "boolean",
    "null",
)
_NUMBER = frozenset({_INTEGRAL, _FRACTION})
_ANY = frozenset({_STRING, _INTEGRAL, _FRACTION, _DICT, _LIST, _BOOL, _NULL})
_KINDS = {
    "string": frozenset({_STRING}),
    "integer": frozenset({_INTEGRAL}),
    "number": _NUMBER,
    "object": frozenset({_DICT}),
    "array": frozenset({_LIST}),
    "boolean": frozenset({_BOOL}),
    "null": frozenset({_NULL}),
}
# `type(v) is int` first: it settles the usual case without a call.
_TYPE_TESTS = {
    "string": "isinstance({v}, str)",
    "integer": "(type({v}) is int or _is_integer({v}))",
    "number": "(type({v}) is int or _is_number({v}))",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
}
_MISSING = object()


_OBJECT_KEYWORDS = frozenset(
    {"required", "properties", "patternProperties", "additionalProperties"}
)
_KEYWORDS = frozenset(
    {"$ref", "type", "enum", "not", "anyOf", "minLength", "maxLength", "pattern", "minimum"}
    | {"maximum", "items"}
    | _OBJECT_KEYWORDS
)


# What a generated module starts with: generated text is neither linted nor formatted.
_MODULE_HEAD = [
    "# ruff: noqa",
    "# fmt: off",
    "from __future__ import annotations",
    "",
    "import re",
    "from typing import Any",
    "",
    "from gitmilestone.fastschema import Check, _equal_to_one_of, _is_integer, _is_number",
    "from gitmilestone.fastschema import _MISSING as _M",
    "",
]


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A predicate that is true exactly when `schema` accepts the instance."""
    return _Compiler(schema).build(schema)


def module_source(schema: Mapping[str, Any], comment: str = "") -> str:
    """The source of a Python module whose `check` is what `compile_schema(schema)` returns,
    headed by `comment`; the same text on every run and supported Python version."""
    return _Compiler(schema).module(schema, comment)
