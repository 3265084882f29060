"""Inputs and outputs on object storage: a local S3 (moto's server on loopback) holds the
input; runs read it by s3:// URL on worker processes and publish their output to an s3://
URL, byte-identical to a local run; a run killed mid-way resumes from its staging folder,
local or itself on S3."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

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
    # the run was built naming its final place: the report never names the staging folder
    for name in ("report.json", "report.html"):
        assert str(tmp_path / "stage") not in s3.cat_file(f"{url}/{name}").decode()
    assert yaml.safe_load(s3.cat_file(f"{url}/recipe.resolved.yaml"))["output"]["path"] == url
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


def test_a_run_staged_on_s3_matches_and_writes_nothing_local(tmp_path, s3, inputs,
                                                             local_reference, monkeypatch):
    """output.staging a URL: intermediates, parts and reports are built on the store (no
    shared filesystem needed), then published by copies within it; nothing is left."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("JUICER_SCRATCH", str(scratch))  # worker processes inherit it
    source = upload(s3, inputs, "raw-3")
    url, staging = f"s3://{BUCKET}/runs/staged", f"s3://{BUCKET}/staging/staged"
    recipe = write_recipe(tmp_path, PIPELINE, paths=[source], input_shard_size="1MB",
                          output_path=url, output_staging=staging)
    result = juicer.process(recipe, workers=2)
    assert result.report["accounting_ok"] and result.report["output"] == url
    assert remote_outputs(s3, url, tmp_path) == local_reference[0]
    assert not s3.exists(staging) and not any("_work" in p for p in s3.find(url))
    leftovers = [p for p in scratch.rglob("*") if p.is_file()]
    assert leftovers == [scratch / "juicer-locks" / p.parent.name / p.name
                         for p in leftovers if p.name.endswith(".lock")]  # the output's lock
    assert len(leftovers) == 1


def test_a_killed_run_staged_on_s3_resumes_on_dask(tmp_path, s3, inputs, local_reference):
    """Killed mid-run with its intermediates on S3: the rerun (Dask workers) reuses the
    finished tasks it finds there and publishes the same output."""
    source = upload(s3, inputs, "raw-4")
    url, staging = f"s3://{BUCKET}/runs/staged-killed", f"s3://{BUCKET}/staging/killed"
    recipe = write_recipe(tmp_path, PIPELINE, paths=[source], input_shard_size="600KB",
                          output_path=url, output_staging=staging)
    run = start(recipe, "--workers", "2")
    deadline = time.monotonic() + 120
    while len(s3.glob(f"{staging}/_work/g*/stage0/*.done.json")) < 2:
        assert run.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        s3.invalidate_cache()
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert not s3.exists(f"{url}/report.json")
    resumed = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                              "--workers", "2", "--executor", "dask"],
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed an interrupted run" in resumed.stdout
    report = json.loads(s3.cat_file(f"{url}/report.json"))
    assert report["resumed"]["reused_tasks"] >= 2 and report["executor"]["kind"] == "dask"
    assert remote_outputs(s3, url, tmp_path) == local_reference[0]
    s3.invalidate_cache()
    assert not s3.exists(staging)


def test_a_damaged_intermediate_on_s3_is_named_and_its_task_redone(s3):
    from juicer.errors import JuicerError as Damaged
    from juicer.io.intermediates import ArrowSink, read_arrow_files
    from juicer.io.writers import write_json

    directory = f"s3://{BUCKET}/damaged/_work/g0123456789ab/stage0/shard00000"
    marker = directory + ".done.json"
    sink = ArrowSink(directory, "kept", marker)
    sink.write(pa.table({"text": ["one", "two"]}))
    files = [f"{directory}/{name}" for name in sink.close()["files"]]
    write_json({"done": True}, marker)
    assert read_arrow_files(files).column("text").to_pylist() == ["one", "two"]
    s3.pipe_file(files[0], s3.cat_file(files[0])[:-8] + b"\0" * 8)  # same size, other bytes
    with pytest.raises(Damaged, match=r"intermediate file s3://.*kept-000.arrow is damaged: "
                                      r"its checksum does not match; the task that wrote it "
                                      r"\(stage0/shard00000\) will be redone"):
        read_arrow_files(files)
    s3.invalidate_cache()
    assert not s3.exists(marker)


def test_staging_needs_an_output_url(tmp_path):
    recipe = write_recipe(tmp_path, PIPELINE, paths=[tmp_path], output_staging="s3://b/x")
    with pytest.raises(JuicerError, match="staging applies only when path is a URL"):
        juicer.process(recipe)


@pytest.fixture(scope="module")
def gcs():
    """A Google Cloud Storage emulator on loopback; gcsfs (and workers) find it through
    STORAGE_EMULATOR_HOST."""
    import logging

    from gcp_storage_emulator.server import create_server

    logging.getLogger("gcsfs").setLevel(logging.ERROR)  # "no default credentials" per call
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    saved = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = f"http://127.0.0.1:{port}"
    import gcsfs

    gcsfs.GCSFileSystem.clear_instance_cache()
    yield gcsfs.GCSFileSystem()
    if saved is None:
        os.environ.pop("STORAGE_EMULATOR_HOST")
    else:
        os.environ["STORAGE_EMULATOR_HOST"] = saved
    gcsfs.GCSFileSystem.clear_instance_cache()
    server.stop()


