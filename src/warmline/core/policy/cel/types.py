"""Static types of CEL values, declared by callers in a schema and inferred by the checker.

`DYN` and nullable types pass every static check; the runtime decides. A nullable type checks
as the type it wraps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import ClassVar


class Kind(StrEnum):
    """What family of values a `Type` describes."""

    BOOL = "bool"
    INT = "int"
    DOUBLE = "double"
    STRING = "string"
    NULL = "null"
    DYN = "dyn"
    LIST = "list"
    MAP = "map"
    OBJECT = "object"


_ARTICLES = {Kind.INT: "an int", Kind.OBJECT: "an object", Kind.NULL: "null"}
NUMERIC = frozenset({Kind.INT, Kind.DOUBLE})


@dataclass(frozen=True, slots=True)
class Type:
    """A CEL type. Build them with the class constants and constructors, not directly.

    Attributes:
        kind: the family of values.
        elem: element type of a list, value type of a map.
        key: key type of a map (string for declared maps).
        fields: the declared fields of an object, in declaration order.
        is_open: for objects, whether undeclared fields are allowed (typed DYN).
        is_nullable: whether null is a valid value besides those of `kind`.
    """

    kind: Kind
    elem: Type | None = None
    key: Type | None = None
    fields: tuple[tuple[str, Type], ...] = ()
    is_open: bool = True
    is_nullable: bool = False

    BOOL: ClassVar[Type]
    INT: ClassVar[Type]
    DOUBLE: ClassVar[Type]
    STRING: ClassVar[Type]
    NULL: ClassVar[Type]
    DYN: ClassVar[Type]

    @staticmethod
    def list_of(elem: Type) -> Type:
        """A list whose elements have type `elem`."""
        return Type(Kind.LIST, elem=elem)

    @staticmethod
    def map_of(value: Type, key: Type | None = None) -> Type:
        """A map from strings (or `key`) to values of type `value`."""
        return Type(Kind.MAP, elem=value, key=key or Type.STRING)

    @staticmethod
    def nullable(inner: Type) -> Type:
        """`inner`, or null. Checks as `inner`; ordering a null is false at run time."""
        if inner.kind in (Kind.DYN, Kind.NULL) or inner.is_nullable:
            return inner
        return replace(inner, is_nullable=True)

    @staticmethod
    def object(fields: Mapping[str, Type], *, open: bool = True) -> Type:
        """A JSON object with named fields.

        Open objects allow any other field (typed DYN, null when missing); closed objects make
        an unknown field a compile error.
        """
        return Type(Kind.OBJECT, fields=tuple(fields.items()), is_open=open)

    def field(self, name: str) -> Type | None:
        """The declared type of field `name`, or None when it is not declared."""
        for field_name, field_type in self.fields:
            if field_name == name:
                return field_type
        return None

    @property
    def is_dyn(self) -> bool:
        return self.kind is Kind.DYN

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC

    def describe(self) -> str:
        """The type with an article, for messages: 'a string', 'an int', 'a list of string'."""
        text = _ARTICLES.get(self.kind, f"a {self}")
        return text + " or null" if self.is_nullable else text

    def __str__(self) -> str:
        if self.kind is Kind.LIST and self.elem is not None:
            return f"list of {self.elem}"
        if self.kind is Kind.MAP and self.elem is not None:
            return f"map of {self.elem}"
        return self.kind.value


Type.BOOL = Type(Kind.BOOL)
Type.INT = Type(Kind.INT)
Type.DOUBLE = Type(Kind.DOUBLE)
Type.STRING = Type(Kind.STRING)
Type.NULL = Type(Kind.NULL)
Type.DYN = Type(Kind.DYN)


def non_null(t: Type) -> Type:
    """`t` without its nullability."""
    return replace(t, is_nullable=False) if t.is_nullable else t


def is_comparable(a: Type, b: Type) -> bool:
    """Whether values of `a` and `b` can ever be equal (numbers compare across int/double)."""
    if a.is_dyn or b.is_dyn or a.kind is Kind.NULL or b.kind is Kind.NULL:
        return True
    if a.is_numeric and b.is_numeric:
        return True
    if a.kind is not b.kind:
        return a.kind in (Kind.MAP, Kind.OBJECT) and b.kind in (Kind.MAP, Kind.OBJECT)
    if a.kind is Kind.LIST and a.elem is not None and b.elem is not None:
        return is_comparable(a.elem, b.elem)
    return True


def is_assignable(expected: Type, actual: Type) -> bool:
    """Whether a value of `actual` is acceptable where `expected` is wanted (statically)."""
    if expected.is_dyn or actual.is_dyn:
        return True
    if actual.kind is Kind.NULL:
        return expected.is_nullable or expected.kind is Kind.NULL
    if expected.kind is Kind.DOUBLE and actual.kind is Kind.INT:
        return True
    return expected.kind is actual.kind


def join(a: Type, b: Type) -> Type:
    """The most precise type holding values of both `a` and `b` (DYN when unrelated)."""
    if a.kind is Kind.NULL:
        return Type.nullable(b)
    if b.kind is Kind.NULL:
        return Type.nullable(a)
    if non_null(a) == non_null(b):
        return a if a.is_nullable else b
    if a.kind is b.kind is Kind.LIST and a.elem is not None and b.elem is not None:
        return Type.list_of(join(a.elem, b.elem))
    return Type.DYN
