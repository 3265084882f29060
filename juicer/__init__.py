"""Juicer: turn raw text corpora into curated LLM training data."""
from juicer._version import __version__
from juicer.api import (QuarantineWarning, analyze, apply, calibrate, load_recipe, operator,
                        plan, process, render_report, run, train_classifier, train_lm)
from juicer.corpus import count, sample
from juicer.instruct import convert
from juicer.mix import mix
from juicer.errors import InputError, JuicerError, RecipeError
from juicer.operator import Deduplicator, Filter, Mapper, Operator, Selector
from juicer.registry import register

__all__ = [
    "__version__", "apply", "analyze", "calibrate", "convert", "count", "load_recipe", "mix", "operator", "plan",
    "process", "register", "render_report", "run", "sample", "train_classifier",
    "train_lm",
    "Operator", "Mapper", "Filter", "Deduplicator", "Selector",
    "JuicerError", "RecipeError", "InputError", "QuarantineWarning",
]
