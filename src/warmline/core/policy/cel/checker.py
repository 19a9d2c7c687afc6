"""Load-time type checking against a declared schema. Every mistake is collected, not just the
first; a node with an error is typed DYN so that one mistake is reported once."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from warmline.core.policy.cel import syntax as s
from warmline.core.policy.cel.diagnostic import Diagnostic
from warmline.core.policy.cel.functions import FUNCTIONS, METHODS, Function, compile_regex
from warmline.core.policy.cel.operators import check_binary, check_index, check_logical, check_unary
from warmline.core.policy.cel.types import Kind, Type, is_comparable, join, non_null

PYTHON_WORDS = {"True": "true", "False": "false", "None": "null"}
PYTHON_METHODS = {"lower": "lowerAscii", "upper": "upperAscii", "strip": "trim"}
PYTHON_FUNCTIONS = {"len": "size", "str": "string", "float": "double"}
MACRO_RESULTS = {"exists": Type.BOOL, "all": Type.BOOL, "exists_one": Type.BOOL}


def suggest(name: str, candidates: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest candidate, or ''."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Checker:
    """Types one expression. `diagnostics` and `names` are filled by `check`."""

    def __init__(self, source: str, schema: Mapping[str, Type]) -> None:
        self.source = source
        self.schema = schema
        self.diagnostics: list[Diagnostic] = []
        self.names: set[str] = set()
        self.scopes: list[dict[str, Type]] = []

    def check(self, node: s.Node) -> Type:
        node.type = _HANDLERS[type(node)](self, node)
        return node.type

    def error(self, offset: int, message: str) -> Type:
        self.diagnostics.append(Diagnostic.at(self.source, offset, message))
        return Type.DYN

    def show(self, node: s.Node) -> str:
        """The node's source text (shortened) and its type, for messages: `s` (a string)."""
        text = " ".join(self.source[node.start : node.end].split())
        if len(text) > 40:
            text = text[:37] + "..."
        return f"`{text}` ({node.type.describe()})"

    def _literal(self, node: s.Literal) -> Type:
        kinds = {bool: Type.BOOL, int: Type.INT, float: Type.DOUBLE, str: Type.STRING}
        return kinds.get(type(node.value), Type.NULL)

    def _ident(self, node: s.Ident) -> Type:
        for scope in reversed(self.scopes):
            if node.name in scope:
                return scope[node.name]
        if node.name in self.schema:
            self.names.add(node.name)
            return self.schema[node.name]
        if node.name in PYTHON_WORDS:
            return self.error(node.start, f"unknown name {node.name!r}; CEL writes "
                              f"{PYTHON_WORDS[node.name]}")  # fmt: skip
        hint = suggest(node.name, self.schema)
        known = ", ".join(sorted(self.schema)) or "none"
        return self.error(node.start, f"unknown name {node.name!r}{hint or '.'} Known names: "
                          f"{known}.")  # fmt: skip

    def _select(self, node: s.Select) -> Type:
        operand = non_null(self.check(node.operand))
        if operand.kind is Kind.OBJECT:
            return self.field_type(operand, node.name, node.name_at, node.operand)
        if operand.kind is Kind.MAP and operand.elem is not None:
            return Type.nullable(operand.elem)
        if operand.kind in (Kind.DYN, Kind.NULL):
            return Type.DYN
        hint = f"; did you mean {node.name}()?" if node.name in METHODS else ""
        return self.error(node.name_at, f"cannot select field {node.name!r} of "
                          f"{self.show(node.operand)}{hint}")  # fmt: skip

    def field_type(self, obj: Type, name: str, offset: int, operand: s.Node) -> Type:
        declared = obj.field(name)
        if declared is not None:
            return declared
        if obj.is_open:
            return Type.DYN
        fields = [field_name for field_name, _ in obj.fields]
        where = self.source[operand.start : operand.end]
        hint = suggest(name, fields) or "."
        return self.error(offset, f"{where} has no field {name!r}{hint} Its fields: "
                          f"{', '.join(fields)}.")  # fmt: skip

    def _index(self, node: s.Index) -> Type:
        self.check(node.operand)
        self.check(node.index)
        return check_index(self, node)

    def _unary(self, node: s.Unary) -> Type:
        self.check(node.operand)
        return check_unary(self, node)

    def _binary(self, node: s.Binary) -> Type:
        self.check(node.left)
        self.check(node.right)
        return check_binary(self, node)

    def _logical(self, node: s.Logical) -> Type:
        for operand in node.operands:
            self.check(operand)
        return check_logical(self, node)

    def _conditional(self, node: s.Conditional) -> Type:
        cond = self.check(node.cond)
        then, otherwise = self.check(node.then), self.check(node.otherwise)
        if cond.kind not in (Kind.BOOL, Kind.DYN):
            self.error(node.cond.start, f"the condition of `?:` must be true or false, but "
                       f"{self.show(node.cond)} is not")  # fmt: skip
        if _clash(then, otherwise):
            return self.error(node.op_at, f"the branches of `?:` differ: {self.show(node.then)}"
                              f" and {self.show(node.otherwise)}")  # fmt: skip
        return join(then, otherwise)

    def _list(self, node: s.ListLit) -> Type:
        elem: Type | None = None
        for item in node.items:
            item_type = self.check(item)
            elem = item_type if elem is None else join(elem, item_type)
        return Type.list_of(elem or Type.DYN)

    def _map(self, node: s.MapLit) -> Type:
        keys: Type | None = None
        values: Type | None = None
        seen: set[object] = set()
        for key, value in node.entries:
            key_type, value_type = self.check(key), self.check(value)
            if key_type.kind not in (Kind.STRING, Kind.INT, Kind.BOOL, Kind.DYN):
                self.error(key.start, f"a map key must be a string, int or bool, not "
                           f"{self.show(key)}")  # fmt: skip
            if isinstance(key, s.Literal):
                if (type(key.value), key.value) in seen:
                    self.error(key.start, f"duplicate map key {key.value!r}")
                seen.add((type(key.value), key.value))
            keys = key_type if keys is None else join(keys, key_type)
            values = value_type if values is None else join(values, value_type)
        return Type.map_of(values or Type.DYN, keys or Type.DYN)

    def _has(self, node: s.Has) -> Type:
        operand = non_null(self.check(node.select.operand))
        node.select.type = Type.DYN
        if operand.kind is Kind.OBJECT:
            self.field_type(operand, node.select.name, node.select.name_at, node.select.operand)
        elif operand.kind not in (Kind.MAP, Kind.DYN, Kind.NULL):
            self.error(node.select.name_at, f"has() needs an object or map, but "
                       f"{self.show(node.select.operand)} is not one")  # fmt: skip
        return Type.BOOL

    def _call(self, node: s.Call) -> Type:
        table = METHODS if node.target is not None else FUNCTIONS
        function = table.get(node.name)
        args = ([node.target] if node.target is not None else []) + node.args
        for arg in args:
            self.check(arg)
        if function is None:
            return self._unknown_function(node)
        given = len(node.args)
        wanted = len(function.params) - (node.target is not None)
        if given != wanted:
            plural = "" if wanted == 1 else "s"
            return self.error(node.name_at, f"{node.name}() takes {wanted} argument{plural}, "
                              f"got {given}")  # fmt: skip
        for arg, kinds in zip(args, function.params, strict=True):
            self._check_argument(node, function, arg, kinds)
        if node.name == "matches":
            self._check_regex(node.args[0])
        return function.result

    def _check_argument(
        self, node: s.Call, f: Function, arg: s.Node, kinds: frozenset[Kind]
    ) -> None:
        if arg.type.kind is Kind.DYN or arg.type.kind in kinds:
            return
        wanted = " or ".join(sorted(kind.value for kind in kinds))
        hint = ""
        if node.name == "contains" and arg is node.target and arg.type.kind is Kind.LIST:
            hint = "; to test list membership write `x in list`"
        role = "works on" if arg is node.target else "needs"
        self.error(arg.start, f"{f.name}() {role} {wanted}, but {self.show(arg)} is not{hint}")

    def _check_regex(self, pattern: s.Node) -> None:
        if isinstance(pattern, s.Literal) and isinstance(pattern.value, str):
            try:
                compile_regex(pattern.value)
            except Exception as err:  # re2's own error class, with the reason as bytes
                reason = err.args[0].decode() if isinstance(err.args[0], bytes) else err
                self.error(pattern.start, f"invalid regular expression {pattern.value!r}: {reason}")

    def _unknown_function(self, node: s.Call) -> Type:
        if node.target is None and node.name in METHODS:
            return self.error(node.name_at, f"{node.name}() is a method; write "
                              f"x.{node.name}(...)")  # fmt: skip
        table, aliases = (METHODS, PYTHON_METHODS) if node.target else (FUNCTIONS, PYTHON_FUNCTIONS)
        alias = aliases.get(node.name)
        hint = f"; did you mean {alias}()?" if alias else suggest(node.name, table)
        kind = "method" if node.target else "function"
        return self.error(node.name_at, f"unknown {kind} {node.name}(){hint}")

    def _comprehension(self, node: s.Comprehension) -> Type:
        target = non_null(self.check(node.target))
        if target.kind is Kind.LIST:
            var = target.elem or Type.DYN
        elif target.kind in (Kind.MAP, Kind.OBJECT):
            var = target.key or Type.STRING
        else:
            if target.kind is not Kind.DYN:
                self.error(node.name_at, f"{node.kind}() works on a list or map, but "
                           f"{self.show(node.target)} is not one")  # fmt: skip
            var = Type.DYN
        self.scopes.append({node.var: var})
        try:
            if node.pred is not None and self.check(node.pred).kind not in (Kind.BOOL, Kind.DYN):
                self.error(node.pred.start, f"the condition of {node.kind}() must be true or "
                           f"false, but {self.show(node.pred)} is not")  # fmt: skip
            produced = self.check(node.transform) if node.transform is not None else var
        finally:
            self.scopes.pop()
        if node.kind in MACRO_RESULTS:
            return MACRO_RESULTS[node.kind]
        return Type.list_of(produced)


# Keyed by node class; each handler takes that class, hence Any.
_HANDLERS: dict[type[s.Node], Callable[[Checker, Any], Type]] = {
    s.Literal: Checker._literal,
    s.Ident: Checker._ident,
    s.Select: Checker._select,
    s.Index: Checker._index,
    s.Call: Checker._call,
    s.Unary: Checker._unary,
    s.Binary: Checker._binary,
    s.Logical: Checker._logical,
    s.Conditional: Checker._conditional,
    s.ListLit: Checker._list,
    s.MapLit: Checker._map,
    s.Has: Checker._has,
    s.Comprehension: Checker._comprehension,
}


def _clash(a: Type, b: Type) -> bool:
    """Whether two known types can never hold the same kind of value (numbers mix)."""
    return not is_comparable(a, b)
