"""Recipes: the model (model), loading YAML with overrides and errors that point at the
line (load, yamlio), Data-Juicer's layout translated (data_juicer), and editing a recipe file
while keeping its comments (edit)."""
from juicer.recipe.load import build_steps, load_recipe, names_a_file, steps_from_operators
from juicer.recipe.model import (ExecutorSpec, InputSpec, OutputSpec, Recipe, Resources, Step,
                                 final_text_field, parse_size)

__all__ = ["InputSpec", "OutputSpec", "ExecutorSpec", "Recipe", "Resources", "Step", "build_steps",
           "final_text_field", "load_recipe", "names_a_file", "parse_size", "steps_from_operators"]
