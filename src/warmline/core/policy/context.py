"""`PolicyReader`: reading one policy document while collecting located problems — the
checks every section shares (keys with "did you mean", numbers, strings, modes) and the
queue and notify references resolved at the end."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from warmline.core.errors import Problem
from warmline.core.policy.model import Mode
from warmline.core.policy.rules import Locator

Path = tuple[str | int, ...]


def no_location(_: Path) -> tuple[int, int] | None:
    return None


@dataclass
class PolicyReader:
    """Reading state: where problems go and how to locate a path in the file."""

    file: str | None
    locate: Locator
    problems: list[Problem] = field(default_factory=list)
    queue_refs: list[tuple[Path, str]] = field(default_factory=list)
    notify_refs: list[tuple[Path, str]] = field(default_factory=list)
    used_names: set[str] = field(default_factory=set)

    def fail(self, path: Path, message: str) -> None:
        where = self.locate(path) or self._nearest(path)
        self.problems.append(Problem(
            message, file=self.file, path=dotted(path) or "(top level)",
            line=where[0] if where else None, column=where[1] if where else None))

    def _nearest(self, path: Path) -> tuple[int, int] | None:
        for cut in range(len(path) - 1, -1, -1):
            found = self.locate(path[:cut])
            if found:
                return found
        return None

    def keys(self, obj: Mapping[str, Any], allowed: tuple[str, ...], path: Path) -> None:
        for key in obj:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else (
                    f"; expected one of: {', '.join(allowed)}")
                self.fail((*path, str(key)), f"unknown key {key!r}{hint}")

    def mapping(self, value: object, path: Path) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a mapping, got {show(value)}")
            return {}
        return value

    def number(self, value: object, path: Path, *, lo: float | None = None,
               hi: float | None = None) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            self.fail(path, f"expected a number, got {show(value)}")
            return None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(path, f"must be between {lo:g} and {hi:g}, got {value:g}"
                      if lo is not None and hi is not None else f"out of range: {value:g}")
            return None
        return float(value)

    def integer(self, value: object, path: Path, *, lo: int = 0) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            self.fail(path, f"expected a whole number ≥ {lo}, got {show(value)}")
            return None
        return value

    def string(self, value: object, path: Path) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty string, got {show(value)}")
            return None
        return value

    def strings(self, value: object, path: Path) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, f"expected a list of strings, got {show(value)}")
            return ()
        return tuple(value)

    def mode(self, value: object, path: Path) -> Mode | None:
        if value is None:
            return None
        try:
            return Mode(str(value))
        except ValueError:
            self.fail(path, f"expected warm or cold, got {show(value)}")
            return None

    def queue_ref(self, value: object, path: Path) -> str | None:
        if value is None:
            return None
        name = self.string(value, path)
        if name is not None:
            self.queue_refs.append((path, name))
        return name


def show(value: object) -> str:
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
