"""Modules that moved when juicer/ became subpackages (docs/architecture.md, "Package
layout"), under their old names, so that plugins and scripts written against the flat layout
keep working: `from juicer.operator import Filter` is `juicer.core.operator`'s Filter, the
same class. An old name is bound to the moved module itself, never to a copy, so isinstance
checks, registries and monkeypatching see one module.

Old names are resolved when first imported (a finder on sys.meta_path), so importing juicer
costs nothing for them. `juicer.report` and `juicer.corpus` are packages now; their old
modules are juicer.engine.run_report and juicer.corpus.stats (whose count and sample the
package re-exports)."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MOVED = {
    "juicer.operator": "juicer.core.operator",
    "juicer.rules": "juicer.core.rules",
    "juicer.row_ids": "juicer.core.row_ids",
    "juicer.batch": "juicer.core.batch",
    "juicer.fields": "juicer.core.fields",
    "juicer.registry": "juicer.core.registry",
    "juicer.expressions": "juicer.core.expressions",
    "juicer.metrics": "juicer.core.metrics",
    "juicer.operator_docs": "juicer.core.operator_docs",
    "juicer.recipe_edit": "juicer.recipe.edit",
    "juicer.yamlio": "juicer.recipe.yamlio",
    "juicer.kernels": "juicer.text.kernels",
    "juicer.words": "juicer.text.words",
    "juicer.shingles": "juicer.text.shingles",
    "juicer.minhash": "juicer.text.minhash",
    "juicer.segments": "juicer.text.segments",
    "juicer.c4": "juicer.text.c4",
    "juicer.heuristics": "juicer.text.heuristics",
    "juicer.segmenters": "juicer.text.segmenters",
    "juicer.sentences": "juicer.text.sentences",
    "juicer.substrings": "juicer.text.substrings",
    "juicer.wordlists": "juicer.text.wordlists",
    "juicer.regex": "juicer.text.regex",
    "juicer.classifier": "juicer.models.classifier",
    "juicer.lm": "juicer.models.lm",
    "juicer.embeddings": "juicer.models.embeddings",
    "juicer.kmeans": "juicer.models.kmeans",
    "juicer.token_counters": "juicer.models.token_counters",
    "juicer.devices": "juicer.models.devices",
    "juicer.spacy_pipelines": "juicer.models.spacy_pipelines",
    "juicer.global_steps": "juicer.engine.global_steps",
    "juicer.pipeline": "juicer.engine.pipeline",
    "juicer.dedup": "juicer.engine.dedup",
    "juicer.conflicts": "juicer.engine.conflicts",
    "juicer.memory": "juicer.engine.memory",
    "juicer.executors": "juicer.engine.executors",
    "juicer.executors.base": "juicer.engine.executors.base",
    "juicer.executors.local": "juicer.engine.executors.local",
    "juicer.executors.dask_executor": "juicer.engine.executors.dask_executor",
    "juicer.executors.ray_executor": "juicer.engine.executors.ray_executor",
    "juicer.report_groups": "juicer.report.groups",
    "juicer.report_html": "juicer.report.html",
    "juicer.charts": "juicer.report.charts",
    "juicer.compare": "juicer.report.compare",
    "juicer.samples": "juicer.core.samples",
    "juicer.instruct": "juicer.corpus.instruct",
    "juicer.mix": "juicer.corpus.mix",
    "juicer.dry_run": "juicer.corpus.dry_run",
    "juicer.analysis": "juicer.corpus.analysis",
    "juicer.io.planner": "juicer.io.shards",
    "juicer.runner": "juicer.engine.legacy",
    "juicer.llm_tokenizers": "juicer.models.token_counters",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module) -> None:
        """The moved module ran when it was imported under its own name."""


def install() -> None:
    """Resolve old names from now on (juicer/__init__.py, before anything else). First on
    the path: `juicer.executors` is the moved package, so the path finder would otherwise
    load its submodules a second time, as new modules, under their old names."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedModuleFinder())


def bind_loaded() -> None:
    """Bind the old names of the modules importing juicer has loaded. Resolving one of them
    later through the finder would set the `juicer` package's attribute of that name, and
    juicer.operator and juicer.mix are API functions there."""
    for old, new in MOVED.items():
        if new in sys.modules and old not in sys.modules:
            sys.modules[old] = sys.modules[new]
