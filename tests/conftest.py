"""Shared fixtures: the real sample shipped with the quickstart, and recipe writing."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "recipes" / "sample" / "web_docs_sample.jsonl.gz"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def sample_rows() -> list[dict]:
    """2,500 real web documents (recipes/sample/README.md)."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="session")
def split_jsonl(tmp_path_factory, sample_rows) -> list[Path]:
    """The sample as three plain JSONL files (so big files get split by byte range)."""
    directory = tmp_path_factory.mktemp("jsonl")
    paths = []
    for part in range(3):
        path = directory / f"web-{part}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for row in sample_rows[part::3]:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def sample_texts(sample_rows) -> list[str]:
    return [row["text"] for row in sample_rows]


# Hand-picked strings that trip up text kernels: empty, whitespace only, every kind of line
# break, combining marks, CJK, emoji (astral plane), no-break and zero-width spaces.
EDGE_TEXTS = [
    "", " ", "\n", "\n\n\n", "a", "  padded  ", "one\ntwo\r\nthree\rfour",
    "line\x0bvertical\x0cfeed\x1cfs\x1dgs\x1ers\x85nel\u2028ls\u2029ps",
    "Große Dächer über München", "e\u0301te\u0301", "日本語のテキスト。句読点も！",
    "emoji 😀👍🏽 and flags 🇩🇪", "tabs\tand\u00a0nbsp\u2009thin\u200bzero-width",
    "12345 67890 !!!", "$$$ ### @@@", "a" * 1000, "trailing newline\n",
    "\ud7ff\ue000\U0010ffff",
]


def write_recipe(directory: Path, pipeline: list, *, paths, output="out", **sections) -> Path:
    """A recipe file in `directory`; `sections` may hold input_/output_/executor_ settings."""
    recipe = {
        "input": {"paths": [str(p) for p in paths]},
        "output": {"path": str(directory / output)},
        "pipeline": pipeline,
    }
    for key, value in sections.items():
        section, name = key.split("_", 1)
        recipe.setdefault(section, {})[name] = value
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def read_output(directory: os.PathLike, kind: str = "data"):
    """All files of one output kind as one Arrow table (or None if there are none)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(Path(directory, kind).glob("part-*"))
    tables = [pq.read_table(f) if f.suffix == ".parquet" else
              pa.ipc.open_file(pa.memory_map(str(f))).read_all() if f.suffix == ".arrow" else
              _read_jsonl(f) for f in files]
    return pa.concat_tables(tables, promote_options="permissive") if tables else None


def _read_jsonl(path):
    import pyarrow as pa

    with open(path, encoding="utf-8") as handle:
        return pa.Table.from_pylist([json.loads(line) for line in handle])


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails, as on a machine with no route out:
    model operators must work from files that installed packages ship."""
    import socket

    def refuse(*_args, **_kwargs):
        raise OSError("network disabled by the no_network fixture")

    connect = socket.socket.connect

    def local_only(self, address):  # worker processes talk over Unix sockets: allowed
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse()
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent")


ARTICLES = ("article_extraction_benchmark", "mozilla_readability", "trafilatura_tests")


@pytest.fixture(scope="session")
def news_lm(tmp_path_factory, sample_rows):
    """A 3-gram model trained here, through the CLI, on 400 real articles of the sample."""
    directory = tmp_path_factory.mktemp("lm")
    articles = [r for r in sample_rows if r["source"] in ARTICLES]
    train, held = directory / "train.jsonl", directory / "held.jsonl"
    train.write_text("".join(json.dumps({"body": r["text"]}) + "\n" for r in articles[:400]), "utf-8")
    held.write_text("".join(json.dumps({"body": r["text"]}) + "\n" for r in articles[-100:]), "utf-8")
    ran = subprocess.run([sys.executable, "-m", "juicer.cli", "train-lm", "--input", str(train),
                          "--held-out", str(held), "--text-field", "body", "--vocab-size", "4000",
                          "-o", str(directory / "news.arpa")], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert "median perplexity" in ran.stdout
    return directory / "news.arpa"


@pytest.fixture(scope="session")
def llm_server():
    """The scripted OpenAI-compatible server on loopback (tests/llm_server.py)."""
    from tests.llm_server import ScriptedLLM

    with ScriptedLLM() as server:
        yield server


# The slow tiers, by what they start: `pytest -m "not slow"` is the fast tier a developer
# runs while working; .ci/run runs everything.
TIERS = {
    "install": lambda item: item.module.__name__.endswith("test_install"),
    "browser": lambda item: item.module.__name__.endswith("test_report_browser"),
    "storage": lambda item: item.module.__name__.endswith("test_storage"),
    "cluster": lambda item: item.module.__name__.endswith("test_executors") or any(
        word in item.name.lower().split("_") for word in ("dask", "ray")) or any(
        name.startswith(("ray_", "dask_")) for name in getattr(item, "fixturenames", ())) or
        item.get_closest_marker("cluster") is not None,
}


def pytest_configure(config):
    for tier, why in (("install", "fresh virtual environments and pip installs"),
                      ("browser", "Debian's chromium, headless"),
                      ("storage", "object-storage servers on loopback"),
                      ("cluster", "a Dask LocalCluster or a local Ray cluster"),
                      ("slow", "any of install, browser, storage, cluster")):
        config.addinivalue_line("markers", f"{tier}: {why}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        tiers = [tier for tier, belongs in TIERS.items() if belongs(item)]
        for tier in tiers:
            item.add_marker(getattr(pytest.mark, tier))
        if tiers:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory):
    """Run a recipe once per session, whatever number of tests read its output: a function
    of (recipe path, overrides...) returning the run's output folder."""
    import juicer

    runs: dict[tuple, Path] = {}

    def run(path: Path, *overrides: str) -> Path:
        key = (str(path), *overrides)
        if key not in runs:
            out = tmp_path_factory.mktemp(Path(path).stem) / "out"
            juicer.process(path, overrides=[f"output.path={out}", *overrides])
            runs[key] = out
        return runs[key]
    return run
