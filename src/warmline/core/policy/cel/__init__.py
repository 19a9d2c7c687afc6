"""Warmline's Common Expression Language (CEL) for policy `when:` rules.

Rules are parsed, type-checked against a declared schema and compiled to closures once, at
load time; `CompiledExpression.evaluate` then never raises for a boolean rule. See
docs/decisions/0001-cel-implementation.md for the semantics chosen where CEL leaves room.
"""

from __future__ import annotations

from warmline.core.policy.cel.cost import MAX_COST
from warmline.core.policy.cel.diagnostic import CelError, Diagnostic
from warmline.core.policy.cel.expression import (
    MAX_SOURCE,
    CompiledExpression,
    EvaluationError,
    compile_expression,
)
from warmline.core.policy.cel.parser import MAX_DEPTH
from warmline.core.policy.cel.runtime import MAX_ITERATIONS, MAX_SIZE
from warmline.core.policy.cel.types import Type

__all__ = [
    "MAX_COST",
    "MAX_DEPTH",
    "MAX_ITERATIONS",
    "MAX_SIZE",
    "MAX_SOURCE",
    "CelError",
    "CompiledExpression",
    "Diagnostic",
    "EvaluationError",
    "Type",
    "compile_expression",
]
