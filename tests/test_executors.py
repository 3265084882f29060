"""The same recipe on the local executor, Dask and Ray gives byte-identical output, on
clusters started here (LocalCluster, ray.init), on clusters started from their CLIs (a Ray
head plus a second raylet, a Dask scheduler with two worker processes), and when a worker is
killed in the middle of a run."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

import juicer
from juicer.errors import JuicerError
from tests.conftest import DATA, write_recipe

BIN = Path(sys.executable).parent
# `ray start` enables token authentication: the joining raylet and the driver present the
# token the head wrote to ~/.ray/auth_token
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
       "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
PIPELINE = [
    {"op": "fix_unicode_mapper"},
    {"op": "whitespace_normalization_mapper"},
    {"op": "text_length_filter", "params": {"min_len": 200}},
    {"op": "words_num_filter", "params": {"min_num": 30}},
    {"op": "special_characters_filter", "params": {"max_ratio": 0.3}},
    {"op": "document_deduplicator"},
    {"op": "document_minhash_deduplicator", "params": {"jaccard_threshold": 0.7}},
]
COUNTS = ("input_docs", "kept_docs", "dropped_docs", "quarantined_docs", "split_docs", "accounting_ok")


@pytest.fixture(scope="module")
def corpus(split_jsonl) -> list[Path]:
    return split_jsonl


def outputs(directory) -> dict[str, bytes]:
    directory = Path(directory)
    return {str(p.relative_to(directory)): p.read_bytes()
            for kind in ("data", "dropped", "quarantine") for p in sorted((directory / kind).glob("*"))}


def comparable(report: dict) -> dict:
    """What must not depend on the executor: counts, per-step results, samples."""
    steps = [{k: v for k, v in step.items() if k != "seconds"} for step in report["steps"]]
    return {**{k: report.get(k) for k in COUNTS}, "steps": steps,
            "kept_samples": report["kept_samples"], "quarantine": report["quarantine"]}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, corpus):
    directory = tmp_path_factory.mktemp("local")
    recipe = write_recipe(directory, PIPELINE, paths=corpus, input_shard_size="1MB")
    return juicer.process(recipe, workers=1)


@pytest.mark.parametrize("kind", ["dask", "ray"])
@pytest.mark.parametrize("workers", [1, 2])
def test_dask_and_ray_give_the_local_output_byte_for_byte(tmp_path, corpus, local_run, kind, workers):
    recipe = write_recipe(tmp_path, PIPELINE, paths=corpus, input_shard_size="1MB",
                          executor_kind=kind)
    result = juicer.process(recipe, workers=workers)
    assert result.report["executor"]["kind"] == kind
    assert result.report["executor"]["workers"] == workers
    assert outputs(result.output) == outputs(local_run.output)
    assert comparable(result.report) == comparable(local_run.report)
    assert local_run.report["executor"]["shards"] >= 9  # several shards, several partitions


@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_a_failing_task_names_its_shard_and_the_error(tmp_path, corpus, kind):
    # input.strict turns the first unreadable record into an error inside the shard task
    recipe = write_recipe(tmp_path, PIPELINE[:1], paths=[corpus[0], DATA / "bad_records.jsonl"],
                          input_strict=True, executor_kind=kind)
    with pytest.raises(JuicerError) as failure:
        juicer.process(recipe, workers=2)
    message = str(failure.value)
    assert "shard" in message and "bad_records.jsonl, line" in message
    assert "Traceback" not in message


def test_an_unreachable_cluster_is_a_clear_error(tmp_path, corpus):
    port = _free_port()
    recipe = write_recipe(tmp_path, PIPELINE[:1], paths=corpus, executor_kind="dask",
                          executor_address=f"tcp://127.0.0.1:{port}")
    with pytest.raises(JuicerError, match="cannot reach the Dask scheduler"):
        juicer.process(recipe)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def dask_cluster():
    """`dask scheduler` and `dask worker --nworkers 2`, started from the CLI."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], env=ENV,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = subprocess.Popen([BIN / "dask", "worker", address, "--nworkers", "2", "--nthreads",
                                "1", "--no-dashboard"], env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, workers
    finally:
        for process in (workers, scheduler):
            process.send_signal(signal.SIGTERM)
        for process in (workers, scheduler):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def ray_cluster():
    """`ray start --head` and a second raylet joining it (`ray start --address`)."""
    port = _free_port()
    address = f"127.0.0.1:{port}"
    ray = str(BIN / "ray")
    common = ["--num-cpus", "1", "--disable-usage-stats"]
    try:
        subprocess.run([ray, "start", "--head", "--node-ip-address", "127.0.0.1", "--port",
                        str(port), "--include-dashboard", "false", *common], env=ENV,
                       check=True, capture_output=True, timeout=180)
        subprocess.run([ray, "start", "--address", address, "--node-ip-address", "127.0.0.1",
                        *common], env=ENV, check=True, capture_output=True, timeout=180)
        yield address
    finally:
        subprocess.run([ray, "stop", "--force"], env=ENV, capture_output=True, timeout=180)


