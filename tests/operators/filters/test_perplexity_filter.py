import json

import numpy as np
import pytest

import juicer
from juicer.models import lm
from tests.conftest import ARTICLES, write_recipe
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


@pytest.fixture
def news_model(news_lm):
    return news_lm


def test_train_lm_writes_the_model_its_pieces_and_sidecar(news_model):
    sidecar = json.loads(news_model.with_suffix(".json").read_text())
    assert (news_model.parent / sidecar["tokenizer_path"]).exists()
    assert sidecar["training_lines"] > 10_000 and sidecar["options"]["order"] == 3
    assert 20 < sidecar["held_out"]["median_perplexity"] < 1000
    header = news_model.read_text("utf-8")[:200]
    assert "ngram 3=" in header and "<unk>" in news_model.read_text("utf-8")


def test_real_text_is_likelier_than_noise_offline(news_model, sample_rows, no_network):
    articles = [r["text"] for r in sample_rows if r["source"] in ARTICLES][-100:]
    shuffled = []
    for text in articles:  # the same words in a random order: same vocabulary, no grammar
        words = text.split()
        np.random.default_rng(len(words)).shuffle(words)
        shuffled.append(" ".join(words))
    op = juicer.operator("perplexity_filter", model_path=str(news_model), max_ppl=1e9)
    stats, _ = stats_and_keep(op, articles + shuffled)
    real, noise = np.array(stats["perplexity"][:100]), np.array(stats["perplexity"][100:])
    assert (real < noise).mean() > 0.95
    assert np.median(noise) > 1.5 * np.median(real)


def test_ccnet_normalization_and_the_formula(news_model):
    assert lm.normalize("  Ünïcode “quotes” — 2024 …\t") == 'unicode "quotes"  -  0000 ...'
    import kenlm
    import sentencepiece

    model = kenlm.Model(str(news_model))
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(news_model.with_suffix(".sp.model")))
    text = "The council met on Monday.\n\nIt approved the budget."
    lines = [" ".join(pieces.encode(lm.normalize(line), out_type=str)) for line in text.splitlines() if line]
    score = sum(model.score(line, bos=True, eos=True) for line in lines)
    length = sum(len(line.split()) + 1 for line in lines)
    stats, _ = stats_and_keep(juicer.operator("perplexity_filter", model_path=str(news_model)), [text, ""])
    assert stats["perplexity"] == [round(10 ** (-score / length), 1), 0.0]


def test_recipe_with_data_juicer_params(tmp_path, news_model, sample_rows):
    rows = [r for r in sample_rows if r["source"] in ARTICLES][-50:] + \
        [{"text": "zq xv jk qq zz vv xx kk qj"}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in rows), "utf-8")
    params = {"lang": "en", "max_ppl": 300, "model_path": str(news_model)}
    recipe = write_recipe(tmp_path, [{"op": "perplexity_filter", "params": params}], paths=[source])
    report = juicer.process(recipe).report
    stats, keep = stats_and_keep(juicer.operator("perplexity_filter", **params), [r["text"] for r in rows])
    assert report["kept_docs"] == sum(keep) >= 40 and not keep[-1]  # the letter salad goes
    assert report["steps"][0]["drops_by_rule"] == {"max_ppl": len(rows) - sum(keep)}


def test_clear_errors(tmp_path, news_model):
    with pytest.raises(juicer.JuicerError, match="no language model at"):
        juicer.operator("perplexity_filter", model_path=str(tmp_path / "x.arpa"))([{"text": "a"}])
    with pytest.raises(juicer.JuicerError, match="no SentencePiece model at"):
        juicer.operator("perplexity_filter", model_path=str(news_model),
                        tokenizer_path=str(tmp_path / "none.model"))([{"text": "a"}])
    with pytest.raises(Exception, match="model_path"):
        juicer.operator("perplexity_filter")
    few = tmp_path / "few.jsonl"
    few.write_text('{"text": "one line"}\n', "utf-8")
    with pytest.raises(juicer.JuicerError, match="too few"):
        juicer.train_lm([few], tmp_path / "m.arpa")


def test_null_text_is_quarantined(news_model):
    check_null_is_quarantined(juicer.operator("perplexity_filter", model_path=str(news_model)))
