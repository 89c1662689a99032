"""Records: classes declared as dataclasses are, built in a fraction of the time.

`advance`, `claim` and the hooks are run after every step of every session, so their start-up
is most of what they cost. On Python 3.11, `dataclasses` imports `inspect` (with `ast`, `dis`
and `tokenize`: some 7 ms) and builds each class in about 0.45 ms (it compiles six methods
from source); those commands build some 25 records, and the two added up to a fifth of
`advance`. `frozen` and `mutable` give the classes `@dataclass(frozen=True)` and
`@dataclass` give, for what this package asks of them: `__init__` taking the fields in order
with their defaults (`field(default_factory=...)` for a fresh one each time), `__eq__` and
`__hash__` over the fields, `__repr__`, `__match_args__`, assignment refused on a frozen
record, and with `order=True` the comparisons. Only `__init__` is compiled per class; the rest
is shared. Type checkers read them as dataclasses (PEP 681), and `replace`, `fields` and
`asdict` work as `dataclasses`' do (`asdict` one level deep).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Callable[[Any], Any]:
        return lambda function: function


_T = TypeVar("_T")
_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """A field of a frozen record was assigned or deleted."""


class _Field:
    __slots__ = ("compare", "default", "make", "repr")

    def __init__(self, default: Any, make: Any, compare: bool, repr: bool) -> None:
        self.default, self.make, self.compare, self.repr = default, make, compare, repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] = _MISSING,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """A field with a default made afresh for every record (`default_factory`: a dict, a
    list), or one left out of comparisons (`compare=False`) or of the repr (`repr=False`)."""
    return _Field(default, default_factory, compare, repr)


def fields(record: object) -> tuple[str, ...]:
    """The names of a record's (or a record class's) fields, in order."""
    names: tuple[str, ...] = record.__record_fields__  # type: ignore[attr-defined]
    return names


def asdict(record: object) -> dict[str, Any]:
    """The record's fields as a dict (the values as they are: not converted further)."""
    return {name: getattr(record, name) for name in fields(record)}


_R = TypeVar("_R")


def replace(record: _R, /, **changes: Any) -> _R:
    """A copy of `record` with `changes` made (a TypeError names an unknown field)."""
    names = fields(record)
    unknown = changes.keys() - set(names)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {sorted(unknown)[0]!r}")
    values = {name: getattr(record, name) for name in names}
    values.update(changes)
    return type(record)(**values)


def _field_names(cls: type) -> tuple[str, ...]:
    # The class's own annotations, as strings (`from __future__ import annotations`); not
    # `inspect.get_annotations`: importing `inspect` is what this module saves.
    annotations: dict[str, Any] = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    return tuple(
        name
        for name, kind in annotations.items()
        if not str(kind).startswith(("ClassVar", "typing.ClassVar"))
    )


def _fields(cls: type, names: tuple[str, ...]) -> dict[str, _Field]:
    """Each field's default and options; a plain default becomes `field(default=...)`."""
    found: dict[str, _Field] = {}
    for name in names:
        declared = cls.__dict__.get(name, _MISSING)
        if isinstance(declared, _Field):
            found[name] = declared
            if declared.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, declared.default)
        else:
            found[name] = _Field(declared, _MISSING, True, True)
    return found


def _compile_init(cls: type, spec: dict[str, _Field]) -> Callable[..., None]:
    """`__init__(self, a, b=default, ...)` storing each argument in the instance's dict
    (the frozen `__setattr__` is not asked), a fresh default made from each factory."""
    namespace: dict[str, Any] = {"_MISSING": _MISSING}
    params, lines = ["self"], ["  _d = self.__dict__"]
    optional = False
    for name, declared in spec.items():
        if declared.make is not _MISSING:
            namespace[f"_f_{name}"] = declared.make
            params.append(f"{name}=_MISSING")
            lines.append(f"  if {name} is _MISSING: {name} = _f_{name}()")
        elif declared.default is not _MISSING:
            namespace[f"_d_{name}"] = declared.default
            params.append(f"{name}=_d_{name}")
        elif optional:
            raise TypeError(f"{cls.__name__}: {name!r} without a default follows a default")
        else:
            params.append(name)
            continue
        optional = True
    lines.extend(f"  _d[{name!r}] = {name}" for name in spec)
    source = f"def __init__({', '.join(params)}):\n" + "\n".join(lines)
    exec(source, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _repr(self: Any) -> str:
    values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_repr__)
    return f"{type(self).__qualname__}({values})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__record_key__(self) == other.__record_key__(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__record_key__(self))


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return test(self.__record_key__(self), other.__record_key__(other))
        return NotImplemented

    return method


_ORDER = {
    "__lt__": _compare(lambda a, b: a < b),
    "__le__": _compare(lambda a, b: a <= b),
    "__gt__": _compare(lambda a, b: a > b),
    "__ge__": _compare(lambda a, b: a >= b),
}


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _build(cls: type[_T], *, frozen: bool, order: bool) -> type[_T]:
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record cannot inherit another record's fields")
    names = _field_names(cls)
    spec = _fields(cls, names)
    compared = [name for name in names if spec[name].compare]
    methods: dict[str, Any] = {
        "__init__": _compile_init(cls, spec),
        "__repr__": _repr,
        "__eq__": _eq,
        # One field: the value itself, compared and hashed as (value,) would be.
        "__record_key__": attrgetter(*compared) if compared else staticmethod(lambda r: ()),
    }
    if frozen:
        methods.update(__hash__=_hash, __setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
    else:
        methods["__hash__"] = None  # mutable and compared by value, as a dataclass
    if order:
        methods.update(_ORDER)
    for name, method in methods.items():
        if name not in cls.__dict__ or name == "__hash__":
            setattr(cls, name, method)
    type.__setattr__(cls, "__record_fields__", names)
    type.__setattr__(cls, "__record_repr__", tuple(n for n in names if spec[n].repr))
    type.__setattr__(cls, "__match_args__", names)
    return cls


@overload
def frozen(cls: type[_T], /) -> type[_T]: ...


@overload
def frozen(*, order: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[_T] | None = None, /, *, order: bool = False) -> Any:
    """An immutable record, as `@dataclass(frozen=True)`; `@frozen(order=True)` sorts."""
    if cls is None:
        return lambda cls: _build(cls, frozen=True, order=order)
    return _build(cls, frozen=True, order=order)


@dataclass_transform(field_specifiers=(field,))
def mutable(cls: type[_T], /) -> type[_T]:
    """A record whose fields may be assigned, as `@dataclass`."""
    return _build(cls, frozen=False, order=False)
