"""Warmline's one error tree. Every error a user can cause names the thing and the bad value.

```
WarmlineError
├── InvalidInput        422 / exit 1 — names file, line, column, field
│   ├── PolicyError     rule name and position in the expression
│   └── ConversationError
├── NotFound            404
├── Conflict            409 (e.g. a handoff already accepted)
│   └── StaleWrite      412: an `If-Match` that no longer matches (someone saved first)
├── AuthError           401/403 (SignatureInvalid, TenantMismatch)
└── AdapterError        502/503, with `retryable`
```

`InvalidInput` carries every `Problem` found, so a policy with five mistakes is reported
once with all five, not five times with one each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One located mistake in user input.

    Attributes:
        message: one sentence naming the thing and the bad value.
        file: the file it came from, when known.
        path: where in the document: ``$.turns[2].at`` or ``triggers[0].when``.
        line: 1-based line in ``file``, when known.
        column: 1-based column in ``file`` (or in the expression for rules).
        rule: the policy rule's name, for rule errors.
        snippet: an optional excerpt with a caret under the column.
    """

    message: str
    file: str | None = None
    path: str | None = None
    line: int | None = None
    column: int | None = None
    rule: str | None = None
    snippet: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        parts = [where]
        if self.path:
            parts.append(f"{self.path}: ")
        if self.rule:
            parts.append(f"rule {self.rule!r}: ")
        parts.append(self.message)
        text = "".join(parts)
        if self.snippet:
            text += "\n" + self.snippet
        return text


class WarmlineError(Exception):
    """Base of every error Warmline raises on purpose."""


class InvalidInput(WarmlineError):
    """User input is wrong; every problem found is listed, each located."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InvalidInput needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))


class PolicyError(InvalidInput):
    """A policy file is wrong: bad key, bad value, or a `when:` rule that does not compile."""


class ConversationError(InvalidInput):
    """A conversation (SPEC §1) is wrong: missing field, bad type, naive time."""


class NotFound(WarmlineError):
    """The thing asked for does not exist (for this tenant)."""


class Conflict(WarmlineError):
    """The request conflicts with the current state, e.g. a handoff already accepted."""


class StaleWrite(Conflict):
    """A conditional write (`If-Match`) against a version that has changed since it was read:
    refused so that the earlier write is not lost."""


class AuthError(WarmlineError):
    """Missing or bad credentials, a bad webhook signature, or another tenant's data."""


class SignatureInvalid(AuthError):
    """A webhook's signature did not verify."""


class TenantMismatch(AuthError):
    """The object belongs to another tenant."""


class AdapterError(WarmlineError):
    """A dependency outside Warmline failed (database, vendor API, receiver)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
