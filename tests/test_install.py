"""The core install, as a user gets it: a fresh virtual environment, `pip install` of this
repository with no extra. It pulls no torch (nor any model engine), runs the quickstart, and
an operator whose extra is missing says which extra to install."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

HEAVY = ("torch", "tensorflow", "jax", "transformers", "spacy", "ray", "dask", "fasttext")


def _copy_sources(target: Path) -> None:
    """The repository's tracked files (a clean checkout's content), without build output."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            if name and (REPO / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, target / name)
    else:
        shutil.copytree(REPO, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            ".venv", ".git", "output", ".bench", "build", "*.egg-info", "__pycache__"))


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    source = root / "src"
    _copy_sources(source)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--prefer-binary", str(source)],
                   check=True)
    return venv, source


def test_core_install_pulls_no_heavy_engine(core_venv):
    venv, _ = core_venv
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list",
                             "--format", "json"], capture_output=True, text=True, check=True)
    installed = {entry["name"].lower() for entry in json.loads(listed.stdout)}
    assert "juicer-llm" in installed
    assert not [name for name in installed if name.startswith(HEAVY)], installed
    version = subprocess.run([str(venv / "bin" / "juicer"), "--version"], capture_output=True,
                             text=True, check=True)
    assert "juicer" in version.stdout


def test_core_install_runs_the_quickstart_and_names_missing_extras(core_venv, tmp_path):
    venv, source = core_venv
    out = tmp_path / "quickstart"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    run = subprocess.run([str(venv / "bin" / "juicer"), "process",
                          str(source / "recipes" / "quickstart.yaml"), "--set",
                          f"output.path={out}", "--workers", "2"], capture_output=True,
                         text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["input_docs"] == 2500 and report["accounting_ok"]
    assert (out / "report.html").stat().st_size > 10_000

    recipe = tmp_path / "lid.yaml"
    recipe.write_text(f"input: {source / 'recipes' / 'sample' / 'web_docs_sample.jsonl.gz'}\n"
                      f"output: {tmp_path / 'lid'}\n"
                      "pipeline:\n  - op: language_id_score_filter\n    params: {lang: en}\n")
    missing = subprocess.run([str(venv / "bin" / "juicer"), "process", str(recipe)],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
    assert missing.returncode in (1, 2)
    assert "pip install 'juicer-llm[models]'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_code_needs_no_python_newer_than_3_10():
    """pyproject promises Python 3.10+, and only 3.11 can be installed here: vermin reads
    the source for syntax, stdlib modules and functions newer than 3.10."""
    vermin = str(Path(sys.executable).parent / "vermin")
    result = subprocess.run([vermin, "--no-tips", "--target=3.10-", "--violations",
                             "--eval-annotations", "--no-make-paths-absolute",
                             "juicer", "operators", "tools/bench", "examples"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
