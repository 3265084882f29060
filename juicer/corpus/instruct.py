"""Instruction-data layouts and conversion between them (`juicer convert`).

| layout | fields |
|---|---|
| `alpaca` | `instruction`, `input` (may be empty), `output` (`response` is read as output too) |
| `sharegpt` | `conversations`: [{`from`: system/human/gpt, `value`}] |
| `messages` | `messages`: [{`role`: system/user/assistant, `content`}] (OpenAI style) |
| `query_response` | `query`, `response`, `history`: [[query, response], ...] of earlier turns, optional `system` |

Every conversion goes through messages (Alpaca's `input`, when not empty, is appended to
the instruction after a blank line, as Alpaca's own prompt template does). Other fields of a record are carried unchanged. A
record that has no form in the target layout (a multi-turn dialogue as Alpaca, a dialogue
that does not alternate user/assistant as query/response) is not dropped silently: it is
written to OUTPUT.failed.jsonl with its file, row and the reason.

Recipes run on any layout by naming a field or a path as the text: `text_field: output`,
`messages[-1].content` (the last answer), `messages[0].content` (the first prompt),
`conversations[*].value` (the whole dialogue).
"""
from __future__ import annotations

import json
import os
from typing import Optional, Sequence

import pyarrow as pa

from juicer.core.batch import ROW_ID
from juicer.errors import JuicerError

LAYOUTS = ("alpaca", "sharegpt", "messages", "query_response")
# the field each layout is checked by when read
TEXT_PATHS = {"alpaca": "instruction", "sharegpt": "conversations[-1].value",
              "messages": "messages[-1].content", "query_response": "response"}
# where each layout keeps the (last) answer: the text of a converted record
ANSWER_PATHS = {"alpaca": "output", "sharegpt": "conversations[-1].value",
                "messages": "messages[-1].content", "query_response": "response"}
_FROM_ROLE = {"system": "system", "human": "user", "user": "user", "gpt": "assistant",
              "assistant": "assistant", "bot": "assistant", "chatgpt": "assistant"}
_TO_SHAREGPT = {"system": "system", "user": "human", "assistant": "gpt"}
_LAYOUT_FIELDS = {"alpaca": ("instruction", "input", "output", "response", "system"),
                  "sharegpt": ("conversations",), "messages": ("messages",),
                  "query_response": ("query", "response", "history", "system")}


_SCHEMAS = {
    "messages": pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())])),
    "conversations": pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())])),
    "history": pa.list_(pa.list_(pa.string())),
}


def layout_fields(layout: str) -> tuple[str, ...]:
    """The fields that belong to a layout (replaced when a record is converted)."""
    return _LAYOUT_FIELDS[layout]


def layout_columns(layout: str) -> list[tuple[str, pa.DataType]]:
    """The columns a converted record is written with, in a fixed order and type."""
    names = {"alpaca": ("instruction", "input", "output", "system"),
             "sharegpt": ("conversations",), "messages": ("messages",),
             "query_response": ("query", "response", "history", "system")}[layout]
    return [(name, _SCHEMAS.get(name, pa.string())) for name in names]


def _schema(records: list[dict]) -> pa.Schema:
    """The layout fields' fixed types; other fields as Arrow infers them over all records."""
    names = list(dict.fromkeys(name for record in records for name in record))
    others = [n for n in names if n not in _SCHEMAS]
    inferred = pa.Table.from_pylist([{n: r.get(n) for n in others} for r in records]).schema
    return pa.schema([pa.field(n, _SCHEMAS[n]) if n in _SCHEMAS else inferred.field(n)
                      for n in names])


def detect(columns: Sequence[str]) -> Optional[str]:
    names = set(columns)
    if "messages" in names:
        return "messages"
    if "conversations" in names:
        return "sharegpt"
    if {"query", "response"} <= names:
        return "query_response"
    if "instruction" in names and names & {"output", "response"}:
        return "alpaca"
    return None


def to_messages(record: dict, layout: str) -> list[dict]:
    if layout == "messages":
        messages = record.get("messages")
        if not isinstance(messages, list):
            raise ValueError("'messages' is not a list")
        return [{"role": m.get("role"), "content": m.get("content")} for m in messages]
    if layout == "sharegpt":
        turns = record.get("conversations")
        if not isinstance(turns, list):
            raise ValueError("'conversations' is not a list")
        messages = []
        for turn in turns:
            role = _FROM_ROLE.get(str(turn.get("from", "")).lower())
            if role is None:
                raise ValueError(f"unknown speaker '{turn.get('from')}' (expected system, "
                                 "human or gpt)")
            messages.append({"role": role, "content": turn.get("value")})
        return messages
    system = [{"role": "system", "content": record["system"]}] if record.get("system") else []
    if layout == "query_response":
        messages = list(system)
        for pair in record.get("history") or []:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("each history entry must be [query, response]")
            messages += [{"role": "user", "content": pair[0]},
                         {"role": "assistant", "content": pair[1]}]
        return messages + [{"role": "user", "content": record.get("query")},
                           {"role": "assistant", "content": record.get("response")}]
    instruction, extra = record.get("instruction"), record.get("input")
    output = record.get("output", record.get("response"))
    if not isinstance(instruction, str) or not isinstance(output, str):
        raise ValueError("an Alpaca record needs string 'instruction' and 'output'")
    prompt = f"{instruction}\n\n{extra}" if isinstance(extra, str) and extra.strip() else instruction
    return system + [{"role": "user", "content": prompt},
                     {"role": "assistant", "content": output}]


