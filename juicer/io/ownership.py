"""What a run may write and remove: only its own output folder, and in it only what a Juicer
run wrote. `--overwrite` used to remove data/, dropped/ and quarantine/ whatever they held,
so an output.path at or above an input folder deleted the user's input."""
from __future__ import annotations

import os
import re
from typing import Sequence

from juicer.errors import RefusedError
from juicer.io import fs

MARKER = ".juicer-output.json"  # written into every output folder a run starts
# what runs write into an output folder (besides the marker and the driver's lock)
_RUN_FILES = ("report.json", "report.html", "recipe.resolved.yaml", "compare.html")
_PART = re.compile(r"part-\d{5,}\.(jsonl|parquet|arrow)$")
OUTPUT_KINDS = ("data", "dropped", "quarantine")


def check_output_place(out: str, patterns: Sequence[str]) -> None:
    """Refuse an output folder that is the file system's root or a home folder, or that
    is or holds an input (an output inside an input folder is fine: expand_paths leaves
    its files out of the input)."""
    if fs.is_url(out):
        bare = out.split("://", 1)[1].strip("/")
        if "/" not in bare:
            raise RefusedError(f"output.path '{out}' is a whole bucket", hint="give a "
                               "folder inside it, e.g. " + out.rstrip("/") + "/curated")
        return
    real = os.path.realpath(fs.local_path(out))
    if real == os.path.realpath(os.sep) or real in _home_folders() or \
            os.path.dirname(real) in ("/home", "/Users"):
        raise RefusedError(f"output.path '{out}' is {'the root folder' if real == os.sep else 'a home folder'}"
                           "; a run's output needs a folder of its own", hint="e.g. "
                           f"output.path: {os.path.join(out, 'curated')}")
    for pattern in patterns:
        if fs.is_url(pattern):
            continue
        base = os.path.realpath(fs.local_path(_fixed_prefix(pattern)))
        if base == real or base.startswith(real.rstrip(os.sep) + os.sep):
            raise RefusedError(
                f"output.path '{out}' holds the input '{pattern}': a run replaces what its "
                "output folder holds", hint="choose an output.path outside the input")


def _fixed_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard (the pattern itself if none)."""
    if not any(ch in pattern for ch in "*?["):
        return pattern
    head = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    return head if head.endswith(os.sep) else os.path.dirname(head) or "."


def _home_folders() -> set[str]:
    homes = {os.path.realpath(os.path.expanduser("~"))}
    for parent in ("/home", "/Users"):
        homes.add(parent)
    return homes


def mark(out: str) -> None:
    """Say that `out` is a Juicer output (what --overwrite checks before removing)."""
    from juicer._version import __version__
    from juicer.io.writers import write_json

    path = fs.join(out, MARKER)
    if not fs.exists(path):
        write_json({"written_by": "juicer", "version": __version__}, path)


def is_juicer_output(out: str) -> bool:
    # runs before the marker existed are known by their manifest
    return fs.exists(fs.join(out, MARKER)) or fs.exists(fs.join(fs.join(out, "_work"), "run.json"))


def remove_previous_run(out: str) -> None:
    """What --overwrite removes: a previous run's files, and nothing of anyone else's."""
    present = [name for name in (*OUTPUT_KINDS, "_work", *_RUN_FILES)
               if fs.exists(fs.join(out, name))]
    if not present:
        return
    if not is_juicer_output(out) and any(not _empty_folder(fs.join(out, name))
                                         for name in present):
        raise RefusedError(
            f"output directory '{out}' holds {', '.join(present)} but no sign that a Juicer "
            f"run wrote them (no {MARKER}); --overwrite removes only a Juicer run's files",
            hint="choose an empty output.path, or move those files away")
    strangers = [fs.join(fs.join(out, kind), name) for kind in OUTPUT_KINDS
                 if fs.is_dir(fs.join(out, kind)) for name in fs.names(fs.join(out, kind))
                 if not _PART.match(name)]
    if strangers:
        shown = ", ".join(strangers[:3]) + (f" and {len(strangers) - 3} more"
                                            if len(strangers) > 3 else "")
        raise RefusedError(f"output directory '{out}' holds files a Juicer run did not write "
                           f"({shown}); --overwrite removes only a run's own files",
                           hint="move them away, or choose another output.path")
    for name in present:
        target = fs.join(out, name)
        if name in OUTPUT_KINDS:
            for part in fs.names(target):
                fs.remove_file(fs.join(target, part))
            fs.remove_tree(target)
        elif name == "_work":
            fs.remove_tree(target)
        else:
            fs.remove_file(target)


def _empty_folder(path: str) -> bool:
    return fs.is_dir(path) and not fs.names(path)