def test_gcs_input_output_and_staging_match_a_local_run(tmp_path, gcs, inputs, local_reference):
    for path in sorted(inputs.iterdir()):
        gcs.put_file(str(path), f"{BUCKET}/raw/{path.name}")
    url, staging = f"gs://{BUCKET}/runs/one", f"gs://{BUCKET}/staging/one"
    recipe = write_recipe(tmp_path, PIPELINE, paths=[f"gs://{BUCKET}/raw"],
                          input_shard_size="4MB", output_path=url, output_staging=staging)
    result = juicer.process(recipe, workers=2)
    assert result.report["accounting_ok"] and result.report["output"] == url
    for key in ("input_docs", "kept_docs", "dropped_docs", "quarantined_docs"):
        assert result.report[key] == local_reference[1][key]
    local = tmp_path / "downloaded"
    gcs.invalidate_cache()
    gcs.get(f"{BUCKET}/runs/one/", str(local), recursive=True)
    assert outputs(local) == local_reference[0]
    assert not gcs.exists(f"{BUCKET}/staging/one")


def test_rows_are_looked_up_on_s3_by_range(s3, monkeypatch):
    """Dedup verification's text lookups read the batches that hold the rows, not the file."""
    import numpy as np

    from juicer.io import intermediates

    monkeypatch.setattr(intermediates, "WHOLE_READ_BYTES", 0)
    directory = f"s3://{BUCKET}/lookup/_work/g0123456789ab/stage0/shard00000"
    sink = intermediates.ArrowSink(directory, "kept")
    for first in range(0, 8_000, 1_000):
        ids = np.arange(first, first + 1_000)
        sink.write(pa.table({"__row_id__": ids, "text": [f"doc {i} " * 50 for i in ids]}))
    files = [f"{directory}/{name}" for name in sink.close()["files"]]
    rows = intermediates.read_rows_with_ids(files, ["__row_id__", "text"], "__row_id__",
                                      np.array([7_999, 3]))
    assert rows.column("__row_id__").to_pylist() == [3, 7_999]
    assert rows.column("text").to_pylist() == ["doc 3 " * 50, "doc 7999 " * 50]


def test_which_markers_exist_is_one_listing_per_folder(s3, tmp_path, monkeypatch):
    """The runner asks which of a stage's done markers exist before running it: on a store,
    one listing per folder, not a request per marker."""
    from juicer.io import fs

    folder = f"s3://{BUCKET}/existing/stage0"
    for index in (0, 2, 3):
        s3.pipe(f"{folder}/shard{index:05d}.done.json", b"{}")
    s3.pipe(f"{folder}/shard00002/part-0.arrow", b"x")  # a shard's folder beside its marker
    markers = [f"{folder}/shard{index:05d}.done.json" for index in range(5)]
    lone = f"s3://{BUCKET}/existing/stage1/reduce/p00000.done.json"
    elsewhere = f"s3://{BUCKET}/nothing-here/a.done.json"
    (tmp_path / "here.done.json").write_text("{}")
    local = [str(tmp_path / "here.done.json"), str(tmp_path / "not.done.json")]
    listings, heads = [], []
    filesystem = fs.filesystem(folder)
    ls, exists = filesystem.ls, filesystem.exists
    monkeypatch.setattr(filesystem, "ls", lambda path, **kw: listings.append(path) or ls(path, **kw))
    monkeypatch.setattr(filesystem, "exists", lambda path, **kw: heads.append(path) or
                        exists(path, **kw))
    found = fs.existing(markers + [lone, elsewhere, elsewhere.replace("a.", "b.")] + local)
    assert found == {markers[0], markers[2], markers[3], local[0]}
    assert listings == [folder, f"s3://{BUCKET}/nothing-here"] and heads == [lone]


def test_readers_given_the_writers_seals_check_without_reading_the_sidecars(s3, monkeypatch):
    """A task's result carries each file's seal, so a reader on a store checks the file in
    one request instead of two; a damaged file is still caught and its producer named."""
    from juicer.errors import JuicerError as Damaged
    from juicer.io import fs
    from juicer.io.integrity import SUFFIX
    from juicer.io.intermediates import ArrowSink, read_arrow_files, read_arrow_rows
    from juicer.io.writers import write_json

    directory = f"s3://{BUCKET}/sealed/_work/g0123456789ab/stage0/shard00000"
    marker = directory + ".done.json"
    sink = ArrowSink(directory, "kept", marker)
    sink.write(pa.table({"text": ["one", "two"]}))
    sink.write(pa.table({"text": ["three"], "n": [3]}))  # another schema: a second file
    written = sink.close()
    write_json({"done": True}, marker)
    files = [f"{directory}/{name}" for name in written["files"]]
    seals = dict(zip(files, written["seals"]))
    assert [json.loads(s3.cat_file(f + SUFFIX)) for f in files] == written["seals"]
    read_bytes, sidecars = fs.read_bytes, []
    monkeypatch.setattr(fs, "read_bytes", lambda path: (
        sidecars.append(path) if path.endswith(SUFFIX) else None) or read_bytes(path))
    assert read_arrow_files(files, seals=seals).column("text").to_pylist() == \
        ["one", "two", "three"]
    assert [t.num_rows for t in read_arrow_rows(files, 0, 3, seals)] == [2, 1]
    assert sidecars == []
    read_arrow_files(files)  # without them: the sidecars
    assert sidecars == [f + SUFFIX for f in files]
    s3.pipe_file(files[1], s3.cat_file(files[1])[:-8] + b"\0" * 8)
    with pytest.raises(Damaged, match=r"kept-001.arrow is damaged: its checksum does not "
                                      r"match; the task that wrote it \(stage0/shard00000\)"):
        list(read_arrow_rows(files, 0, 3, seals))
