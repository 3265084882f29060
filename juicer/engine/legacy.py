"""The names `juicer.runner` had when the engine was one module, for code written against
it (`juicer.runner` is an alias of this module, juicer/_moved.py)."""
from juicer.engine.context import stage_resources, steps_resources
from juicer.engine.driver import (PARTITION_INPUT_BYTES, RunResult, idle_workers_note, process,
                                  reduce_partitions)
from juicer.engine.global_tasks import read_texts
from juicer.engine.global_tasks import write_decisions as _write_decisions
from juicer.engine.work import WORK_FORMAT, input_fingerprint, run_fingerprint

__all__ = ["PARTITION_INPUT_BYTES", "RunResult", "WORK_FORMAT", "_write_decisions",
           "idle_workers_note", "input_fingerprint", "process", "read_texts",
           "reduce_partitions", "run_fingerprint", "stage_resources", "steps_resources"]
