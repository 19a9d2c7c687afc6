"""CEL value semantics over plain Python values (bool, int, float, str, None, list, dict).

A CEL error value is an `EvalError` raised here and absorbed by `&&`, `||` and the macros
as the CEL definition says. Python's `bool` is an `int`; every check here keeps them apart.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sized
from typing import Any, TypeVar

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
MAX_SIZE = 1_000_000  # longest string or list an expression may build
MAX_ITERATIONS = 10_000  # macro iterations per evaluate() call
BUDGET_KEY = "#budget"  # not an identifier, so it cannot clash with a variable

NUMBERS = (int, float)
SizedT = TypeVar("SizedT", bound=Sized)
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class EvalError(Exception):
    """A CEL error value, such as a missing overload or a division by zero."""


class BudgetError(EvalError):
    """The macro iteration budget of one evaluation is spent."""


def kind_of(value: object) -> str:
    """The CEL type name of a run-time value, for messages."""
    if value is None:
        return "null"
    names = {bool: "bool", int: "int", float: "double", str: "string", list: "list", dict: "map"}
    return names.get(type(value), type(value).__name__)


def no_overload(op: str, *values: object) -> EvalError:
    kinds = ", ".join(kind_of(v) for v in values)
    return EvalError(f"no such overload: {op} on ({kinds})")


def is_number(value: object) -> bool:
    kind = type(value)
    return kind is int or kind is float


def equals(a: Any, b: Any) -> bool:
    """CEL equality: numbers compare across int and double, other kinds never equal."""
    ta, tb = type(a), type(b)
    if ta is tb and ta is not list and ta is not dict:
        return bool(a == b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return bool(a == b)
    if ta is list and tb is list:
        return _lists_equal(a, b)
    if ta is dict and tb is dict:
        return _maps_equal(a, b)
    return False


def _lists_equal(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(equals(x, y) for x, y in zip(a, b, strict=True))


def _maps_equal(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
    if len(a) != len(b):
        return False
    return all(has_key(b, k) and equals(v, b[k]) for k, v in a.items())


def has_key(mapping: dict[Any, Any], key: object) -> bool:
    """Whether `mapping` has `key` (a bool key never matches 1 or 0, as Python's would)."""
    kind = type(key)
    if kind is str:
        return key in mapping
    if kind is bool:
        return any(type(k) is bool and k is key for k in mapping)
    if kind is int or kind is float:
        return any(is_number(k) and k == key for k in mapping)
    return False


def is_in(item: object, container: object) -> bool:
    """CEL `in`: list membership by CEL equality, or a map key."""
    if type(container) is list:
        return any(equals(item, element) for element in container)
    if type(container) is dict:
        return has_key(container, item)
    raise no_overload("in", item, container)


def order(a: Any, b: Any, op: str) -> bool:
    """`a op b` for op in < <= > >=; false when either side is null (Warmline's rule)."""
    if a is None or b is None:
        return False
    ta, tb = type(a), type(b)
    same_family = (ta is tb and ta in (str, bool)) or (is_number(a) and is_number(b))
    if not same_family:
        raise no_overload(op, a, b)
    return bool(_COMPARE[op](a, b))


def check_int(value: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    raise EvalError("integer overflow: the result does not fit in 64 bits")


def check_size(value: SizedT) -> SizedT:
    if len(value) > MAX_SIZE:
        raise EvalError(f"result too large: over {MAX_SIZE:,} characters or elements")
    return value


def add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return check_int(a + b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return float(a) + float(b)
    if (ta is str and tb is str) or (ta is list and tb is list):
        return check_size(a + b)
    raise no_overload("+", a, b)


def subtract(a: Any, b: Any) -> Any:
    return _arithmetic("-", a, b)


def multiply(a: Any, b: Any) -> Any:
    return _arithmetic("*", a, b)


def divide(a: Any, b: Any) -> Any:
    return _arithmetic("/", a, b)


def modulo(a: Any, b: Any) -> Any:
    return _arithmetic("%", a, b)


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if not ((ta is int or ta is float) and (tb is int or tb is float)):
        raise no_overload(op, a, b)
    if op in "/%" and b == 0:
        raise EvalError("division by zero" if op == "/" else "modulo by zero")
    if ta is int and tb is int:
        return check_int(_int_arithmetic(op, a, b))
    x, y = float(a), float(b)
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    return x / y if op == "/" else math.fmod(x, y)


def _int_arithmetic(op: str, a: int, b: int) -> int:
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    # CEL truncates toward zero, and the remainder takes the sign of the dividend.
    quotient = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        quotient = -quotient
    return quotient if op == "/" else a - b * quotient


def negate(value: Any) -> Any:
    if type(value) is int:
        return check_int(-value)
    if type(value) is float:
        return -value
    raise no_overload("-", value)


def logical_not(value: Any) -> bool:
    if value is True:
        return False
    if value is False:
        return True
    raise no_overload("!", value)


def select(value: Any, name: str) -> Any:
    """`value.name`: a missing key, or any field of null, is null (SPEC §3: never an error)."""
    if type(value) is dict:
        return value.get(name)
    if value is None:
        return None
    raise EvalError(f"cannot select field {name!r} of a {kind_of(value)}")


def index(value: Any, key: Any) -> Any:
    """`value[key]`: list position, or map key (a missing key is null, as for `select`)."""
    if type(value) is list:
        if type(key) is not int:
            raise no_overload("[]", value, key)
        if not 0 <= key < len(value):
            raise EvalError(f"index {key} out of range for a list of {len(value)}")
        return value[key]
    if type(value) is dict:
        return value[key] if has_key(value, key) else None
    if value is None:
        return None
    raise no_overload("[]", value, key)
