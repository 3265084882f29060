"""YAML loading that remembers the line of every key, so recipe errors can point at it."""
from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple  # a path into the document: ("pipeline", 2, "params", "min_len")


# A recipe is small: bounds that no real recipe comes near but that stop an alias bomb
# (a few hundred bytes expanding to billions of nodes) or a nesting that overflows the stack
MAX_NODES = 100_000
MAX_DEPTH = 100
MAX_NUMBER_DIGITS = 1_000
_SAFE_TAGS = {"tag:yaml.org,2002:" + name for name in
              ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary",
               "merge", "omap", "pairs", "set", "value")}


def load_with_lines(text: str, source: str = "<string>") -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text; return the data and a map from key path to 1-based line number.
    Raises ValueError("<source>:<line>: why") for text that is not a recipe's YAML."""
    node = _composed(text, source)
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    _check_size(node, source)
    _walk(node, (), lines)
    return _constructed(text, source), lines


def load_value(text: str, source: str) -> Any:
    """One YAML value (a --set value) with the same bounds as a recipe."""
    node = _composed(text, source)
    if node is not None:
        _check_size(node, source)
    return _constructed(text, source)


def _composed(text: str, source: str):
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ValueError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ValueError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None


def _constructed(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ValueError(f"{where}: {getattr(exc, 'problem', exc)}") from None
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{source}: {exc}") from None


def _check_size(root: yaml.Node, source: str) -> None:
    """Count the nodes as they would be built (an alias counts its whole target again),
    refuse recursive aliases, deep nesting, non-string keys, tags that are not plain
    data and numbers of absurd length; each with its line."""
    count = 0
    stack: list[tuple[yaml.Node, int, frozenset]] = [(root, 0, frozenset())]
    while stack:
        node, depth, above = stack.pop()
        count += 1
        line = f"{source}:{node.start_mark.line + 1}"
        if count > MAX_NODES:
            raise ValueError(f"{line}: the YAML expands to more than {MAX_NODES:,} values "
                             "(aliases repeating aliases?)")
        if depth > MAX_DEPTH:
            raise ValueError(f"{line}: nested deeper than {MAX_DEPTH} levels")
        if node.tag not in _SAFE_TAGS:
            raise ValueError(f"{line}: the tag {node.tag} is not allowed: a recipe is plain "
                             "data (strings, numbers, lists, mappings)")
        if isinstance(node, yaml.ScalarNode):
            if node.tag.endswith((":int", ":float")) and len(node.value) > MAX_NUMBER_DIGITS:
                raise ValueError(f"{line}: a number of {len(node.value):,} characters")
            continue
        if id(node) in above:
            raise ValueError(f"{line}: an alias refers to a value that holds it (recursive)")
        inside = above | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag not in (
                        "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"):
                    raise ValueError(f"{source}:{key.start_mark.line + 1}: keys must be "
                                     "strings (quote it)")
                stack.append((value, depth + 1, inside))
        else:
            stack.extend((item, depth + 1, inside) for item in node.value)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
