"""Property-based tests: every operator on arbitrary Unicode text (no exception, the same
result twice, every document accounted for), and the recipe loader on arbitrary YAML
shapes (a located RecipeError or a recipe, never a traceback)."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import juicer
from juicer.core import registry
from juicer.errors import RecipeError
from tests.test_registry import contract_params, installed_operators, rows_for

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
DOCUMENTS = st.lists(TEXT, max_size=12)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(texts=DOCUMENTS)
def test_every_operator_on_arbitrary_unicode(request, texts):
    rows = [{"text": t, "n": i} for i, t in enumerate(texts)]
    for name in installed_operators():
        params = contract_params(name, request)
        data = rows_for(name, rows)
        first = juicer.apply(data, registry.get(name)(**params), detailed=True)
        again = juicer.apply(data, registry.get(name)(**params), detailed=True)
        assert first.kept == again.kept and first.dropped == again.dropped, name
        assert first.counts["quarantined"] == 0, (name, first.quarantined[:1])
        assert first.counts["kept"] + first.counts["dropped"] == len(rows), name


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=12))
KEYS = st.sampled_from(["input", "output", "pipeline", "paths", "path", "op", "params",
                        "min_len", "max_len", "text_field", "shard_size", "executor", "kind",
                        "on_error", "format", "process", "dataset_path", "export_path",
                        "text_length_filter", "lowercase", "id", "workers"]) | st.text(max_size=8)
SHAPES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) |
                      st.dictionaries(KEYS, inner, max_size=5), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(document=SHAPES)
def test_recipe_loader_on_arbitrary_yaml(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("fuzz") / "recipe.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    try:
        juicer.load_recipe(path)
    except RecipeError as error:
        assert str(path) in str(error)  # located


def _steps():
    names = installed_operators()
    params = sorted({p["name"] for n in names for p in registry.get(n).describe()["params"]})
    step = st.fixed_dictionaries({"op": st.sampled_from(names) | st.text(max_size=8)},
                                 optional={"params": st.dictionaries(
                                     st.sampled_from(params), SCALARS | st.lists(SCALARS,
                                                                                 max_size=3),
                                     max_size=4), "id": SCALARS})
    return st.lists(step | st.sampled_from(names) | SCALARS, max_size=5)


@settings(max_examples=300, deadline=None)
@given(pipeline=_steps(), input_section=SHAPES, output_section=SHAPES)
def test_recipe_loader_on_plausible_recipes(tmp_path_factory, pipeline, input_section,
                                            output_section):
    path = tmp_path_factory.mktemp("fuzz") / "recipe.yaml"
    path.write_text(yaml.safe_dump({"input": input_section, "output": output_section,
                                    "pipeline": pipeline}, allow_unicode=True))
    try:
        juicer.load_recipe(path)
    except RecipeError as error:
        assert str(path) in str(error)