def _juicer(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "juicer.cli", *args], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _in_background(work):
    """Run `work` in a thread; the returned function joins it and returns its result or
    raises its exception in the test."""
    outcome = {}

    def target():
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test
            outcome["error"] = exc
    thread = threading.Thread(target=target)
    thread.start()

    def result():
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]
    return result


def _kill_one_busy_worker(out: Path, find_workers, total_shards: int) -> int:
    """Once the run has finished some shard tasks but not all, SIGKILL a worker process."""
    markers = lambda: list((out / "_work").glob("g*/stage0/*.done.json"))  # noqa: E731
    _wait_for(lambda: len(markers()) >= 1, 300, "the first finished shard")
    assert len(markers()) < total_shards, "the run finished before a worker could be killed"
    victim = _wait_for(find_workers, 60, "a worker process")[0]
    victim.send_signal(signal.SIGKILL)
    return victim.pid


def test_cli_run_on_a_dask_scheduler_with_two_workers_survives_a_killed_worker(
        tmp_path, corpus, local_run, dask_cluster):
    address, worker_cli = dask_cluster
    recipe = write_recipe(tmp_path, PIPELINE, paths=corpus, input_shard_size="1MB")
    out = tmp_path / "out"
    run = _juicer("process", str(recipe), "--executor", "dask", "--address", address,
                  "--keep-work")
    shards = local_run.report["executor"]["shards"]

    def dask_workers():  # the worker processes the nannies started
        return [p for p in psutil.Process(worker_cli.pid).children(recursive=True)
                if "spawn_main" in " ".join(p.cmdline())][:1]
    killed = _in_background(lambda: _kill_one_busy_worker(out, dask_workers, shards))
    stdout, stderr = run.communicate(timeout=600)
    assert not psutil.pid_exists(killed()) or psutil.Process(killed()).status() == "zombie"
    assert run.returncode == 0, stderr
    assert outputs(out) == outputs(local_run.output)
    report = json.loads((out / "report.json").read_text())
    assert comparable(report) == comparable(local_run.report)
    assert report["executor"]["kind"] == "dask" and report["executor"]["workers"] == 2


def test_cli_run_on_a_two_node_ray_cluster_survives_a_killed_worker(
        tmp_path, corpus, local_run, ray_cluster):
    recipe = write_recipe(tmp_path, PIPELINE, paths=corpus, input_shard_size="1MB")
    out = tmp_path / "out"
    run = _juicer("process", str(recipe), "--executor", "ray", "--address", ray_cluster,
                  "--keep-work")
    shards = local_run.report["executor"]["shards"]

    def ray_workers():  # a Ray worker running one of our tasks is titled ray::_call
        return [p for p in psutil.process_iter(["cmdline"])
                if (p.info["cmdline"] or [""])[0].startswith("ray::_call")][:1]
    killed = _in_background(lambda: _kill_one_busy_worker(out, ray_workers, shards))
    stdout, stderr = run.communicate(timeout=600)
    assert killed()
    assert run.returncode == 0, stderr
    assert outputs(out) == outputs(local_run.output)
    report = json.loads((out / "report.json").read_text())
    assert comparable(report) == comparable(local_run.report)
    assert report["executor"] == {"kind": "ray", "workers": 2, "shards": shards,
                                  "partitions": shards}


def test_step_resources_reach_ray_and_do_not_change_the_output(tmp_path, corpus, local_run):
    pipeline = [{**PIPELINE[0], "resources": {"cpus": 2, "memory": "200MB"}}, *PIPELINE[1:]]
    recipe = write_recipe(tmp_path, pipeline, paths=corpus, input_shard_size="1MB",
                          executor_kind="ray")
    result = juicer.process(recipe, workers=2)
    assert outputs(result.output) == outputs(local_run.output)
    resolved = (Path(result.output) / "recipe.resolved.yaml").read_text()
    assert "resources:\n    cpus: 2.0\n    gpus: 0\n    memory: 200000000" in resolved


@pytest.mark.parametrize("kind, message", [
    ("ray", "ask for 1 GPU per task; the Ray cluster has 0 in all"),
    ("dask", "ask for 1 GPU per task; no Dask worker declares that much"),
])
def test_resources_no_worker_has_are_an_error_not_a_hang(tmp_path, corpus, kind, message):
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter", "resources": {"gpus": 1}}],
                          paths=corpus, executor_kind=kind)
    with pytest.raises(JuicerError, match=message):
        juicer.process(recipe, workers=1)


def test_bad_resources_are_a_located_recipe_error(tmp_path, corpus):
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter", "resources": {"gpu": 1}}],
                          paths=corpus)
    with pytest.raises(juicer.RecipeError, match=r"resources.*gpu"):
        juicer.load_recipe(recipe)
