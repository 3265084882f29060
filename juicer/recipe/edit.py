"""Change a few settings of a recipe file and keep the rest as its author wrote it: comments,
order, quoting, flow or block style, and relative paths (re-based when the edited recipe is
written to another folder). `juicer calibrate` writes its proposal this way."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Optional

from juicer.recipe import Recipe, names_a_file


def edited_text(recipe: Recipe, params: dict[str, dict[str, Any]], output_path: str,
                destination: str) -> str:
    """The text of `recipe`'s file with `params` ({step id: {param: value}}) set, output.path
    set to `output_path` (absolute), and relative paths re-based for a file at
    `destination`. The recipe must be a Juicer-layout file loaded without overrides."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line the author wrote
    source = Path(recipe.source).resolve()
    text = source.read_text(encoding="utf-8")
    if _indented_sequences(text):  # `pipeline:` then `  - op:`: keep the dash indented
        yaml.indent(mapping=2, sequence=4, offset=2)
    document = yaml.load(text)
    old_base, new_base = source.parent, Path(os.path.abspath(destination)).parent
    for entry_index, step in enumerate(recipe.pipeline):
        changes = params.get(step.id)
        if not changes:
            continue
        entry = document["pipeline"][entry_index]
        if isinstance(entry, str):  # `- text_length_filter` becomes a mapping with params
            entry = document["pipeline"][entry_index] = CommentedMap(op=entry)
        if entry.get("params") is None:
            entry["params"] = CommentedMap()
        for name, value in changes.items():
            entry["params"][name] = value
    rebase = _Rebase(old_base, new_base)
    inputs = document["input"]
    if isinstance(inputs.get("paths"), str):
        inputs["paths"] = rebase(inputs["paths"])
    elif inputs.get("paths") is not None:
        for index, path in enumerate(inputs["paths"]):
            inputs["paths"][index] = rebase(path)
    written = document["output"].get("path")
    relative = isinstance(written, str) and not os.path.isabs(written) and "://" not in written
    document["output"]["path"] = (os.path.relpath(output_path, new_base) if relative
                                  else output_path)
    if isinstance(document["output"].get("count_tokens"), str):
        document["output"]["count_tokens"] = rebase(document["output"]["count_tokens"],
                                                    only_existing=True)
    for entry in document["pipeline"]:
        step_params = entry.get("params") if isinstance(entry, dict) else None
        for key, value in list((step_params or {}).items()):
            if names_a_file(key, value, old_base):  # as load_recipe resolves them
                step_params[key] = rebase(value)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def _indented_sequences(text: str) -> bool:
    """Whether the file indents a list's dashes under their key (`key:` then `  - item`)."""
    lines = [line for line in text.splitlines() if line.strip() and
             not line.lstrip().startswith("#")]
    for parent, line in zip(lines, lines[1:]):
        if line.lstrip().startswith("- ") and parent.rstrip().endswith(":") and \
                not parent.lstrip().startswith("- "):
            return len(line) - len(line.lstrip()) > len(parent) - len(parent.lstrip())
    return False


class _Rebase:
    """A path relative to the old recipe's folder, written relative to the new one's."""

    def __init__(self, old: Path, new: Path) -> None:
        self.old, self.new = old, new

    def __call__(self, path: Any, only_existing: bool = False) -> Any:
        if not isinstance(path, str) or not path or "://" in path or os.path.isabs(path) \
                or self.old == self.new:
            return path
        target = os.path.normpath(self.old / path)
        if only_existing and not os.path.exists(target):
            return path  # a built-in name (cl100k_base), not a file
        return type(path)(os.path.relpath(target, self.new))  # a quoted string stays quoted


def can_edit(recipe: Recipe) -> Optional[str]:
    """Why the recipe's own file cannot be edited (None when it can)."""
    if not os.path.isfile(recipe.source):
        return "it was not loaded from a file"
    if recipe.layout != "juicer":
        return "it is in Data-Juicer's layout"
    if recipe.overrides:
        return "--set changed it: " + ", ".join(recipe.overrides)
    return None
