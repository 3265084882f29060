"""recipes/models/web_models.yaml: language ID, token counts, the quality classifier and
perplexity in one recipe, offline, with each model loaded once per worker."""
import json

import juicer
from tests.conftest import REPO

RECIPE = REPO / "recipes" / "models" / "web_models.yaml"
MODEL_STEPS = {"language_id_score_filter": "lang_score", "token_num_filter": "num_token",
               "quality_classifier_filter": "quality_score", "perplexity_filter": "perplexity"}


def overrides(tmp_path, news_lm, split_jsonl, *more):
    """The sample as plain JSONL in shards of 1 MB (a .gz file is one shard), and the
    perplexity model trained by tests/conftest.py."""
    steps = [s["op"] for s in juicer.load_recipe(RECIPE).resolved()["pipeline"]]
    return [f"output.path={tmp_path / 'out'}", "input.shard_size=1MB",
            f"input.paths={json.dumps([str(p) for p in split_jsonl])}",
            f"pipeline.{steps.index('perplexity_filter')}.params.model_path={news_lm}", *more]


def test_runs_offline_on_two_workers(tmp_path, news_lm, split_jsonl, no_network):
    report = juicer.process(RECIPE, overrides=overrides(tmp_path, news_lm, split_jsonl,
                                                        "executor.workers=2")).report
    assert report["accounting_ok"] and report["input_docs"] == 2500 and report["executor"]["shards"] > 3
    steps = {s["op"]: s for s in report["steps"]}
    for op, stat in MODEL_STEPS.items():
        assert steps[op]["stats"][stat]["count"] == steps[op]["docs_in"] > 0
        assert steps[op]["docs_out"] > 0
    assert steps["language_id_score_filter"]["labels"]["lang"]  # languages seen, for the report
    assert 0 < report["kept_tokens"] < report["input_tokens"]
    assert 0 < report["kept_docs"] < 2500


def test_each_model_is_loaded_once_per_worker(tmp_path, news_lm, split_jsonl, monkeypatch):
    from juicer.core import registry

    loads = {}
    for op in MODEL_STEPS:
        cls = registry.get(op)

        def counted(self, _original=cls.setup, _op=op):
            loads[_op] = loads.get(_op, 0) + 1
            return _original(self)
        monkeypatch.setattr(cls, "setup", counted)
    # one worker runs the tasks in this process, so its loads are visible here
    report = juicer.process(RECIPE, overrides=overrides(tmp_path, news_lm, split_jsonl,
                                                        "executor.workers=1")).report
    assert report["executor"]["shards"] > 3
    assert loads == {op: 1 for op in MODEL_STEPS}
