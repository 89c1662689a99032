"""Compile the subset of JSON Schema our schema uses into a fast yes/no check.

jsonschema spends about 2 ms on one milestone; this check spends a few microseconds, so
`validate` asks jsonschema only about documents that fail here, to word the errors. The
schema file stays the single source of truth: this compiles it, and refuses any keyword it
does not implement rather than silently ignoring it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment"})


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "integer": _is_integer,
    "number": _is_number,
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        if pointer not in self.refs:
            if not pointer.startswith("#/"):
                raise ValueError(f"only local $ref is supported: {pointer}")
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part]
            cell: list[Check] = []
            self.refs[pointer] = lambda x: cell[0](x)
            cell.append(self.compile(target))
        return self.refs[pointer]

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        checks: list[Check] = []
        unknown = set(schema) - _ANNOTATIONS - _KEYWORDS
        if unknown:
            raise ValueError(f"fastschema does not implement: {sorted(unknown)}")
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            tests = [_TYPES[n] for n in names]
            checks.append(lambda x: any(t(x) for t in tests))
        if "enum" in schema:
            options = list(schema["enum"])
            checks.append(lambda x: any(type(x) is type(o) and x == o for o in options))
        if "not" in schema:
            inner = self.compile(schema["not"])
            checks.append(lambda x: not inner(x))
        if "anyOf" in schema:
            alternatives = [self.compile(s) for s in schema["anyOf"]]
            checks.append(lambda x: any(a(x) for a in alternatives))
        checks.extend(self._string(schema))
        checks.extend(self._number(schema))
        if "items" in schema:
            item = self.compile(schema["items"])
            checks.append(lambda x: not isinstance(x, list) or all(item(i) for i in x))
        if _OBJECT_KEYWORDS & set(schema):
            checks.append(self._object(schema))
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(c(x) for c in checks)

    def _string(self, schema: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "minLength" in schema:
            low = schema["minLength"]
            out.append(lambda x: not isinstance(x, str) or len(x) >= low)
        if "maxLength" in schema:
            high = schema["maxLength"]
            out.append(lambda x: not isinstance(x, str) or len(x) <= high)
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            out.append(lambda x: not isinstance(x, str) or search(x) is not None)
        return out

    def _number(self, schema: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "minimum" in schema:
            low = schema["minimum"]
            out.append(lambda x: not _is_number(x) or x >= low)
        if "maximum" in schema:
            high = schema["maximum"]
            out.append(lambda x: not _is_number(x) or x <= high)
        return out

    def _object(self, schema: Mapping[str, Any]) -> Check:
        required = tuple(schema.get("required", ()))
        props = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        patterns = [
            (re.compile(p).search, self.compile(s))
            for p, s in schema.get("patternProperties", {}).items()
        ]
        additional = self.compile(schema.get("additionalProperties", True))

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for key in required:
                if key not in x:
                    return False
            for key, value in x.items():
                matched = False
                prop = props.get(key)
                if prop is not None:
                    matched = True
                    if not prop(value):
                        return False
                for search, sub in patterns:
                    if search(key) is not None:
                        matched = True
                        if not sub(value):
                            return False
                if not matched and not additional(value):
                    return False
            return True

        return check


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
    return _Compiler(schema).compile(schema)
