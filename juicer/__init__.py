"""Juicer: turn raw text corpora into curated LLM training data."""
from juicer import _moved

_moved.install()  # the flat layout's module names (juicer.operator, juicer.batch...)

from juicer._version import __version__  # noqa: E402
from juicer.api import (QuarantineWarning, analyze, apply, calibrate, load_recipe,  # noqa: E402
                        operator, plan, process, render_report, run, train_classifier, train_lm)
from juicer.corpus.instruct import convert  # noqa: E402
from juicer.corpus.mix import mix  # noqa: E402
from juicer.corpus.stats import count, sample  # noqa: E402
from juicer.core.operator import Deduplicator, Filter, Mapper, Operator, Selector  # noqa: E402
from juicer.core.registry import register  # noqa: E402
from juicer.errors import InputError, JuicerError, RecipeError  # noqa: E402

__all__ = [
    "__version__", "apply", "analyze", "calibrate", "convert", "count", "load_recipe", "mix", "operator", "plan",
    "process", "register", "render_report", "run", "sample", "train_classifier",
    "train_lm",
    "Operator", "Mapper", "Filter", "Deduplicator", "Selector",
    "JuicerError", "RecipeError", "InputError", "QuarantineWarning",
]

_moved.bind_loaded()
