"""Static typing of operators: which operand types each operator accepts and what it yields."""

from __future__ import annotations

from typing import Protocol

from warmline.core.policy.cel import syntax as s
from warmline.core.policy.cel.types import Kind, Type, is_comparable, join, non_null


class Checker(Protocol):
    """What operators need of `checker.Checker` (which imports this module, not the reverse)."""

    def error(self, offset: int, message: str) -> Type: ...

    def show(self, node: s.Node) -> str: ...

    def field_type(self, obj: Type, name: str, offset: int, operand: s.Node) -> Type: ...


ORDERING = frozenset({"<", "<=", ">", ">="})
ORDERED_KINDS = frozenset({Kind.INT, Kind.DOUBLE, Kind.STRING, Kind.BOOL})
ARITHMETIC = frozenset({"-", "*", "/", "%"})


def check_unary(checker: Checker, node: s.Unary) -> Type:
    operand = non_null(node.operand.type)
    if node.op == "!":
        if operand.kind in (Kind.BOOL, Kind.DYN):
            return Type.BOOL
        return checker.error(node.start, f"! needs true or false, but "
                             f"{checker.show(node.operand)} is not")  # fmt: skip
    if operand.kind in (Kind.INT, Kind.DOUBLE, Kind.DYN):
        return operand
    return checker.error(node.start, f"- needs a number, but {checker.show(node.operand)} is not")


def check_logical(checker: Checker, node: s.Logical) -> Type:
    for operand in node.operands:
        if operand.type.kind not in (Kind.BOOL, Kind.DYN):
            checker.error(operand.start, f"{node.op} needs true or false on both sides, but "
                          f"{checker.show(operand)} is not")  # fmt: skip
    return Type.BOOL


def check_binary(checker: Checker, node: s.Binary) -> Type:
    left, right = non_null(node.left.type), non_null(node.right.type)
    if node.op in ("==", "!="):
        if is_comparable(left, right):
            return Type.BOOL
        return _mismatch(checker, node, "can never be equal")
    if node.op in ORDERING:
        return _check_ordering(checker, node, left, right)
    if node.op == "in":
        return _check_in(checker, node, left, right)
    if node.op == "+":
        return _check_plus(checker, node, left, right)
    return _check_arithmetic(checker, node, left, right)


def _mismatch(checker: Checker, node: s.Binary, what: str) -> Type:
    return checker.error(
        node.op_at, f"{checker.show(node.left)} and {checker.show(node.right)} {what}"
    )


def _check_ordering(checker: Checker, node: s.Binary, left: Type, right: Type) -> Type:
    for side in (node.left, node.right):
        if side.type.kind is Kind.NULL:
            return checker.error(side.start, f"{node.op} with null is always false")
        if side.type.kind not in ORDERED_KINDS and not side.type.is_dyn:
            return checker.error(node.op_at, f"cannot order {checker.show(side)} with {node.op}")
    same = left.kind is right.kind or (left.is_numeric and right.is_numeric)
    if same or left.is_dyn or right.is_dyn:
        return Type.BOOL
    return _mismatch(checker, node, f"cannot be compared with {node.op}")


def _check_in(checker: Checker, node: s.Binary, left: Type, right: Type) -> Type:
    if right.kind is Kind.LIST and right.elem is not None:
        wanted = right.elem
    elif right.kind is Kind.MAP and right.key is not None:
        wanted = right.key
    elif right.kind is Kind.OBJECT:
        wanted = Type.STRING
    elif right.kind is Kind.DYN:
        return Type.BOOL
    else:
        hint = "; for a substring write text.contains(...)" if right.kind is Kind.STRING else ""
        return checker.error(node.op_at, f"`in` needs a list or map on its right, but "
                             f"{checker.show(node.right)} is not one{hint}")  # fmt: skip
    if is_comparable(left, wanted):
        return Type.BOOL
    return _mismatch(checker, node, f"do not match: the right side holds {wanted} values")


def _check_plus(checker: Checker, node: s.Binary, left: Type, right: Type) -> Type:
    if left.kind is right.kind is Kind.STRING:
        return Type.STRING
    if left.kind is right.kind is Kind.LIST:
        return join(left, right)
    return _check_arithmetic(checker, node, left, right)


def _check_arithmetic(checker: Checker, node: s.Binary, left: Type, right: Type) -> Type:
    addable = (Kind.STRING, Kind.LIST) if node.op == "+" else ()
    for side, side_type in ((node.left, left), (node.right, right)):
        if not (side_type.is_numeric or side_type.is_dyn or side_type.kind in addable):
            what = "numbers, strings or lists" if addable else "numbers"
            return checker.error(node.op_at, f"{node.op} needs {what}, but "
                                 f"{checker.show(side)} is not")  # fmt: skip
    if left.is_dyn or right.is_dyn:
        return Type.DYN
    if left.is_numeric and right.is_numeric:
        return Type.INT if left.kind is right.kind is Kind.INT else Type.DOUBLE
    return _mismatch(checker, node, f"cannot be combined with {node.op}")


def check_index(checker: Checker, node: s.Index) -> Type:
    operand, key = non_null(node.operand.type), non_null(node.index.type)
    if operand.kind is Kind.LIST:
        return _list_index(checker, node, operand, key)
    if operand.kind is Kind.MAP:
        if operand.key is not None and not is_comparable(operand.key, key):
            return checker.error(node.index.start, f"this map's keys are {operand.key} values, "
                                 f"but {checker.show(node.index)} is not")  # fmt: skip
        return Type.nullable(operand.elem or Type.DYN)
    if operand.kind is Kind.OBJECT:
        return _object_index(checker, node, operand)
    if operand.kind in (Kind.DYN, Kind.NULL):
        return Type.DYN
    return checker.error(node.op_at, f"cannot index {checker.show(node.operand)}")


def _list_index(checker: Checker, node: s.Index, operand: Type, key: Type) -> Type:
    if key.kind not in (Kind.INT, Kind.DYN):
        return checker.error(node.index.start, f"a list index must be an int, but "
                             f"{checker.show(node.index)} is not")  # fmt: skip
    return operand.elem or Type.DYN


def _object_index(checker: Checker, node: s.Index, operand: Type) -> Type:
    if isinstance(node.index, s.Literal) and isinstance(node.index.value, str):
        return checker.field_type(operand, node.index.value, node.index.start, node.operand)
    if node.index.type.kind not in (Kind.STRING, Kind.DYN):
        return checker.error(node.index.start, f"an object's fields are named by strings, but "
                             f"{checker.show(node.index)} is not one")  # fmt: skip
    return Type.DYN
