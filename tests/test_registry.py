"""The operator contract, checked over every registered operator, and plugin discovery
through the `juicer.operators` entry-point group."""
import json
import os
import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

import juicer
from juicer.core import registry
from juicer.core.operator import Deduplicator, Filter, Mapper, Selector
from juicer.models.llm import asks_llm
from tests.conftest import DATA, EDGE_TEXTS

# Renaming an operator breaks users' recipes: change this list only on purpose.
GOLDEN_NAMES = [
    "alphanumeric_filter", "average_line_length_filter", "boilerplate_string_filter",
    "bullets_filter", "c4_badwords_filter", "c4_line_cleaning_mapper", "c4_quality_filter",
    "character_repetition_filter", "chinese_convert_mapper", "clean_copyright_mapper",
    "clean_email_mapper", "clean_html_mapper", "clean_ip_mapper", "clean_links_mapper",
    "common_english_words_filter", "document_deduplicator", "document_line_deduplicator",
    "document_minhash_deduplicator", "document_simhash_deduplicator", "ellipsis_filter",
    "expand_macro_mapper", "fineweb_quality_filter", "fix_unicode_mapper",
    "flagged_words_filter", "format_convert_mapper", "frequency_specified_field_selector", "general_field_filter",
    "gopher_quality_filter", "gopher_repetition_filter", "html_to_text_mapper",
    "instruction_dedup",
    "language_id_score_filter", "line_dedup_within_doc_mapper", "line_deduplicator",
    "llm_analysis_filter", "llm_difficulty_score_filter", "llm_mapper", "llm_quality_score_filter",
    "long_word_filter", "maximum_line_length_filter", "mean_word_length_filter",
    "ngram_decontamination_filter", "non_alpha_numeric_filter", "numbers_filter",
    "paragraph_deduplicator", "parentheses_filter", "perplexity_filter", "pii_redaction_mapper",
    "pornographic_urls_filter", "punctuation_filter", "punctuation_normalization_mapper",
    "quality_classifier_filter",
    "random_selector", "range_specified_field_selector", "redpajama_signals_mapper",
    "refusal_filter", "remove_bibliography_mapper", "remove_comments_mapper", "remove_header_mapper",
    "remove_long_words_mapper", "remove_non_chinese_character_mapper",
    "remove_repeat_sentences_mapper", "remove_specific_chars_mapper",
    "remove_table_text_mapper", "remove_words_with_incorrect_substrings_mapper",
    "repeated_lines_by_char_filter", "repeated_lines_filter",
    "repeated_paragraphs_by_char_filter", "repeated_paragraphs_filter",
    "repeating_duplicate_ngrams_filter", "repeating_top_ngrams_filter",
    "replace_content_mapper", "response_length_filter", "semantic_deduplicator",
    "sentence_split_mapper", "special_characters_filter",
    "specified_field_filter", "specified_numeric_field_filter", "stats_filter",
    "stopwords_filter", "substring_deduplicator", "suffix_filter", "symbols_to_words_filter",
    "tags_specified_field_selector", "text_action_filter", "text_chunk_mapper",
    "text_entity_dependency_filter", "text_length_filter", "token_num_filter",
    "topk_specified_field_selector", "turn_count_filter", "url_filter", "urls_filter", "white_space_filter",
    "whitespace_normalization_mapper", "word_count_filter", "word_repetition_filter",
    "words_num_filter", "words_without_alphabets_filter",
]


def test_golden_list_of_builtin_operators():
    builtin = [n for n in registry.names()
               if registry.get(n).__module__.startswith("juicer_operators.")]
    assert builtin == GOLDEN_NAMES


def installed_operators() -> list[str]:
    """Built-in and entry-point operators (not the ones tests register for themselves)."""
    return [n for n in registry.names() if not registry.get(n).__module__.startswith("tests.")]


# operators whose parameters have no default, with values the contract can run with
REQUIRED_PARAMS = {
    "stats_filter": {"stat": "n"},
    # English pipelines are not on PyPI; French's is (test extra)
    "text_action_filter": {"lang": "fr"},
    "text_entity_dependency_filter": {"lang": "fr"},
    "ngram_decontamination_filter": {
        "benchmark_path": str(DATA / "benchmark_questions.jsonl"),
        "benchmark_fields": ["question"]},
}


def contract_params(name: str, request) -> dict:
    """Parameters an operator can run with in the tests: REQUIRED_PARAMS, the n-gram model
    trained from the sample for perplexity_filter, the scripted loopback endpoint for the
    LLM operators (fixtures through `request`)."""
    params = dict(REQUIRED_PARAMS.get(name, {}))
    if name == "perplexity_filter":  # a model trained from the sample (tests/conftest.py)
        params["model_path"] = str(request.getfixturevalue("news_lm"))
    if asks_llm(registry.get(name)):
        params["llm"] = request.getfixturevalue("llm_server").settings()
    if name == "llm_mapper":
        params["prompt"] = "Summarize: {text}"
    return params


def rows_for(name: str, rows: list[dict]) -> list[dict]:
    """The rows an operator reads: dialogues for turn_count_filter (each text as a chat of
    0 to 2 turns), Alpaca records for the instruction operators (each text as the
    instruction), the rows themselves for the others."""
    if name in ("format_convert_mapper", "instruction_dedup"):
        return [dict(row, instruction=row["text"], input="", output="ok") for row in rows]
    if name != "turn_count_filter":
        return rows
    return [dict(row, messages=[{"role": "user", "content": row["text"]},
                                {"role": "assistant", "content": "ok"}] * (row["n"] % 3))
            for row in rows]


