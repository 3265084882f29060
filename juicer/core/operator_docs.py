"""docs/operators.md, generated from the registry (`juicer ops docs`); a test keeps the
checked-in file current."""
from __future__ import annotations

from juicer.core import registry

HEADER = """# Operators

Generated from the registry by `juicer ops docs > docs/operators.md`; do not edit by hand.
Names, parameters, defaults and semantics follow Data-Juicer wherever it has the operator, so
its recipes run unchanged. Ranges are closed (`min <= stat <= max`) unless
`min_closed_interval` / `max_closed_interval` say otherwise; a dropped document's
`__drop_reason__` is `<step_id>:<rule>`.

Third-party operators plug in the same way as these: subclass `juicer.Mapper`,
`juicer.Filter`, `juicer.Deduplicator` or `juicer.Selector` with a `name` and a nested `Params` model, and
declare the class or its module in your package's `juicer.operators` entry-point group:

```toml
[project.entry-points."juicer.operators"]
my_ops = "my_package.operators"     # every Operator subclass defined under it registers
```

[writing-operators.md](writing-operators.md) explains the contract, and
`examples/juicer-plugin-example/` is a package to copy.

"""


def render() -> str:
    described = [registry.get(name).describe() for name in registry.names()
                 if registry.get(name).__module__.startswith("juicer_operators.")]
    lines = [HEADER, "| operator | kind | what it does |", "|---|---|---|"]
    lines += [f"| [`{d['name']}`](#{d['name']}) | {d['kind']} | {d['summary']} |"
              for d in described]
    for d in described:
        lines += ["", f"## {d['name']}", "", f"*{d['kind']}*, `{d['module']}`", "", d["doc"], ""]
        if d["extras"]:
            lines += [f"Needs the extra: `pip install 'juicer-llm[{','.join(d['extras'])}]'`", ""]
        lines += ["| param | type | default | description |", "|---|---|---|---|"]
        for p in d["params"]:
            lines.append(f"| `{p['name']}` | `{p['type']}` | `{p['default']!r}` | "
                         f"{p['description']} |")
        if d["stats"]:
            lines += ["", "Stats (under `__stats__.<step_id>`): " +
                      ", ".join(f"`{s}`" for s in d["stats"])]
        if d.get("rules"):
            lines += ["", "Drop reasons: " + ", ".join(f"`{r}`" for r in d["rules"])]
    return "\n".join(lines) + "\n"
