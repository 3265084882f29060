"""Data-Juicer's recipe layout (dataset_path, export_path, process: [...]) translated into
Juicer's, with line numbers still pointing at the file and a note for every setting that
has no effect here."""
from __future__ import annotations

import os
import re
from importlib import resources
from typing import Any

from juicer.recipe.yamlio import line_of


def _data_juicer_settings() -> set[str]:
    text = resources.files("juicer").joinpath("assets/data_juicer_settings.txt").read_text()
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


# Per-operator settings of Data-Juicer that steer its runtime, not the operator's result.
_DJ_RUNTIME_KWARGS = {
    "batch_size", "num_proc", "accelerator", "skip_op_error", "cpu_required", "mem_required",
    "gpu_required", "num_cpus", "num_gpus", "memory", "runtime_env", "ray_execution_mode",
    "stats_export_path", "work_dir", "turbo", "index_key", "auto_op_parallelism",
    "batch_mode", "adaptive_batching", "image_key", "audio_key", "video_key",
    "image_bytes_key", "system_key", "instruction_key", "prompt_key", "query_key",
    "response_key", "history_key",
}


# operators whose default tokenization differs from Data-Juicer's `space`
_DJ_SPACE_TOKENIZED = {"document_minhash_deduplicator", "document_simhash_deduplicator"}

# Data-Juicer parameters of one operator that have no meaning in Juicer, and why
_DJ_IGNORED = {
    "text_chunk_mapper": {"trust_remote_code": "Juicer's chunk lengths are characters, and it "
                          "never runs code from a model repository"},
    "document_minhash_deduplicator": {"tokenizer_model": "Data-Juicer reads it only with "
                                      "tokenization: sentencepiece, which Juicer does not "
                                      "offer"},
}


_EXPONENT_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _yaml11_number(value: Any) -> Any:
    """'1e5' as the number Data-Juicer reads it (YAML 1.1 loads it as a string; Data-Juicer's
    typed arguments parse it)."""
    if isinstance(value, str) and _EXPONENT_NUMBER.match(value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def from_data_juicer(data: dict, lines: dict, notes: list[str]) -> tuple[dict, dict]:
    """Translate Data-Juicer's layout into Juicer's; keep line numbers pointing at the file."""
    known = _data_juicer_settings()
    native: dict[str, Any] = {"input": {}, "output": {}, "executor": {}, "pipeline": []}
    new_lines: dict[tuple, int] = {}

    def carry(native_path: tuple, dj_path: tuple) -> None:
        line = line_of(lines, dj_path)
        if line:
            new_lines[native_path] = line

    for key, value in data.items():
        if key == "dataset_path":
            native["input"]["paths"] = value
            carry(("input",), (key,))
        elif key == "text_keys":
            keys = value if isinstance(value, list) and value else [value]
            native["input"]["text_field"] = keys[0]
            if len(keys) > 1:
                notes.append(f"text_keys lists {keys}; Juicer processes the first, '{keys[0]}'")
        elif key == "export_path":
            stem, suffix = os.path.splitext(str(value))
            native["output"]["path"] = stem
            native["output"]["format"] = "parquet" if suffix == ".parquet" else "jsonl"
            carry(("output",), (key,))
        elif key == "np":
            cpus = os.cpu_count() or 1
            local = not str(data.get("executor_type", "default")).startswith("ray")
            if local and isinstance(value, int) and value > cpus:
                notes.append(f"np: {value} is more than this machine's {cpus} CPUs; Juicer "
                             f"runs {cpus} workers (more would only compete for them, and "
                             "the output is the same for any number)")
                value = cpus
            native["executor"]["workers"] = value
        elif key == "executor_type":
            native["executor"]["kind"] = "ray" if str(value).startswith("ray") else "local"
        elif key == "ray_address":
            if str(data.get("executor_type", "default")).startswith("ray"):
                native["executor"]["address"] = value
        elif key == "keep_stats_in_res_ds":
            native["output"]["keep_stats"] = bool(value)
        elif key == "process":
            if not isinstance(value, list):
                native["pipeline"] = value  # validation names the problem
                carry(("pipeline",), (key,))
                continue
            for index, entry in enumerate(value):
                carry(("pipeline", index), (key, index))
                if isinstance(entry, str):
                    entry = {entry: None}
                if not isinstance(entry, dict) or len(entry) != 1:
                    native["pipeline"].append(entry)
                    continue
                (op_name, params), = entry.items()
                if not isinstance(params, (dict, type(None))):
                    native["pipeline"].append({"op": op_name, "params": params})
                    continue
                params = {name: _yaml11_number(v) for name, v in (params or {}).items()}
                for kwarg in sorted(set(params) & _DJ_RUNTIME_KWARGS):
                    params.pop(kwarg)
                    notes.append(f"process[{index}] ({op_name}): '{kwarg}' steers Data-Juicer's "
                                 "runtime and is ignored")
                for kwarg in sorted(set(params) & set(_DJ_IGNORED.get(op_name, {}))):
                    params.pop(kwarg)
                    notes.append(f"process[{index}] ({op_name}): '{kwarg}' is ignored: "
                                 f"{_DJ_IGNORED[op_name][kwarg]}")
                for param in params:
                    carry(("pipeline", index, "params", param), (key, index, op_name, param))
                if op_name in _DJ_SPACE_TOKENIZED:  # Data-Juicer's default splits on " "
                    params.setdefault("tokenization", "space")
                native["pipeline"].append({"op": op_name, "params": params})
        elif key in known:
            notes.append(f"Data-Juicer setting '{key}' has no effect in Juicer and is ignored")
        else:
            native.setdefault("_unknown", []).append(key)
            carry(("_unknown",), (key,))
    for key in native.pop("_unknown", []):
        native[key] = data[key]
        carry((key,), (key,))
    if not native["executor"]:
        native.pop("executor")
    if not native["output"]:
        native.pop("output")
    return native, new_lines
