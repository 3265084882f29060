"""`juicer plan`: a dry run on a sample estimates the full run (documents per step, disk,
time, memory), checked against the full run of the same recipe."""
import json
import os
import subprocess
import sys

import juicer
from tests.conftest import REPO

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
