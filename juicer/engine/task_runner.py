"""Mapping tasks over an executor, reusing every task a previous attempt finished (its done
marker, written atomically by the task as its last act)."""
from __future__ import annotations

import contextlib
from typing import Callable, Optional

from juicer.io import fs
from juicer.io.progress import Watcher
from juicer.io.intermediates import read_marker

# (stage label, tasks done, tasks in all)
Progress = Callable[[str, int, int], None]


class TaskRunner:
    """Maps tasks over the executor, reusing the result of every task that finished before
    (its done marker, written atomically by the task as its last act)."""

    def __init__(self, executor, progress: Optional[Progress]):
        self.executor, self.progress = executor, progress
        self.reused = self.ran = 0

    def run(self, fn, tasks, labels, label, resources: Optional[dict] = None,
            watch: Optional[tuple[str, int]] = None) -> list:
        """`watch`: (work folder, stage) of shard tasks whose reading the progress line
        follows inside each shard."""
        results: list = [None] * len(tasks)
        markers = [getattr(task, "marker", None) for task in tasks]
        finished = fs.existing([marker for marker in markers if marker])
        reused = [index for index, marker in enumerate(markers) if marker in finished]
        for index, result in zip(reused, fs.map_paths(read_marker, [markers[i] for i in reused])):
            if result is None:  # a damaged marker: its task is done again
                fs.remove_file(markers[index])
                finished.discard(markers[index])
                continue
            results[index] = result
        reused = [index for index in reused if results[index] is not None]
        self.reused += len(reused)
        todo = [index for index, marker in enumerate(markers) if marker not in finished]
        done = len(tasks) - len(todo)
        if self.progress:
            self.progress(label, done, len(tasks))
        watcher = None
        if watch and todo and hasattr(self.progress, "detail"):
            sizes = {tasks[i].shard.index: tasks[i].shard.bytes_to_read for i in todo}
            watcher = Watcher(watch[0], watch[1], sizes, self.progress.detail)
        with watcher or contextlib.nullcontext():
            for position, result in self.executor.map(fn, [tasks[i] for i in todo],
                                                      [labels[i] for i in todo], resources):
                results[todo[position]] = result
                done += 1
                self.ran += 1
                if watcher is not None:
                    watcher.done(tasks[todo[position]].shard.index)
                if self.progress:
                    self.progress(label, done, len(tasks))
        return results
