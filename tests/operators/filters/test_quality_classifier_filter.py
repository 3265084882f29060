import json
import subprocess
import sys

import pytest

import juicer
from juicer.models import classifier
from tests.conftest import DATA, write_recipe
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def auc(scores, labels) -> float:
    good = [s for s, label in zip(scores, labels) if label]
    bad = [s for s, label in zip(scores, labels) if not label]
    return sum((g > b) + 0.5 * (g == b) for g in good for b in bad) / (len(good) * len(bad))


def test_shipped_model_agrees_with_human_quality_votes_offline(no_network, sample_rows):
    # the sample's DCLM-annotated pages: never seen in training (tools/train_quality_classifier)
    voted = [r for r in sample_rows if "quality_label" in r]
    stats, _ = stats_and_keep(juicer.operator("quality_classifier_filter"), [r["text"] for r in voted])
    assert len(voted) > 500
    assert auc(stats["quality_score"], [r["quality_label"] for r in voted]) > 0.62
    sidecar = classifier.read_sidecar(classifier.default_model_path())
    assert sidecar["evaluation"]["accuracy"] > 0.98 and sidecar["positive_label"] == "__label__hq"


def test_scores_answers_above_boilerplate():
    texts = ["Natalia sold clips to 48 of her friends in April, and then she sold half as many "
             "clips in May. How many clips did Natalia sell altogether in April and May? "
             "Natalia sold 48/2 = 24 clips in May. Natalia sold 48+24 = 72 clips altogether.",
             "Home | About us | Contact | Login | Cart (0) | Privacy policy | Cookie settings "
             "| Subscribe to our newsletter | (c) 2023 All rights reserved"]
    stats, keep = stats_and_keep(juicer.operator("quality_classifier_filter"), texts)
    assert stats["quality_score"][0] > 0.5 > stats["quality_score"][1]
    assert keep == [True, False]


def two_sources(sample_rows):
    """Two real kinds of text in the sample: user reviews and extracted web pages."""
    reviews = [r for r in sample_rows if r["source"] == "ud_ewt_reviews"]
    pages = [r for r in sample_rows if r["source"] == "trafilatura_tests"]
    return reviews, pages


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in rows), "utf-8")
    return path


def test_train_classifier_cli_then_filter_with_it(tmp_path, sample_rows, no_network):
    reviews, pages = two_sources(sample_rows)
    positive, negative = write_jsonl(tmp_path / "reviews.jsonl", reviews), write_jsonl(tmp_path / "pages.jsonl", pages)
    ran = subprocess.run([sys.executable, "-m", "juicer.cli", "train-classifier", "--positive",
                          str(positive), "--negative", str(negative), "-o", str(tmp_path / "m" / "reviews"),
                          "--test-share", "0.2"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    model = tmp_path / "m" / "reviews.ftz"
    sidecar = json.loads((tmp_path / "m" / "reviews.json").read_text())
    assert model.exists() and f"model: {model}" in ran.stdout
    evaluation = sidecar["evaluation"]
    assert evaluation["accuracy"] >= 0.9 and evaluation["test_documents"] > 150
    assert evaluation["train_documents"] + evaluation["test_documents"] == len(reviews) + len(pages)
    recipe = write_recipe(tmp_path, [{"op": "quality_classifier_filter",
                                      "params": {"model_path": "m/reviews.ftz", "min_score": 0.5}}],
                          paths=[positive, negative])
    report = juicer.process(recipe).report
    assert report["kept_docs"] >= 0.9 * len(reviews) and report["dropped_docs"] >= 0.9 * len(pages)
    assert report["steps"][0]["drops_by_rule"] == {"min_score": report["dropped_docs"]}


def test_training_is_deterministic_and_the_python_api(tmp_path, sample_rows):
    reviews, pages = two_sources(sample_rows)
    files = write_jsonl(tmp_path / "p.jsonl", reviews), write_jsonl(tmp_path / "n.jsonl", pages)
    first = juicer.train_classifier([files[0]], [files[1]], tmp_path / "a.bin", epochs=3, quantize=False)
    second = juicer.train_classifier([files[0]], [files[1]], tmp_path / "b.bin", epochs=3, quantize=False)
    assert first["model_path"].endswith("a.bin") and first["accuracy"] == second["accuracy"]
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


def test_clear_errors(tmp_path, sample_rows):
    with pytest.raises(juicer.JuicerError, match="no fastText model at"):
        juicer.operator("quality_classifier_filter", model_path=str(tmp_path / "none.ftz"))([{"text": "x"}])
    with pytest.raises(juicer.JuicerError, match="has no label '__label__good'.*__label__hq"):
        juicer.operator("quality_classifier_filter", label="__label__good")([{"text": "x"}])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": oops}\n', "utf-8")
    with pytest.raises(juicer.JuicerError, match=r"bad.jsonl line 2"):
        juicer.train_classifier([bad], [DATA / "latex_arxiv.jsonl"], tmp_path / "m.ftz")
    few = write_jsonl(tmp_path / "few.jsonl", sample_rows[:1])  # in training or held out, not both
    with pytest.raises(juicer.JuicerError, match="too few documents"):
        juicer.train_classifier([few], [few], tmp_path / "m.ftz", test_share=0.5)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("quality_classifier_filter"))
