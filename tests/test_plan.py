"""`juicer plan`: a dry run on a sample estimates the full run (documents per step, disk,
time, memory), checked against the full run of the same recipe."""
import json
import os
import subprocess
import sys

import pytest

import juicer
from tests.conftest import REPO, SAMPLE, write_recipe

QUICKSTART = REPO / "recipes" / "quickstart.yaml"


def _bytes(folder):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(folder) for name in names)


def test_plan_estimates_what_the_full_run_then_does(tmp_path):
    out = tmp_path / "full"
    estimate = juicer.plan(QUICKSTART, sample=1000, overrides=[f"output.path={out}"])
    assert not out.exists()  # a dry run writes only into a scratch folder it removes
    assert estimate["population"] == 2500 and 900 < estimate["sampled"] < 1100
    assert estimate["steps"][0]["docs_in"] == 2500
    full = juicer.process(QUICKSTART, overrides=[f"output.path={out}"]).report
    assert abs(estimate["kept_docs"] - full["kept_docs"]) < 0.05 * full["kept_docs"]
    for planned, ran in zip(estimate["steps"], full["steps"]):
        assert planned["id"] == ran["id"]
        assert abs(planned["docs_in"] - ran["docs_in"]) <= 0.06 * ran["docs_in"] + 10
    assert abs(estimate["disk_bytes"]["data"] - _bytes(out / "data")) < 0.25 * _bytes(out / "data")
    assert estimate["worker_memory_bytes"] > 20 * 2**20 and estimate["wall_seconds"] > 0
    assert full["peak_worker_rss"] > 20 * 2**20


def test_plan_from_the_cli(tmp_path):
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "plan", str(QUICKSTART),
                          "--sample", "300", "--set", f"output.path={tmp_path / 'o'}"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "about 2,500 documents" in run.stdout and "per worker" in run.stdout
    assert "document_deduplicator" in run.stdout
    as_json = subprocess.run([sys.executable, "-m", "juicer.cli", "plan", str(QUICKSTART),
                              "--sample", "300", "--json"], capture_output=True, text=True)
    assert json.loads(as_json.stdout)["population"] == 2500


def test_a_gpu_step_is_planned_on_the_cpu_where_the_planning_machine_has_no_gpu(tmp_path):
    from juicer.models import devices

    if devices.cuda_unavailable() is None:
        pytest.skip("this machine has a usable GPU: the step is planned on it")
    pipeline = [{"op": "semantic_deduplicator", "id": "semantic",
                 "params": {"device": "cuda", "max_tokens": 32, "n_clusters": 2}}]
    recipe = write_recipe(tmp_path, pipeline, paths=[SAMPLE])
    estimate = juicer.plan(recipe, sample=120)
    assert estimate["population"] == 2500 and estimate["steps"][0]["docs_in"] == 2500
    # the embeddings' time is the step's (signatures and the k-means task), scaled up
    assert estimate["steps"][0]["cpu_seconds"] > 1
    [note] = estimate["notes"]
    assert "step 'semantic'" in note and devices.cuda_unavailable() in note
    assert not (tmp_path / "out").exists()


def test_the_python_api_stays_callable_after_a_plan(tmp_path):
    """juicer.plan must stay the function once the module behind it is imported (it was a
    submodule of the same name, which replaced the function on the package at first use)."""
    juicer.plan(QUICKSTART, sample=100, overrides=[f"output.path={tmp_path / 'o'}"])
    for name in juicer.__all__:
        assert callable(getattr(juicer, name)) or name == "__version__", name
