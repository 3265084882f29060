"""Kill a run with SIGKILL at different points, run it again: it resumes, reusing the
finished shards, and the output is byte-identical to an uninterrupted run."""
import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import juicer
from tests.conftest import write_recipe

PIPELINE = [
    {"op": "fix_unicode_mapper"},  # slow enough (pure Python) to be caught mid-run
    {"op": "text_length_filter", "params": {"min_len": 200}},
    {"op": "document_deduplicator"},
    {"op": "document_minhash_deduplicator", "params": {"num_permutations": 64}},
    {"op": "words_num_filter", "params": {"min_num": 30}},
    {"op": "random_selector", "params": {"select_ratio": 0.8}},
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, sample_rows) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "web.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for row in sample_rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory, corpus) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("reference")
    recipe = write_recipe(directory, PIPELINE, paths=[corpus], input_shard_size="200KB")
    return outputs(Path(juicer.process(recipe, workers=2).output))


def outputs(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for kind in ("data", "dropped", "quarantine") for p in sorted((directory / kind).glob("*"))}


def start(recipe: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "juicer.cli", "process", str(recipe), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def kill_when(process: subprocess.Popen, pattern: str, count: int) -> None:
    """SIGKILL the run (driver and workers) once `count` files match `pattern`."""
    deadline = time.monotonic() + 120
    while len(glob.glob(pattern)) < count:
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# stage 1 ends with MinHash's reduce, verify and cluster tasks; stage 2 reuses them
@pytest.mark.parametrize("stage, done", [(0, 4), (1, 2), (2, 1)])
def test_resume_after_sigkill_reuses_work_and_matches(tmp_path, corpus, reference, stage, done):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    kill_when(start(recipe, "--workers", "2"), str(out / "_work" / "g*" / f"stage{stage}" / "*.done.json"),
              done)
    assert not (out / "report.json").exists()
    resumed = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                              "--workers", "1"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed an interrupted run" in resumed.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["resumed"]["reused_tasks"] >= done and report["accounting_ok"]
    assert outputs(out) == reference
    assert not (out / "_work").exists()


def test_changed_recipe_is_refused_unless_forced(tmp_path, corpus):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    kill_when(start(recipe), str(out / "_work" / "g*" / "stage0" / "*.done.json"), 2)
    changed = ["--set", "pipeline.1.params.min_len=300"]
    refused = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                              *changed], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "interrupted run of a different recipe or input" in refused.stderr
    assert "--force" in refused.stderr and "--overwrite" in refused.stderr
    forced = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                             *changed, "--force"], capture_output=True, text=True)
    assert forced.returncode == 0, forced.stderr
    assert json.loads((out / "report.json").read_text())["accounting_ok"]


def test_a_run_left_by_another_intermediate_layout_is_not_resumed_even_forced(tmp_path,
                                                                              corpus):
    """Another Juicer version's intermediates may mean something else (WORK_FORMAT): resuming
    from them could apply no decisions at all, so only --overwrite goes on."""
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    kill_when(start(recipe), str(out / "_work" / "g*" / "stage0" / "*.done.json"), 2)
    manifest = out / "_work" / "run.json"
    record = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**record, "work_format": record["work_format"] - 1}))
    refused = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                              "--force"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "interrupted run of another Juicer version" in refused.stderr
    assert "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    again = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                            "--overwrite"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr


def test_finished_run_is_not_resumed(tmp_path, corpus):
    recipe = write_recipe(tmp_path, PIPELINE[1:2], paths=[corpus])
    juicer.process(recipe)
    with pytest.raises(juicer.JuicerError, match="already holds a finished run"):
        juicer.process(recipe)


def test_a_damaged_intermediate_is_named_and_redone(tmp_path, corpus, reference):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    kill_when(start(recipe, "--workers", "2"), str(out / "_work" / "g*" / "stage0" / "*.done.json"), 4)
    finished = sorted(glob.glob(str(out / "_work" / "g*" / "stage0" / "shard*.done.json")))[0]
    damaged = sorted(glob.glob(finished.replace(".done.json", "") + "/kept-*.arrow"))[0]
    with open(damaged, "r+b") as handle:  # flip one byte in the middle
        handle.seek(os.path.getsize(damaged) // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    failed = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe)],
                            capture_output=True, text=True)
    assert failed.returncode != 0
    assert f"intermediate file {damaged} is damaged: its checksum does not match" in \
        failed.stderr
    assert "will be redone" in failed.stderr and "Traceback" not in failed.stderr
    assert not os.path.exists(finished)  # its task will run again
    again = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert outputs(out) == reference


def test_a_killed_dask_run_resumes_on_ray_with_the_same_output(tmp_path, corpus, reference):
    # the output depends on the recipe and input only: any executor may finish the work
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    kill_when(start(recipe, "--workers", "2", "--executor", "dask"),
              str(out / "_work" / "g*" / "stage1" / "*.done.json"), 2)
    resumed = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                              "--workers", "2", "--executor", "ray"], capture_output=True,
                             text=True, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["resumed"]["reused_tasks"] >= 2 and report["executor"]["kind"] == "ray"
    assert outputs(out) == reference