@pytest.mark.parametrize("name", installed_operators())
def test_operator_contract(name, request):
    cls = registry.get(name)
    described = cls.describe()
    assert described["summary"] and described["kind"] in ("mapper", "filter", "deduplicator",
                                                           "selector")
    assert all(p["description"] for p in described["params"]), "every param is described"
    assert cls.__module__.rsplit(".", 1)[-1] == name, "one operator per file, named after it"
    params = contract_params(name, request)
    op = cls(**params)
    # params round-trip through the JSON a recipe, a worker task and the report hold
    assert cls(json.loads(json.dumps(op.params.model_dump(mode="json")))).params == op.params
    rows = rows_for(name, [{"text": t, "n": i} for i, t in enumerate(EDGE_TEXTS)])
    first = juicer.apply(rows, op, detailed=True)
    again = juicer.apply(list(reversed(rows))[::-1], cls(**params), detailed=True)
    assert first.kept == again.kept and first.dropped == again.dropped  # deterministic
    if getattr(op, "splits", False):  # one document -> many rows: each row is accounted
        assert first.counts["kept"] + first.counts["dropped"] >= len(rows)
    else:
        assert first.counts["kept"] + first.counts["dropped"] == len(rows)
    assert juicer.apply([], op) == []
    assert juicer.apply(pa.table({"text": pa.array([], pa.string())}), op).num_rows == 0
    if isinstance(op, Filter):
        assert list(cls.stats) == described["stats"]
        for row in first.dropped:
            assert row["__drop_reason__"].split(":")[1] in described["rules"]
    if isinstance(op, Mapper):
        assert first.counts["dropped"] == 0
    if isinstance(op, Deduplicator):
        assert described["rules"] == ["duplicate"]
    if isinstance(op, Selector):
        assert described["rules"] == ["not_selected"]


def test_register_refuses_a_second_operator_with_the_same_name():
    with pytest.raises(juicer.JuicerError, match="two operators are named"):
        @juicer.register
        class Impostor(Filter):
            name = "text_length_filter"


PLUGIN = '''
    """A third-party operator package, as a user would publish it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pydantic import Field

    from juicer import Filter, Mapper
    from juicer.core.operator import RangeParams, range_rules


    class ShoutMapper(Mapper):
        """Upper-case the text."""

        name = "shout_mapper"

        def map_text(self, text):
            return pc.utf8_upper(text)


    class QuestionMarksFilter(Filter):
        """Keep documents with at most `max_count` question marks."""

        name = "question_marks_filter"
        stats = {"question_marks": pa.int64()}

        class Params(RangeParams):
            _range = ("min_count", "max_count")
            min_count: int = Field(0, description="Fewest question marks.")
            max_count: int = Field(1, description="Most question marks.")

        def compute_stats(self, batch, text_field):
            text = batch.text(self.text_field(text_field))
            return {"question_marks": pc.count_substring(text, "?").cast(pa.int64())}

        def rules(self):
            return range_rules(self.params, "question_marks", "min_count", "max_count")
'''


@pytest.fixture()
def plugin_path(tmp_path):
    """An installed-looking distribution: a module plus dist-info with an entry point."""
    (tmp_path / "juicer_demo_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "juicer_demo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: juicer-demo-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text("[juicer.operators]\ndemo = juicer_demo_plugin\n")
    return tmp_path


def run_cli(args, plugin_path, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    return subprocess.run([sys.executable, "-m", "juicer.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def test_third_party_operators_register_through_entry_points(plugin_path, tmp_path):
    listed = run_cli(["ops", "list", "--json"], plugin_path)
    assert listed.returncode == 0, listed.stderr
    names = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert {"shout_mapper", "question_marks_filter", "text_length_filter"} <= set(names)
    assert names["question_marks_filter"]["rules"] == ["min_count", "max_count", "reversed_range"]
    data = tmp_path / "docs.jsonl"
    data.write_text("\n".join(json.dumps({"text": t}) for t in
                              ["why? how?", "fine.", "really?"]) + "\n")
    recipe = tmp_path / "plugin.yaml"
    recipe.write_text(f"input: [{data}]\noutput: {{path: {tmp_path}/out, format: jsonl}}\n"
                      "pipeline: [shout_mapper, question_marks_filter]\n")
    processed = run_cli(["process", str(recipe)], plugin_path)
    assert processed.returncode == 0, processed.stderr
    kept = (tmp_path / "out" / "data" / "part-00000.jsonl").read_text().splitlines()
    assert [json.loads(line)["text"] for line in kept] == ["FINE.", "REALLY?"]
    dropped = json.loads((tmp_path / "out" / "dropped" / "part-00000.jsonl").read_text())
    assert dropped["__drop_reason__"] == "question_marks_filter:max_count"


def test_every_builtin_operator_has_its_own_test_file():
    from tests.conftest import REPO

    builtin = [n for n in registry.names()
               if registry.get(n).__module__.startswith("juicer_operators.")]
    missing = [n for n in builtin if not list((REPO / "tests" / "operators").glob(f"*/test_{n}.py"))]
    assert not missing


def test_a_data_juicer_operator_on_other_media_says_so_instead_of_a_far_fetched_guess():
    for name, media in (("image_aspect_ratio_filter", "image"), ("video_split_by_scene_mapper",
                        "video"), ("audio_duration_filter", "audio")):
        with pytest.raises(juicer.JuicerError, match=f"Data-Juicer's {media} operator, not "
                                                     "supported"):
            juicer.operator(name)
    with pytest.raises(juicer.JuicerError, match="did you mean 'text_length_filter'"):
        juicer.operator("text_lenght_filter")
