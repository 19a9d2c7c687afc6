"""Writing calibrated thresholds back into a policy file in place: a text edit at the
positions PyYAML reports, so comments, spacing, quoting and key order stay as the author
wrote them; the result is re-validated before it replaces the file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from warmline.adapters.policy_files import parse_policy_text
from warmline.core.errors import PolicyError, Problem
from warmline.core.policy.model import Policy

Edit = tuple[int, int, str]  # replace text[start:end] with the string


def _key(mapping: yaml.MappingNode, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key, value in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return key, value
    return None


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _last_line_end(text: str, node: yaml.Node) -> int:
    """Index just past the newline of the last line holding `node`'s own text (a block
    node's end mark points at the next token, after trailing comments and blank lines)."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style \
            and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    end = node.end_mark.index
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _edits_for(text: str, types: yaml.MappingNode, name: str, value: str) -> Edit:
    found = _key(types, name)
    if found is None:
        if types.flow_style:
            close = types.end_mark.index - 1
            sep = ", " if types.value else ""
            return close, close, f"{sep}{name}: {{threshold: {value}}}"
        at = _last_line_end(text, types)
        indent = " " * types.value[0][0].start_mark.column
        prefix = "" if text[:at].endswith("\n") else "\n"
        return at, at, f"{prefix}{indent}{name}: {{threshold: {value}}}\n"
    key, node = found
    if isinstance(node, yaml.MappingNode):
        threshold = _key(node, "threshold")
        if threshold is not None:
            scalar = threshold[1]
            return scalar.start_mark.index, scalar.end_mark.index, value
        if node.flow_style:
            at = node.start_mark.index + 1
            return at, at, f"threshold: {value}" + (", " if node.value else "")
        first = node.value[0][0]
        at = _line_start(text, first.start_mark.index)
        return at, at, " " * first.start_mark.column + f"threshold: {value}\n"
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return node.start_mark.index, node.end_mark.index, f"{{threshold: {value}}}"
    raise ValueError(f"question_types.{name} is not a mapping (line {key.start_mark.line + 1})")


def set_thresholds(text: str, thresholds: Mapping[str, float]) -> str:
    """`text` with `question_types.<name>.threshold` set for each name (added when missing).

    Raises:
        ValueError: the document is not a mapping, or a question type is not a mapping.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("the policy is not a YAML mapping")
    values = {name: f"{t:.2f}" for name, t in sorted(thresholds.items())}
    found = _key(root, "question_types")
    if found is None or (isinstance(found[1], yaml.ScalarNode) and found[1].value in ("", "~",
                                                                                     "null")):
        body = "".join(f"  {name}: {{threshold: {v}}}\n" for name, v in values.items())
        if found is None:
            sep = "" if text.endswith("\n") or not text else "\n"
            return f"{text}{sep}question_types:\n{body}"
        at = _last_line_end(text, found[0])
        return text[:at] + body + text[at:]
    types = found[1]
    if not isinstance(types, yaml.MappingNode):
        raise ValueError("question_types is not a mapping")
    edits = [_edits_for(text, types, name, value) for name, value in values.items()]
    # From the end backwards so earlier positions stay valid; new types inserted at one spot
    # are applied last-first, so they read in sorted order.
    order = sorted(range(len(edits)), key=lambda i: (edits[i][0], edits[i][1], i), reverse=True)
    for i in order:
        start, end, new = edits[i]
        text = text[:start] + new + text[end:]
    return text


def write_thresholds(path: Path, thresholds: Mapping[str, float]) -> Policy:
    """Set the thresholds in the policy file at `path`, validate the result, then replace the
    file atomically. The file is left untouched when the edited policy would not load.

    Raises:
        PolicyError: the file cannot be read or edited, or the edit would not validate.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        edited = set_thresholds(text, thresholds)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
        raise PolicyError([Problem(f"cannot write thresholds: {err}", file=source)]) from err
    policy = parse_policy_text(edited, source=source, base_dir=path.parent)
    for name, wanted in thresholds.items():
        qt = policy.question_types.get(name)
        if qt is None or abs(qt.threshold - max(round(wanted, 2), policy.floor)) > 1e-9:
            raise PolicyError([Problem(f"question_types.{name}: the edited file does not read "
                                       f"back threshold {wanted:.2f}; left unchanged",
                                       file=source)])
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(edited)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise PolicyError([Problem(f"cannot write: {err.strerror}", file=source)]) from err
    return policy
