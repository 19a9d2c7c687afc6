"""The names a `when:` rule may read (SPEC §3) with their types, and rule compilation that
turns CEL diagnostics into located policy problems."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from warmline.core.errors import Problem
from warmline.core.policy.cel import CelError, CompiledExpression, Type, compile_expression

_NULLABLE_STRING = Type.nullable(Type.STRING)

#: SPEC §3, "Names visible to it". `customer` is open: any key may be asked for, missing is null.
RULE_SCHEMA: Mapping[str, Type] = {
    "confidence": Type.nullable(Type.DOUBLE),
    "intent": _NULLABLE_STRING,
    "question_type": _NULLABLE_STRING,
    "threshold": Type.DOUBLE,
    "text": Type.STRING,
    "transcript": Type.STRING,
    "turns": Type.INT,
    "customer": Type.object(
        {
            "id": _NULLABLE_STRING,
            "name": _NULLABLE_STRING,
            "phone": _NULLABLE_STRING,
            "email": _NULLABLE_STRING,
            "segment": _NULLABLE_STRING,
            "deal_value": Type.nullable(Type.DOUBLE),
            "attributes": Type.map_of(Type.DYN),
            "recent_contacts": Type.list_of(Type.DYN),
        },
        open=True,
    ),
    "business_hours": Type.BOOL,
    "local": Type.object({"hour": Type.INT, "weekday": Type.INT}, open=False),
    "human_requested": Type.BOOL,
    "frustration": Type.DOUBLE,
    "ai_failures": Type.INT,
    "repeat_contacts": Type.INT,
    "channel": _NULLABLE_STRING,
}

#: `locate(path)` returns the (line, column) of a policy value, 1-based, when known.
Locator = Callable[[tuple[str | int, ...]], tuple[int, int] | None]


def compile_rule(
    source: object,
    *,
    rule: str,
    path: tuple[str | int, ...],
    file: str | None,
    locate: Locator,
) -> tuple[CompiledExpression | None, list[Problem]]:
    """Compile one `when:`; on failure return every problem, located in the policy file.

    The column is exact when the expression sits on one line of the file; for a block
    scalar the line is the expression's own line counted from the key.
    """
    dotted = _dotted(path)
    where = locate(path)
    if not isinstance(source, str) or not source.strip():
        return None, [Problem("`when:` must be a CEL expression in a string, e.g. "
                              "`intent == \"cancel\"`", file=file, path=dotted, rule=rule,
                              line=where[0] if where else None)]
    try:
        return compile_expression(source, RULE_SCHEMA, expect=Type.BOOL), []
    except CelError as err:
        problems = []
        for diag in err.diagnostics:
            line = column = None
            if where is not None:
                line = where[0] + diag.line - 1
                column = where[1] + diag.column - 1 if diag.line == 1 else None
            problems.append(Problem(
                f"{diag.message} (at column {diag.column} of the expression)",
                file=file, path=dotted, line=line, column=column, rule=rule,
                snippet=diag.snippet))
        return None, problems


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
