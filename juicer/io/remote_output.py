"""Runs whose `output.path` is a URL (s3://bucket/run/, gs://...): the run is built in a
staging folder, exactly as a local run, and published to the URL when it finishes. The
staging folder holds the run's intermediates, so a run killed before it finished resumes
from it when started again; a finished run's staging folder is removed.

The staging folder is a local or shared folder, or itself a URL (s3://bucket/tmp/run/):
then workers need no shared filesystem, and publishing copies objects within the store.
"""
from __future__ import annotations

import hashlib
import os
from typing import Optional

from juicer.errors import JuicerError
from juicer.io import fs

PUBLISHED_LAST = "report.json"  # its presence at the URL marks a finished run


def staging_dir(url: str, configured: Optional[str]) -> str:
    if configured:
        return configured
    root = os.environ.get("JUICER_STAGING") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "juicer", "staging")
    return os.path.join(root, hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16])


def check_target(url: str, overwrite: bool) -> None:
    if not overwrite and fs.exists(fs.join(url, PUBLISHED_LAST)):
        raise JuicerError(f"output '{url}' already holds a finished run", hint="pass "
                          "--overwrite to replace it, or choose another output.path")


def publish(staging: str, url: str) -> None:
    """Upload the finished run (not its _work/) to `url`, replacing what was there;
    report.json goes last, so a reader that sees it sees a whole run. The run was built
    naming `url` as its output, so its files are uploaded as they are."""
    fs.remove_tree(url)
    files = [name for name in _files_below(staging) if not name.startswith("_work/")]
    files.sort(key=lambda name: name == PUBLISHED_LAST)
    for name in files:
        fs.copy_file(fs.join(staging, name), fs.join(url, name))
    fs.remove_tree(staging)


def _files_below(folder: str) -> list[str]:
    """Every file below `folder`, as '/'-separated paths relative to it."""
    root = fs.local_path(folder).rstrip("/" + os.sep)
    return sorted(os.path.join(directory, name)[len(root) + 1:].replace(os.sep, "/")
                  for directory, names in fs.walk(folder) for name in names)
