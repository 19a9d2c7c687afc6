"""Located compile errors: `Diagnostic` (one mistake) and `CelError` (all of them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from warmline.core.errors import InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One mistake in an expression.

    Attributes:
        message: one sentence naming the thing and the bad value.
        offset: 0-based character offset into the source.
        line: 1-based line within the source.
        column: 1-based column within that line.
        snippet: the source line, then a caret line under the column.
    """

    message: str
    offset: int
    line: int
    column: int
    snippet: str

    @classmethod
    def at(cls, source: str, offset: int, message: str) -> Diagnostic:
        """A diagnostic for `message` at `offset` in `source` (clamped to the source)."""
        offset = max(0, min(offset, len(source)))
        line_start = source.rfind("\n", 0, offset) + 1
        line_end = source.find("\n", offset)
        if line_end < 0:
            line_end = len(source)
        text = source[line_start:line_end].rstrip("\r")
        # Keep tabs in the caret line so the caret sits under the column in a terminal.
        pad = "".join(ch if ch == "\t" else " " for ch in source[line_start:offset])
        return cls(
            message=message,
            offset=offset,
            line=source.count("\n", 0, offset) + 1,
            column=offset - line_start + 1,
            snippet=f"{text}\n{pad}^",
        )

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}\n{self.snippet}"


class CelError(InvalidInput):
    """An expression does not compile. `diagnostics` lists every mistake found, in order."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=lambda d: d.offset)
        super().__init__(
            Problem(d.message, line=d.line, column=d.column, snippet=d.snippet)
            for d in self.diagnostics
        )
