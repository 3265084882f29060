"""Ray: shards as Ray tasks on a cluster (`address`) or on a local Ray started here.

A task whose worker dies (killed, out of memory, node lost) is retried by Ray; the runner's
tasks are idempotent (each clears what an earlier attempt left and commits with an atomic
done marker), so a retry gives the same output. An error raised inside a task is not
retried: it comes back with the task's label (shard, partition) as TaskFailed."""
from __future__ import annotations

import os
from typing import Any, Iterator, Optional, Sequence

from juicer.errors import JuicerError
from juicer.engine.executors.base import TaskFailed
from juicer.engine.executors.local import _call, unwrap

SYSTEM_RETRIES = 3  # attempts after a worker dies mid-task


class RayExecutor:
    def __init__(self, workers: Optional[int] = None, address: Optional[str] = None):
        try:
            import ray
        except ImportError:
            raise JuicerError("executor 'ray' needs Ray", hint="pip install "
                              "'juicer-llm[ray]'") from None
        self._ray = ray
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no phoning home
        self._owns_runtime = not ray.is_initialized()
        if self._owns_runtime:
            try:
                if address:
                    ray.init(address=address, log_to_driver=False, logging_level="ERROR")
                else:
                    ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                             log_to_driver=False, logging_level="ERROR")
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise JuicerError(f"cannot reach the Ray cluster at '{address}': {exc}",
                                  hint="start it with `ray start --head`, and pass its "
                                  "address (host:6379) or 'auto' on a node of it") from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = min(workers, cpus) if workers else cpus
        self._remote = ray.remote(num_cpus=1, max_retries=SYSTEM_RETRIES)(_call)

    def map(self, fn, tasks: Sequence[Any], labels: Sequence[str],
            resources: Optional[dict] = None) -> Iterator[tuple[int, Any]]:
        ray = self._ray
        remote = self._remote
        if resources:
            self._check_feasible(resources)
            remote = remote.options(num_cpus=resources["cpus"], num_gpus=resources["gpus"],
                                    **({"memory": resources["memory"]} if resources["memory"] else {}))
        # at most `workers` tasks in flight: --workers limits a run's share of the cluster
        queue = list(range(len(tasks)))[::-1]
        running: dict = {}
        try:
            while queue or running:
                while queue and len(running) < self.workers:
                    index = queue.pop()
                    running[remote.remote(fn, tasks[index])] = index
                done, _ = ray.wait(list(running), num_returns=1)
                for ref in done:
                    index = running.pop(ref)
                    try:
                        ok, value = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        raise TaskFailed(labels[index], type(exc).__name__,
                                         str(exc).strip().splitlines()[0]) from None
                    yield index, unwrap(ok, value, labels[index])
        finally:
            for ref in running:
                ray.cancel(ref, force=True)

    def _check_feasible(self, resources: dict) -> None:
        """Ray would wait forever for a task no node can hold: say so instead."""
        available = self._ray.cluster_resources()
        for key, name in (("cpus", "CPU"), ("gpus", "GPU"), ("memory", "memory")):
            wanted = resources.get(key) or 0
            if wanted > available.get(name, 0):
                have = available.get(name, 0)
                raise JuicerError(
                    f"step(s) {resources['steps']} ask for {wanted:g} {name} per task; the Ray "
                    f"cluster has {have:g} in all", hint="lower the step's resources: in "
                    "the recipe, or add nodes that have them")

    def close(self) -> None:
        if self._owns_runtime and self._ray.is_initialized():
            self._ray.shutdown()
