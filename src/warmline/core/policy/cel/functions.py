"""The functions and methods rules may call: their signatures (for the checker) and their
run-time implementations (for the compiler). Regular expressions are RE2: linear time."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

from warmline.core.policy.cel.runtime import (
    EvalError,
    check_int,
    kind_of,
    no_overload,
)
from warmline.core.policy.cel.types import Kind, Type

Impl = Callable[..., Any]

_STRING = frozenset({Kind.STRING})
_SIZED = frozenset({Kind.STRING, Kind.LIST, Kind.MAP, Kind.OBJECT})
_SCALAR = frozenset({Kind.INT, Kind.DOUBLE, Kind.STRING})


@dataclass(frozen=True, slots=True)
class Function:
    """One function. Methods take the receiver as the first argument of `impl`.

    Attributes:
        params: for each parameter (the receiver first, for methods), the kinds accepted.
        result: the static result type.
        impl: the run-time implementation; raises `EvalError` on values it cannot take.
    """

    name: str
    params: tuple[frozenset[Kind], ...]
    result: Type
    impl: Impl


def _string_predicate(name: str, test: Callable[[str, str], bool]) -> Impl:
    def call(s: Any, t: Any) -> bool:
        if type(s) is str and type(t) is str:
            return test(s, t)
        raise no_overload(name, s, t)

    return call


def _string_transform(name: str, change: Callable[[str], str]) -> Impl:
    def call(s: Any) -> str:
        if type(s) is str:
            return change(s)
        raise no_overload(name, s)

    return call


def compile_regex(pattern: str) -> Any:
    """An RE2 pattern object; raises `re2.error` (quietly) if `pattern` is not valid RE2."""
    options = re2.Options()
    options.log_errors = False  # re2 would otherwise print every bad pattern to stderr
    return re2.compile(pattern, options=options)


_NO_MATCH = (-1, -1)


def regex_searcher(pattern: str) -> Callable[[str], bool]:
    """A test for `pattern` anywhere in a string; raises `re2.error` for a bad pattern.

    Uses the compiled RE2 object directly where this google-re2 exposes it: the public
    search() also maps byte offsets back to characters and builds a Match that a yes/no test
    never reads, which doubles the cost of a rule. Falls back to search() otherwise.
    """
    regex = compile_regex(pattern)
    raw = getattr(regex, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if anchor is None or not callable(getattr(raw, "Match", None)):
        return lambda text: regex.search(text) is not None
    match = raw.Match  # type: ignore[union-attr]  # checked callable just above

    def search(text: str) -> bool:
        data = text.encode()
        return bool(match(anchor, data, 0, len(data))[0] != _NO_MATCH)

    return search


@lru_cache(maxsize=128)
def _cached_searcher(pattern: str) -> Callable[[str], bool]:
    return regex_searcher(pattern)


def matches(s: Any, pattern: Any) -> bool:
    """`s.matches(pattern)` for a pattern known only at run time (cached)."""
    if type(s) is not str or type(pattern) is not str:
        raise no_overload("matches", s, pattern)
    try:
        search = _cached_searcher(pattern)
    except re2.error as err:
        raise EvalError(f"invalid regular expression {pattern!r}") from err
    return search(s)


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def size(value: Any) -> int:
    if type(value) in (str, list, dict):
        return len(value)
    raise no_overload("size", value)


_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_DOUBLE_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+|inf|infinity|nan)",
                          re.IGNORECASE)  # fmt: skip


def to_int(value: Any) -> int:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]  # checked: an int
    if kind is float:
        if not math.isfinite(value):
            raise EvalError(f"int() cannot convert {value}")
        return check_int(int(value))
    if kind is str and _INT_TEXT.fullmatch(value):
        return check_int(int(value))
    raise EvalError(f"int() cannot convert {kind_of(value)} {value!r}")


def to_double(value: Any) -> float:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if kind is str and _DOUBLE_TEXT.fullmatch(value):
        return float(value)
    raise EvalError(f"double() cannot convert {kind_of(value)} {value!r}")


def to_string(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]  # checked: a str
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    raise EvalError(f"string() cannot convert {kind_of(value)}")


def _dyn(value: Any) -> Any:
    return value


METHODS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("contains", (_STRING, _STRING), Type.BOOL,
                _string_predicate("contains", lambda s, t: t in s)),
        Function("startsWith", (_STRING, _STRING), Type.BOOL,
                _string_predicate("startsWith", str.startswith)),
        Function("endsWith", (_STRING, _STRING), Type.BOOL,
                _string_predicate("endsWith", str.endswith)),
        Function("matches", (_STRING, _STRING), Type.BOOL, matches),
        Function("lowerAscii", (_STRING,), Type.STRING,
                _string_transform("lowerAscii", lambda s: s.translate(_LOWER))),
        Function("upperAscii", (_STRING,), Type.STRING,
                _string_transform("upperAscii", lambda s: s.translate(_UPPER))),
        Function("trim", (_STRING,), Type.STRING, _string_transform("trim", str.strip)),
        Function("size", (_SIZED,), Type.INT, size),
    )
}  # fmt: skip

FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("size", (_SIZED,), Type.INT, size),
        Function("int", (_SCALAR,), Type.INT, to_int),
        Function("double", (_SCALAR,), Type.DOUBLE, to_double),
        Function("string", (_SCALAR | {Kind.BOOL},), Type.STRING, to_string),
        Function("dyn", (frozenset(Kind),), Type.DYN, _dyn),
    )
}
