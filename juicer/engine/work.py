"""The work folder of a run (`_work/` under output.path): the fingerprint a resume must match,
the layout version, and making the output folder ready (fresh, resumed or refused)."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Optional

from juicer.errors import JuicerError, RefusedError
from juicer.io import fs, ownership
from juicer.io.attempts import GENERATION_FILE, new_generation
from juicer.io.readers import count_records
from juicer.io.intermediates import read_marker, write_marker
from juicer.io.writers import read_json
from juicer.models.llm import LLMSettings
from juicer.recipe import Recipe


OUTPUT_KINDS = ("data", "dropped", "quarantine")


def input_fingerprint(files: list[str]) -> str:
    """Changes when an input file is added, removed, resized or rewritten."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{fs.version(path)}\n".encode())
    return digest.hexdigest()[:16]


def sampling_of(files: list[str], requested: int, text_unit: str) -> dict:
    population = sum(count_records(path, text_unit) for path in files)
    return {"requested": requested, "population": population,
            "rate": min(1.0, requested / max(population, 1))}


# the layout of `_work/`, recorded in its run.json: raised when a task's files or results
# change meaning, so that no run resumes from another layout (3: decisions cut by shard;
# 4: done markers and manifests carry a checksum; 5: statistic sketches at 0.2%, whose
# bucket keys do not merge with 1% ones; 6: a global step's phase tasks all give rows,
# table or decisions, note and seconds)
WORK_FORMAT = 6


def run_fingerprint(recipe: Recipe, input_fingerprint: str, mode: Optional[dict] = None) -> str:
    """Everything the output depends on: Juicer's version, input, output and pipeline
    settings, the input files, analyze mode. Not the executor: results do not depend on it."""
    resolved = recipe.resolved()
    resolved.pop("executor")
    for step in resolved["pipeline"]:  # where tasks run, not what they produce
        step.pop("resources", None)
        llm = step.get("params", {}).get("llm")
        if isinstance(llm, dict):  # a raised limit or a new server resumes the same run
            step["params"] = {**step["params"],
                              "llm": LLMSettings.model_validate(llm).cache_identity()}
    resolved["input_fingerprint"] = input_fingerprint
    if mode and any(mode.values()):
        resolved["mode"] = mode
    return hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()[:16]


def prepare_output(out: str, work_root: str, fingerprint: str, overwrite: bool,
                    force: bool) -> tuple[bool, str]:
    """Make `out` ready. Returns whether it holds an interrupted run to resume, and the
    folder of this run's generation under `_work/` (a resumed run keeps its generation)."""
    manifest = fs.join(work_root, "run.json")
    existing = [name for name in (*OUTPUT_KINDS, "_work", "report.json")
                if fs.exists(fs.join(out, name))]
    if overwrite:
        ownership.remove_previous_run(out)
    elif fs.exists(fs.join(out, "report.json")):
        raise RefusedError(f"output directory '{out}' already holds a finished run",
                          hint="pass --overwrite to replace it, or choose another "
                          "output.path")
    elif fs.exists(manifest):
        previous = _manifest(manifest, out)
        if previous.get("work_format") != WORK_FORMAT:  # not even --force: wrong output
            raise RefusedError(
                f"output directory '{out}' holds an interrupted run of another Juicer version, "
                "whose intermediate files this one cannot resume from", hint="pass "
                "--overwrite to start over")
        if previous["fingerprint"] != fingerprint and not force:
            raise RefusedError(
                f"output directory '{out}' holds an interrupted run of a different recipe or "
                "input (settings, Juicer version or input files changed)", hint="pass "
                "--overwrite to start over, or --force to resume it with this recipe anyway")
        generation = previous.get("generation") or new_generation()
        _start_generation(manifest, fingerprint, generation)
        return True, fs.join(work_root, generation)
    elif existing:
        raise JuicerError(f"output directory '{out}' already holds files of another run "
                          f"({', '.join(existing)})", hint="pass --overwrite to replace "
                          "them, or choose another output.path")
    generation = new_generation()
    ownership.mark(out)
    _start_generation(manifest, fingerprint, generation)
    return False, fs.join(work_root, generation)


def _manifest(manifest: str, out: str) -> dict:
    """The interrupted run's manifest; a damaged one is rebuilt from its generation's copy
    (each generation folder holds the same record)."""
    record = read_marker(manifest)
    if record is not None:
        return record
    try:  # a run of an older layout wrote it without a seal: refused by its work_format
        unsealed = read_json(manifest)
        if isinstance(unsealed, dict) and unsealed.get("work_format") != WORK_FORMAT:
            return unsealed
    except (ValueError, UnicodeDecodeError):
        pass
    work_root = os.path.dirname(manifest) if not fs.is_url(manifest) else manifest.rsplit("/", 1)[0]
    copies = [read_marker(fs.join(fs.join(work_root, name), GENERATION_FILE))
              for name in fs.names(work_root) if name.startswith("g")]
    copies = [copy for copy in copies if copy and copy.get("generation")]
    if len(copies) == 1:
        write_marker(copies[0], manifest)
        return copies[0]
    raise RefusedError(f"the manifest of the interrupted run in '{out}' ({manifest}) is damaged "
                       "and cannot be rebuilt", hint="pass --overwrite to start over")


def _start_generation(manifest: str, fingerprint: str, generation: str) -> None:
    """Record the run's generation; its folder gets a file, so that it exists on an object
    store too (where a folder is only a prefix of the files in it)."""
    record = {"fingerprint": fingerprint, "generation": generation, "work_format": WORK_FORMAT}
    write_marker(record, fs.join(fs.join(os.path.dirname(manifest), generation), GENERATION_FILE))
    write_marker(record, manifest)
