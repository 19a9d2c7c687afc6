"""Reading policy files: YAML with line numbers for every value, `${ENV}` expansion in
strings, and the bundled policies by name (`saas`, `healthcare`, ...)."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from warmline.core.errors import PolicyError, Problem
from warmline.core.policy.model import Policy
from warmline.core.policy.reader import parse_policy

BUNDLED_PACKAGE = "warmline.policies"
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
Locations = dict[tuple[str | int, ...], tuple[int, int]]


def bundled_policy_names() -> list[str]:
    files = resources.files(BUNDLED_PACKAGE)
    return sorted(p.name.removesuffix(".yaml") for p in files.iterdir()
                  if p.name.endswith(".yaml"))


def _index(node: yaml.Node, path: tuple[str | int, ...], out: Locations) -> None:
    """Record where each value starts (1-based line and column) under its path."""
    column = node.start_mark.column + 1
    if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"'):
        column += 1  # the value starts after the opening quote
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        out[path] = (node.start_mark.line + 2, node.start_mark.column + 1)
    else:
        out[path] = (node.start_mark.line + 1, column)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _index(value, (*path, str(key.value)), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), out)


def _expand(value: Any, env: Mapping[str, str]) -> Any:
    """Expand `${VAR}` in strings; an unset variable stays as written (policy check warns)."""
    if isinstance(value, str):
        return _ENV.sub(lambda m: env.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_expand(v, env) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, env) for k, v in value.items()}
    return value


def parse_policy_text(text: str, *, source: str, env: Mapping[str, str] | None = None,
                      base_dir: Path | None = None) -> Policy:
    """Parse policy YAML text; errors name the file, line and column.

    Raises:
        PolicyError: bad YAML or any problem `parse_policy` finds.
    """
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise PolicyError([Problem(
            f"not valid YAML: {problem}", file=source,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None)]) from err
    locations: Locations = {}
    if root is not None:
        _index(root, (), locations)
    data = _expand(data, os.environ if env is None else env)
    policy = parse_policy(data, source=source, locate=locations.get)
    if policy.intent_model and base_dir is not None:
        model = Path(policy.intent_model)
        if not model.is_absolute():
            policy = dataclasses.replace(policy, intent_model=str(base_dir / model))
    return policy


def policy_text(name_or_path: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """The YAML text of a policy file or bundled policy (None: `general`) and where it came
    from, checked to parse, as a tenant's first policy version is seeded from it.

    Raises:
        PolicyError: the file is missing, unreadable or invalid.
    """
    load_policy(name_or_path)
    text_name = os.fspath(name_or_path or "general")
    path = Path(text_name)
    if not path.exists() and text_name in bundled_policy_names():
        bundled = resources.files(BUNDLED_PACKAGE).joinpath(f"{text_name}.yaml")
        return bundled.read_text(encoding="utf-8"), f"<bundled:{text_name}>"
    return path.read_text(encoding="utf-8"), text_name


def load_policy(name_or_path: str | os.PathLike[str] | None = None, *,
                env: Mapping[str, str] | None = None) -> Policy:
    """Load a policy file, or a bundled policy by name; None means the bundled `general`.

    Raises:
        PolicyError: the file is missing, unreadable or invalid.
    """
    if name_or_path is None:
        name_or_path = "general"
    text_name = os.fspath(name_or_path)
    path = Path(text_name)
    if not path.exists() and text_name in bundled_policy_names():
        bundled = resources.files(BUNDLED_PACKAGE).joinpath(f"{text_name}.yaml")
        return parse_policy_text(bundled.read_text(encoding="utf-8"),
                                 source=f"<bundled:{text_name}>", env=env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        names = bundled_policy_names()
        close = difflib.get_close_matches(text_name, names, n=1)
        hint = f"; did you mean the bundled {close[0]!r}?" if close else ""
        raise PolicyError([Problem(
            f"no such policy file{hint} (bundled policies: {', '.join(names)})",
            file=text_name)]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError([Problem(f"cannot read the policy: {err}", file=text_name)]) from err
    return parse_policy_text(text, source=text_name, env=env, base_dir=path.parent)


def value_locations(name_or_path: str | os.PathLike[str]) -> Locations:
    """Where each value of a policy file starts (path -> line, column), for checks made
    after loading (`warmline policy check`'s outbound targets); empty when unreadable."""
    text_name = os.fspath(name_or_path)
    path = Path(text_name)
    try:
        if not path.exists() and text_name in bundled_policy_names():
            text = resources.files(BUNDLED_PACKAGE).joinpath(f"{text_name}.yaml").read_text(
                encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return text_locations(text)


def text_locations(text: str) -> Locations:
    """Where each value of policy YAML text starts; empty when it is not YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    locations: Locations = {}
    if root is not None:
        _index(root, (), locations)
    return locations
