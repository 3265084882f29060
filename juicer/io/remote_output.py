"""Runs whose `output.path` is a URL (s3://bucket/run/, gs://...): the run is built in a
staging folder on local or shared storage, exactly as a local run, and published to the URL
when it finishes. The staging folder holds the run's intermediates, so a run killed before
it finished resumes from it when started again; a finished run's staging folder is removed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
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
        raise JuicerError(f"output '{url}' already holds a finished run\n    hint: pass "
                          "--overwrite to replace it, or choose another output.path")


def publish(staging: str, url: str, recipe_yaml: str) -> None:
    """Upload the finished run (not its _work/) to `url`, replacing what was there;
    report.json goes last, so a reader that sees it sees a whole run."""
    from juicer import report_html
    from juicer.io.writers import write_json, write_text

    report_path = os.path.join(staging, PUBLISHED_LAST)
    with open(report_path, encoding="utf-8") as handle:
        report = json.load(handle)
    report["output"] = url.rstrip("/")
    write_json(report, report_path)
    write_text(recipe_yaml, os.path.join(staging, "recipe.resolved.yaml"))
    report_html.render_path(staging, report)
    remote = fs.filesystem(url)
    if remote.exists(url):
        remote.rm(url, recursive=True)
    files = sorted(os.path.relpath(os.path.join(root, name), staging)
                   for root, dirs, names in os.walk(staging)
                   if not os.path.relpath(root, staging).startswith("_work")
                   for name in names)
    files.sort(key=lambda name: name == PUBLISHED_LAST)
    for name in files:
        remote.put_file(os.path.join(staging, name), fs.join(url, name.replace(os.sep, "/")))
    shutil.rmtree(staging, ignore_errors=True)
