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


def test_the_operator_base_class_does_not_reach_the_api():
    graph = import_graph()
    assert "juicer.api" not in graph["juicer.operator"]
    assert not {"juicer.runner", "juicer.pipeline", "juicer.report"} & graph["juicer.operator"]


def test_moved_modules_keep_their_old_import_paths():
    """Code written against the old layout keeps working: the engine was juicer.runner and
    token counting juicer.llm_tokenizers."""
    from juicer import llm_tokenizers, runner, token_counters
    from juicer.engine import driver, global_tasks

    assert runner.process is driver.process and runner.RunResult is driver.RunResult
    assert runner._write_decisions is global_tasks.write_decisions
    assert llm_tokenizers.load is token_counters.load
