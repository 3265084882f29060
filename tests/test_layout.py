"""The engine's layering: modules import downwards only. The import graph of juicer/
(imports inside functions included, since they hide a circle just as well) has no cycle."""
from __future__ import annotations

import ast

from tests.conftest import REPO

def import_graph() -> dict[str, set[str]]:
    modules = {}
    for path in (REPO / "juicer").rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                # `from juicer import registry` imports the submodule, not the package's API
                submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets = submodules if len(submodules) == len(node.names) else [base, *submodules]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                other = stack.pop()
                component.add(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle():
    found = [sorted(c) for c in cycles(import_graph())]
    assert not found, f"import cycles: {found}"


# The layers of juicer/, lowest first: a module imports only from its own layer and below.
# Within a layer, packages are independent of each other (text and models).
LAYERS = [
    {"juicer._version", "juicer.errors"},
    {"juicer.text", "juicer.models"},
    {"juicer.core"},
    {"juicer.io"},
    {"juicer.recipe"},
    {"juicer.report"},
    {"juicer.engine"},
    {"juicer.corpus"},
    {"juicer.api", "juicer.cli", "juicer", "juicer._moved"},
]


def unit_of(module: str) -> str:
    """The package (or top-level module) of the layer table a module belongs to."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def layer_of(module: str) -> int:
    for index, units in enumerate(LAYERS):
        if unit_of(module) in units:
            return index
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS and to "
                         "docs/architecture.md's package layout")


def test_every_module_imports_only_its_own_layer_and_below():
    graph = import_graph()
    upward = sorted(f"{module} -> {target}" for module, targets in graph.items()
                    for target in targets if layer_of(target) > layer_of(module))
    assert not upward, f"imports of a higher layer: {upward}"
    sideways = sorted(f"{module} -> {target}" for module, targets in graph.items()
                      for target in targets
                      if layer_of(target) == layer_of(module) and unit_of(target) != unit_of(module)
                      and layer_of(module) < len(LAYERS) - 1)
    assert not sideways, f"imports between packages of one layer: {sideways}"


def test_the_layer_check_sees_an_upward_import():
    graph = {"juicer.core.batch": {"juicer.engine.driver"}, "juicer.engine.driver": set()}
    assert layer_of("juicer.engine.driver") > layer_of("juicer.core.batch")
    assert [m for m, ts in graph.items() for t in ts if layer_of(t) > layer_of(m)] == \
        ["juicer.core.batch"]


def test_the_operator_base_class_does_not_reach_the_api():
    graph = import_graph()
    assert "juicer.api" not in graph["juicer.core.operator"]
    assert not {"juicer.engine.legacy", "juicer.engine.pipeline", "juicer.engine.run_report"} & \
        graph["juicer.core.operator"]


def test_moved_modules_keep_their_old_import_paths():
    """Code written against the flat layout keeps working, on the same module objects: the
    plugin API (juicer.operator, juicer.batch, juicer.rules, juicer.registry), the engine's
    old name juicer.runner, and every other moved module."""
    import importlib

    from juicer import _moved
    from juicer.core import operator as core_operator
    from juicer.engine import driver, global_tasks
    from juicer.models import token_counters

    from juicer.operator import Filter  # noqa: F401 - the import itself is the check
    from juicer import batch, llm_tokenizers, rules, runner
    assert Filter is core_operator.Filter
    assert batch.Batch.__module__ == "juicer.core.batch"
    assert rules.bound is importlib.import_module("juicer.core.rules").bound
    assert runner.process is driver.process and runner.RunResult is driver.RunResult
    assert runner._write_decisions is global_tasks.write_decisions
    assert llm_tokenizers.load is token_counters.load
    for old, new in _moved.MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new), old


def test_old_names_do_not_shadow_the_api_functions():
    """juicer.operator and juicer.mix are functions of the API as well as old module names."""
    import importlib

    import juicer

    importlib.import_module("juicer.operator")
    importlib.import_module("juicer.mix")
    assert callable(juicer.operator) and callable(juicer.mix)