def from_messages(messages: list[dict], layout: str, record: dict, source: str) -> dict:
    """The record in `layout`: its layout fields replaced, the other fields kept."""
    out = {k: v for k, v in record.items() if k not in _LAYOUT_FIELDS[source]}
    if layout == "messages":
        return {**out, "messages": messages}
    if layout == "sharegpt":
        return {**out, "conversations": [{"from": _TO_SHAREGPT.get(m["role"], m["role"]),
                                          "value": m["content"]} for m in messages]}
    system = [m["content"] for m in messages if m["role"] == "system"]
    turns = [m for m in messages if m["role"] != "system"]
    if len(system) > 1:
        raise ValueError("more than one system message")
    roles = [m["role"] for m in turns]
    if not turns or roles != ["user", "assistant"] * (len(turns) // 2) or len(turns) % 2:
        raise ValueError(f"turns must alternate user/assistant and end with the assistant "
                         f"(found {', '.join(roles) or 'none'})")
    if layout == "alpaca":
        if len(turns) != 2:
            raise ValueError(f"a dialogue of {len(turns) // 2} exchanges has no Alpaca form "
                             "(one instruction, one output)")
        converted = {"instruction": turns[0]["content"], "input": "",
                     "output": turns[1]["content"]}
    else:
        converted = {"query": turns[-2]["content"], "response": turns[-1]["content"],
                     "history": [[turns[i]["content"], turns[i + 1]["content"]]
                                 for i in range(0, len(turns) - 2, 2)]}
    if system:
        converted["system"] = system[0]
    return {**out, **converted}


def convert(paths: Sequence[str], output: str, to: str, *, source: Optional[str] = None) -> dict:
    """Write the records of `paths` in layout `to` (one of LAYOUTS) to `output` (.jsonl or
    .parquet); `source` is detected from the fields when not given."""
    from juicer.corpus.stats import _output_format, tables_with_files
    from juicer.core.row_ids import split_row_id
    from juicer.io.writers import write_table

    if to not in LAYOUTS:
        raise JuicerError(f"unknown layout '{to}'; choose one of {', '.join(LAYOUTS)}")
    if source is not None and source not in LAYOUTS:
        raise JuicerError(f"unknown layout '{source}'; choose one of {', '.join(LAYOUTS)}")
    fmt = _output_format(output)
    converted, failed, unreadable = [], [], 0
    for table, bad, files in tables_with_files(paths, None):
        unreadable += bad
        if table is None or table.num_rows == 0:
            continue
        layout = source or detect(table.column_names)
        if layout is None:
            raise JuicerError(f"the records of {', '.join(map(str, paths))} are in no known "
                              f"layout (fields: {', '.join(table.column_names[1:])})",
                              hint=f"give the source layout: {', '.join(LAYOUTS)}")
        source = layout
        for record in table.to_pylist():
            row_id = record.pop(ROW_ID)
            if layout == to:  # a change of file format only
                converted.append(record)
                continue
            try:
                converted.append(from_messages(to_messages(record, layout), to, record, layout))
            except (ValueError, KeyError, AttributeError, TypeError) as exc:
                file_index, position = split_row_id(row_id)
                failed.append({"file": files[file_index], "position": position,
                               "error": str(exc), "record": record})
    if converted:
        write_table(pa.Table.from_pylist(converted, schema=_schema(converted)), output, fmt)
    failures = f"{os.path.splitext(output)[0]}.failed.jsonl"
    if failed:
        with open(failures, "w", encoding="utf-8") as handle:
            for entry in failed:
                handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
    return {"from": source, "to": to, "converted": len(converted), "failed": len(failed),
            "unreadable": unreadable, "output": output,
            "failures": failures if failed else None}


def answer_field(columns: Sequence[str], default: str) -> str:
    """Where the (last) answer of a record is, by its layout; `default` (the document's
    text) for data in no instruction layout."""
    names = set(columns)
    for field, path in (("messages", "messages[-1].content"),
                        ("conversations", "conversations[-1].value"),
                        ("output", "output"), ("response", "response")):
        if field in names:
            return path
    return default


def dialogue_column(columns: Sequence[str], key: Optional[str] = None
                    ) -> tuple[str, str, tuple[str, ...]]:
    """(list column, speaker field, speaker values that open a turn) of a chat layout: the
    `key` column when given (ShareGPT's speakers for `conversations`, OpenAI's otherwise)."""
    column = key or next((name for name in ("messages", "conversations") if name in columns),
                         None)
    if column is None or column not in columns:
        raise JuicerError(f"no {column or 'messages or conversations'} field in the data "
                          f"(fields: {', '.join(columns)})", hint="set dialogue_key")
    if column == "conversations":
        return column, "from", ("human", "user")
    return column, "role", ("user",)
