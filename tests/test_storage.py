"""Inputs and outputs on object storage: a local S3 (moto's server on loopback) holds the
input; runs read it by s3:// URL on worker processes and publish their output to an s3://
URL, byte-identical to a local run; a run killed mid-way resumes from its staging folder."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import juicer
from juicer.errors import JuicerError
from tests.conftest import write_recipe
from tests.test_resume import kill_when, start

PIPELINE = [
    {"op": "fix_unicode_mapper"},
    {"op": "text_length_filter", "params": {"min_len": 200}},
    {"op": "document_deduplicator"},
    {"op": "document_minhash_deduplicator", "params": {"num_permutations": 64}},
    {"op": "words_num_filter", "params": {"min_num": 30}},
]
BUCKET = "juicer-test"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server on a free loopback port; env points boto (and workers) at it."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    filesystem = s3fs.S3FileSystem()
    filesystem.mkdir(BUCKET)
    yield filesystem
    os.environ.clear()
    os.environ.update(saved)
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, sample_rows):
    """The sample as two plain JSONL files, a .jsonl.gz and a Parquet file, in a folder."""
    import gzip

    folder = tmp_path_factory.mktemp("raw")
    lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in sample_rows]
    (folder / "a.jsonl").write_text("".join(lines[:900]), encoding="utf-8")
    (folder / "b.jsonl").write_text("".join(lines[900:1500]), encoding="utf-8")
    with gzip.open(folder / "c.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("".join(lines[1500:2000]))
    pq.write_table(pa.Table.from_pylist(sample_rows[2000:]), folder / "d.parquet",
                   row_group_size=100)
    return folder


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory, inputs):
    directory = tmp_path_factory.mktemp("local")
    recipe = write_recipe(directory, PIPELINE, paths=[inputs], input_shard_size="300KB")
    result = juicer.process(recipe, workers=2)
    return outputs(Path(result.output)), result.report


def outputs(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for kind in ("data", "dropped", "quarantine")
            for p in sorted((directory / kind).glob("*"))}


def remote_outputs(s3, url: str, tmp_path: Path) -> dict[str, bytes]:
    local = tmp_path / "downloaded"
    s3.get(url.rstrip("/") + "/", str(local), recursive=True)
    return outputs(local)


def upload(s3, inputs: Path, prefix: str) -> str:
    for path in sorted(inputs.iterdir()):
        s3.put_file(str(path), f"{BUCKET}/{prefix}/{path.name}")
    return f"s3://{BUCKET}/{prefix}"


def test_s3_input_and_output_match_a_local_run(tmp_path, local_reference, s3, inputs):
    # local_reference runs first, so the process's forkserver starts before the S3
    # credentials are in the environment: workers must still get them (they once did not)
    source = upload(s3, inputs, "raw-1")
    url = f"s3://{BUCKET}/runs/one"
    recipe = write_recipe(tmp_path, PIPELINE, paths=[source], input_shard_size="300KB")
    result = juicer.process(recipe, workers=2, overrides=[f"output.path={url}",
                                                          f"output.staging={tmp_path / 'stage'}"])
    expected, expected_report = local_reference
    assert result.output == url and result.report["output"] == url
    assert result.report["executor"]["shards"] == expected_report["executor"]["shards"] > 3
    for key in ("input_docs", "kept_docs", "dropped_docs", "quarantined_docs"):
        assert result.report[key] == expected_report[key]
    assert remote_outputs(s3, url, tmp_path) == expected
    published = {p.rsplit("/", 1)[-1] for p in s3.find(url)}
    assert {"report.json", "report.html", "recipe.resolved.yaml"} <= published
    assert not any("_work" in p for p in s3.find(url))
    report = json.loads(s3.cat_file(f"{url}/report.json"))
    assert report["output"] == url and report["accounting_ok"]
    assert not (tmp_path / "stage").exists()  # staging removed once published

    # a finished run is not replaced without --overwrite; with it, it is
    with pytest.raises(JuicerError, match="already holds a finished run"):
        juicer.process(recipe, overrides=[f"output.path={url}"])
    juicer.process(recipe, workers=1, overwrite=True, overrides=[f"output.path={url}"])
    assert remote_outputs(s3, url, tmp_path / "again") == expected


def test_a_killed_s3_run_resumes_from_its_staging_folder(tmp_path, s3, inputs, local_reference):
    source = upload(s3, inputs, "raw-2")
    url = f"s3://{BUCKET}/runs/killed"
    staging = tmp_path / "stage"
    recipe = write_recipe(tmp_path, PIPELINE, paths=[source], input_shard_size="300KB",
                          output_path=url, output_staging=str(staging))
    kill_when(start(recipe, "--workers", "2"), str(staging / "_work" / "g*" / "stage0" / "*.done.json"),
              2)
    assert not s3.exists(f"{url}/report.json")
    resumed = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                              "--workers", "2"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed an interrupted run" in resumed.stdout
    report = json.loads(s3.cat_file(f"{url}/report.json"))
    assert report["resumed"]["reused_tasks"] >= 2
    assert remote_outputs(s3, url, tmp_path) == local_reference[0]


def test_a_missing_s3_object_is_named(tmp_path, s3):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[f"s3://{BUCKET}/nothing/here.jsonl"])
    with pytest.raises(JuicerError, match="s3://juicer-test/nothing/here.jsonl"):
        juicer.process(recipe)
