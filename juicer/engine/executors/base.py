"""The executor contract: map a picklable module-level function over picklable tasks."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional, Protocol, Sequence

from juicer.errors import JuicerError, storage_hint


class TaskFailed(JuicerError):
    """A task raised; the message names the task (shard, partition) and the error."""

    def __init__(self, label: str, error_type: str, message: str, details: str = ""):
        self.label, self.error_type, self.details = label, error_type, details
        super().__init__(f"{label} failed: {error_type}: {message}", hint=storage_hint(message))


class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], labels: Sequence[str],
            resources: Optional[dict] = None) -> Iterator[tuple[int, Any]]:
        """Run fn(task) for every task; yield (task index, result) as tasks finish.
        `resources` (cpus, gpus, memory in bytes, and the ids of the `steps` asking) is what
        each task needs; None means one CPU."""

    def close(self) -> None: ...