@pytest.mark.parametrize("where", ["task", "driver"])
def test_a_full_disk_stops_with_a_hint_and_the_rerun_resumes(tmp_path, corpus, reference,
                                                              monkeypatch, where):
    """ENOSPC mid-run, in a task (one worker runs tasks in this process) or while the driver
    writes the outputs: a clear message, then the same command finishes the run."""
    import errno

    from juicer.io import integrity

    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    real = integrity.durable_replace
    calls = {"n": 0}

    def fill_up(temporary, path):
        calls["n"] += path.endswith(".done.json")  # tasks finished
        at_the_end = path.endswith("report.html")  # the driver, after every task
        if (where == "task" and calls["n"] == 4) or (where == "driver" and at_the_end):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return real(temporary, path)

    monkeypatch.setattr(integrity, "durable_replace", fill_up)
    with pytest.raises(juicer.JuicerError, match=r"No space left.*\n    hint: the disk is full.*"
                                                 r"run the same command again"):
        juicer.process(recipe, workers=1)
    monkeypatch.setattr(integrity, "durable_replace", real)
    result = juicer.process(recipe, workers=1)
    assert result.report["resumed"]["resumed"] and result.report["resumed"]["reused_tasks"] > 0
    assert outputs(Path(result.output)) == reference


def test_resuming_while_the_killed_drivers_workers_still_run_matches(tmp_path, corpus,
                                                                    reference):
    """SIGKILL the driver only: its pool workers notice within a second and exit, and a
    run resumed at once may start the same tasks meanwhile. One attempt per task commits;
    the other waits and takes its result, or redoes it (juicer/io/attempts.py)."""
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    driver = start(recipe, "--workers", "2")
    deadline = time.monotonic() + 120
    while len(glob.glob(str(out / "_work" / "g*" / "stage0" / "*.done.json"))) < 2:
        assert driver.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    driver.kill()  # not its process group: the workers live on
    driver.wait()
    resumed = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                              "--workers", "2"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert outputs(out) == reference
    try:
        os.killpg(driver.pid, signal.SIGKILL)  # whatever is left of the first run
    except ProcessLookupError:
        pass  # its workers have exited by themselves


def test_one_attempt_of_a_task_runs_and_the_other_takes_its_result(tmp_path):
    """Two processes run the same task at once: the function body runs once."""
    import multiprocessing

    work = tmp_path / "g0123456789ab"
    work.mkdir()
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.map(_slow_task, [str(work)] * 2)
    assert results[0] == results[1]
    assert (work / "calls.log").read_text() == "ran\n"


def test_a_task_of_a_replaced_run_writes_nothing(tmp_path):
    from juicer.io.attempts import once

    gone = tmp_path / "_work" / "g0123456789ab"
    with pytest.raises(juicer.JuicerError, match="was replaced"):
        once(_record_call)(_Task(str(gone)))
    assert not (tmp_path / "_work").exists()


def test_a_second_driver_on_the_same_output_is_refused(tmp_path, corpus):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    first = start(recipe, "--workers", "2")
    try:
        deadline = time.monotonic() + 120
        while not (out / "_work" / "run.json").exists():
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        with pytest.raises(juicer.JuicerError, match="another juicer run is writing to"):
            juicer.process(recipe, overwrite=True)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


class _Task:
    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.marker = os.path.join(work_dir, "stage0", "shard00000.done.json")


def _record_call(task: _Task) -> dict:
    with open(os.path.join(task.work_dir, "calls.log"), "a") as log:
        log.write("ran\n")
    time.sleep(1)  # long enough for the other attempt to arrive and wait
    result = {"pid": os.getpid()}
    juicer.io.intermediates.write_marker(result, task.marker)
    return result


def _slow_task(work_dir: str) -> dict:
    from juicer.io.attempts import once

    return once(_record_call)(_Task(work_dir))


@pytest.mark.parametrize("damage", [b"", b"{garbage", b'{"shard": 0}', None])
def test_a_damaged_done_marker_or_manifest_means_its_task_is_redone(tmp_path, corpus, reference,
                                                                    damage):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    out = tmp_path / "out"
    kill_when(start(recipe, "--workers", "2"), str(out / "_work" / "g*" / "stage0" / "*.done.json"), 4)
    if damage is None:  # the run's manifest instead: rebuilt from its generation's copy
        (out / "_work" / "run.json").write_bytes(b"\0\0")
    else:  # empty, not JSON, or JSON that fails its checksum (a marker cut short)
        marker = sorted(glob.glob(str(out / "_work" / "g*" / "stage0" / "shard*.done.json")))[0]
        Path(marker).write_bytes(damage)
    again = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert outputs(out) == reference


def _wait_for(pattern: str, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while len(glob.glob(pattern)) < count:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)


def test_workers_exit_when_their_driver_is_killed(tmp_path, corpus):
    import psutil

    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    run = start(recipe, "--workers", "2")
    _wait_for(str(tmp_path / "out" / "_work" / "g*" / "stage0" / "*.done.json"), 1, run)
    children = psutil.Process(run.pid).children(recursive=True)
    assert children  # the forkserver and its workers
    os.kill(run.pid, signal.SIGKILL)  # the driver alone: nothing can tell the pool
    run.wait()
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, [p.cmdline() for p in alive]


def test_sigterm_stops_like_ctrl_c_and_the_rerun_resumes(tmp_path, corpus, reference):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[corpus], input_shard_size="200KB")
    run = start(recipe, "--workers", "2")
    _wait_for(str(tmp_path / "out" / "_work" / "g*" / "stage0" / "*.done.json"), 2, run)
    os.kill(run.pid, signal.SIGTERM)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 143, stderr
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    again = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe)],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert outputs(tmp_path / "out") == reference
