"""Where the engine used to live, kept so that code importing it keeps working: the engine
is juicer/engine/ (docs/architecture.md draws it); `process` is juicer.engine.driver's."""
from juicer.engine.context import stage_resources, steps_resources
from juicer.engine.driver import (PARTITION_INPUT_BYTES, RunResult, idle_workers_note, process,
                                  reduce_partitions)
from juicer.engine.global_tasks import read_texts
from juicer.engine.global_tasks import write_decisions as _write_decisions
from juicer.engine.work import WORK_FORMAT, input_fingerprint, run_fingerprint

__all__ = ["PARTITION_INPUT_BYTES", "RunResult", "WORK_FORMAT", "_write_decisions",
           "idle_workers_note", "input_fingerprint", "process", "read_texts",
           "reduce_partitions", "run_fingerprint", "stage_resources", "steps_resources"]
