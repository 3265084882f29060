"""Language models behind an OpenAI-compatible HTTP endpoint (vLLM, SGLang, llama.cpp's
server, Ollama, hosted APIs), for the operators that ask one: chat completions with
bounded concurrency per worker, timeouts, retries with back-off on 429/5xx and dropped
connections, a per-run limit on requests and tokens, and a request cache, so that a
resumed or repeated run pays for no answer twice and, answering from the cache, writes
the same bytes.

The API key is never a setting: `api_key_env` names the environment variable that holds
it, read in the worker when a request is sent, so it reaches no recipe, log or report.

Where the cache and the run's usage live is the engine's to say (`task_place`): a shard
task keeps its answers in `<cache>/<shard>.jsonl`, one writer per file (one live attempt
per task), appended as answers arrive, so a task killed midway finds them when it runs
again. `juicer.apply` without `llm.cache` keeps answers in memory."""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from pydantic import BaseModel, ConfigDict, Field

from juicer.errors import EndpointError

RETRIED_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def asks_llm(operator_class: type) -> bool:
    """Whether an operator's steps send requests: it takes the `llm` param."""
    return "llm" in operator_class.Params.model_fields


class LLMSettings(BaseModel):
    """The recipe's `llm:` section, and an LLM operator's `llm` param (whose keys win)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="The endpoint's OpenAI-compatible base URL, e.g. "
                          "http://localhost:8000/v1 (vLLM) or https://api.openai.com/v1.")
    model: str = Field(description="The model name the endpoint serves.")
    api_key_env: Optional[str] = Field(None, description="Name of the environment variable "
                                       "holding the API key (never the key itself); none "
                                       "for a local server without one.")
    params: dict[str, Any] = Field(default_factory=dict, description="Generation parameters "
                                   "sent with every request (temperature, max_tokens, seed...).")
    concurrency: int = Field(4, ge=1, le=256, description="Requests in flight per worker.")
    timeout: float = Field(120.0, gt=0, description="Seconds to wait for one answer.")
    max_retries: int = Field(5, ge=0, description="Retries of a request that got 429, 5xx, a "
                             "timeout or a dropped connection, with exponential back-off.")
    backoff: float = Field(1.0, ge=0, description="Seconds before the first retry (doubled "
                           "each time, jittered, at most 60; a Retry-After header wins).")
    max_requests: Optional[int] = Field(None, ge=0, description="Requests the whole run may "
                                        "send (cache hits are free); reaching it stops the "
                                        "run, which resumes once the limit is raised.")
    max_tokens_total: Optional[int] = Field(None, ge=0, description="Prompt plus completion "
                                            "tokens the whole run may spend (stops the run "
                                            "like max_requests).")
    response_format: str = Field("json_schema", pattern="^(json_schema|json_object|none)$",
                                 description="How a structured answer is asked for: the "
                                 "endpoint's JSON-schema mode (vLLM, OpenAI, llama.cpp), "
                                 "JSON mode, or the prompt alone (none).")
    cache: Optional[str] = Field(None, description="Folder of the request cache; default "
                                 "<output.path>/llm_cache (kept by --overwrite: delete it to "
                                 "ask again).")

    def cache_identity(self) -> dict:
        """What makes two requests the same question (not where it is sent, nor limits)."""
        return {"model": self.model, "params": self.params,
                "response_format": self.response_format}


@dataclass
class Answer:
    """One request's outcome: the answer's text, or the error that document gets."""

    content: Optional[str] = None
    error: Optional[str] = None
    cached: bool = False
    finish_reason: Optional[str] = None


@dataclass
class Usage:
    """What a step's requests cost, added to the step's metrics (report.json `llm`)."""

    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **amounts: float) -> None:
        with self.lock:
            self.counts.update({key: value for key, value in amounts.items() if value})


@dataclass(frozen=True)
class TaskPlace:
    """What the running task calls its answers file (`<llm.cache>/<name>.jsonl`) and where
    the run counts its spending against its limits (`budget_file`; None: in memory)."""

    name: str = "answers"
    budget_file: Optional[str] = None


_place: contextvars.ContextVar[TaskPlace] = contextvars.ContextVar("llm_task_place",
                                                                   default=TaskPlace())
_usage: contextvars.ContextVar[Optional[Usage]] = contextvars.ContextVar("llm_usage",
                                                                         default=None)


@contextlib.contextmanager
def task_place(place: TaskPlace) -> Iterator[None]:
    """Run a task's steps with its cache file and the run's budget (the engine's shard task)."""
    token = _place.set(place)
    try:
        yield
    finally:
        _place.reset(token)


@contextlib.contextmanager
def tracked_usage() -> Iterator[Usage]:
    """Collect what the requests made inside cost (the engine, around each step)."""
    usage = Usage()
    token = _usage.set(usage)
    try:
        yield usage
    finally:
        _usage.reset(token)


def request_key(settings: LLMSettings, messages: list[dict], schema: Optional[dict]) -> str:
    body = {**settings.cache_identity(), "messages": messages, "schema": schema}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


class AnswerCache:
    """Answers by request key: the lines of one JSONL file, appended as they arrive."""

    _open: dict[str, "AnswerCache"] = {}
    _open_lock = threading.Lock()

    def __init__(self, path: Optional[str]):
        self.path = path
        self.answers: dict[str, dict] = {}
        self.lock = threading.Lock()
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    try:  # a line cut by a kill is the one answer asked again
                        entry = json.loads(line)
                        self.answers[entry["key"]] = entry
                    except (ValueError, KeyError, TypeError):
                        continue

    @classmethod
    def for_place(cls, folder: str, place: TaskPlace) -> "AnswerCache":
        """One cache object per file and process (an operator's batches share it)."""
        path = os.path.join(folder, f"{place.name}.jsonl")
        with cls._open_lock:
            if path not in cls._open:
                cls._open[path] = cls(path)
            return cls._open[path]

    def get(self, key: str) -> Optional[dict]:
        with self.lock:
            return self.answers.get(key)

    def put(self, key: str, entry: dict) -> None:
        entry = {"key": key, **entry}
        with self.lock:
            self.answers[key] = entry
            if self.path:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


class RunBudget:
    """The run's requests and tokens so far, against its limits; shared by every worker
    through a small file under an exclusive lock (in memory when the run has no folder)."""

    def __init__(self, path: Optional[str], max_requests: Optional[int],
                 max_tokens: Optional[int]):
        self.path, self.max_requests, self.max_tokens = path, max_requests, max_tokens
        self.memory = {"requests": 0, "tokens": 0}
        self.lock = threading.Lock()

    @property
    def limited(self) -> bool:
        return self.max_requests is not None or self.max_tokens is not None

    def reserve(self) -> Optional[str]:
        """Count one request, or say which limit refuses it."""
        if not self.limited:
            return None
        with self._counts() as counts:
            if self.max_requests is not None and counts["requests"] >= self.max_requests:
                return f"request limit reached (llm.max_requests={self.max_requests})"
            if self.max_tokens is not None and counts["tokens"] >= self.max_tokens:
                return f"token limit reached (llm.max_tokens_total={self.max_tokens})"
            counts["requests"] += 1
        return None

    def spend(self, tokens: int) -> None:
        if self.limited and tokens:
            with self._counts() as counts:
                counts["tokens"] += tokens

    @contextlib.contextmanager
    def _counts(self) -> Iterator[dict]:
        with self.lock:
            if self.path is None:
                yield self.memory
                return
            import fcntl

            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(self.path + ".lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    try:
                        with open(self.path, encoding="utf-8") as handle:
                            counts = json.load(handle)
                    except (OSError, ValueError):
                        counts = {"requests": 0, "tokens": 0}
                    yield counts
                    with open(self.path + ".tmp", "w", encoding="utf-8") as handle:
                        json.dump(counts, handle)
                    os.replace(self.path + ".tmp", self.path)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)


class LLMClient:
    """Chat completions against one endpoint, many at once, each answer cached."""

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self._failed: dict[str, str] = {}  # keys whose request failed in this process
        self._memory = AnswerCache(None)  # the cache without a folder: this client's answers

    def ask(self, conversations: list[list[dict]], schema: Optional[dict] = None) -> list[Answer]:
        """One answer per conversation (a list of chat messages), in order; documents whose
        request cannot be answered get an Answer with its error, never an exception, except
        an endpoint that stays unreachable (EndpointError: the run stops, a resume goes on)."""
        place = _place.get()
        cache = AnswerCache.for_place(self.settings.cache, place) if self.settings.cache \
            else self._memory
        budget = RunBudget(place.budget_file, self.settings.max_requests,
                           self.settings.max_tokens_total)
        usage = _usage.get() or Usage()
        started = time.perf_counter()
        keys = [request_key(self.settings, messages, schema) for messages in conversations]
        answers: list[Optional[Answer]] = [None] * len(keys)
        missing: dict[str, list[int]] = {}
        for index, key in enumerate(keys):
            entry = cache.get(key)
            if entry is not None:
                answers[index] = Answer(entry.get("content"), None, True, entry.get("finish_reason"))
                usage.add(cache_hits=1)
            elif key in self._failed:
                answers[index] = Answer(error=self._failed[key])
            else:
                missing.setdefault(key, []).append(index)
        if missing:
            unreachable = None
            with ThreadPoolExecutor(max_workers=min(self.settings.concurrency, len(missing))) as pool:
                def fetch(key: str, messages: list[dict]) -> Answer:
                    answer, entry = self._request(messages, schema, budget, usage)
                    if entry is not None:  # at once: a kill loses no answer that came back
                        cache.put(key, entry)
                    return answer

                futures = {key: pool.submit(fetch, key, conversations[indexes[0]])
                           for key, indexes in missing.items()}
                for key, future in futures.items():
                    try:
                        answer = future.result()
                    except EndpointError as exc:  # the answers that did come back are kept
                        unreachable = unreachable or exc
                        continue
                    if answer.error:
                        self._failed[key] = answer.error
                    for index in missing[key]:
                        answers[index] = answer
            if unreachable is not None:
                raise unreachable
        usage.add(seconds=time.perf_counter() - started)
        return answers

    def _request(self, messages: list[dict], schema: Optional[dict], budget: RunBudget,
                 usage: Usage) -> tuple[Answer, Optional[dict]]:
        refused = budget.reserve()
        if refused:  # the run stops rather than drop what it could not afford to ask
            usage.add(refused=1)
            raise EndpointError(f"the run's {refused}", hint="raise the limit in the recipe's "
                                "llm: section and rerun the same command: it resumes, and "
                                "the answers so far come from the cache")
        body = {"model": self.settings.model, "messages": messages, **self.settings.params}
        if schema is not None and self.settings.response_format == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "answer", "schema": schema}}
        elif schema is not None and self.settings.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        url = self.settings.base_url.rstrip("/") + "/chat/completions"
        last_problem = ""
        for attempt in range(self.settings.max_retries + 1):
            if attempt:
                usage.add(retries=1)
            usage.add(requests=1)
            try:
                reply = self._post(url, payload)
            except _Retry as retry:
                last_problem = retry.problem
                time.sleep(self._wait(attempt, retry.after))
                continue
            except _Refused as refused:
                usage.add(errors=1)
                return Answer(error=refused.problem), None
            prompt_tokens, completion_tokens = _usage_of(reply)
            usage.add(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
            budget.spend(prompt_tokens + completion_tokens)
            try:
                choice = reply["choices"][0]
                content = choice["message"]["content"]
                finish = choice.get("finish_reason")
            except (KeyError, IndexError, TypeError):
                usage.add(errors=1)
                return Answer(error="the endpoint's reply has no choices[0].message.content"), None
            if not isinstance(content, str):
                content = "" if content is None else json.dumps(content)
            return Answer(content, None, False, finish), {"content": content, "finish_reason": finish}
        raise EndpointError(f"the LLM endpoint {self.settings.base_url} did not answer after "
                            f"{self.settings.max_retries + 1} attempts ({last_problem})",
                            hint="check that the server is up and reachable from every "
                            "worker; rerun the same command to resume (answers so far are "
                            "cached)")

    def _post(self, url: str, payload: bytes) -> dict:
        import urllib.error  # here: a run without LLM steps does not import the HTTP stack
        import urllib.request

        headers = {"Content-Type": "application/json"}
        if self.settings.api_key_env:
            key = os.environ.get(self.settings.api_key_env)
            if not key:
                raise EndpointError(f"the environment variable {self.settings.api_key_env} "
                                  "(llm.api_key_env) is not set on this worker",
                                  hint="export it where the run's workers start")
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _short(exc.read())
            if exc.code in RETRIED_STATUS:
                raise _Retry(f"HTTP {exc.code} {detail}", exc.headers.get("Retry-After")) from None
            if exc.code in (401, 403, 404, 405):  # the same for every request: stop
                raise EndpointError(f"the LLM endpoint {self.settings.base_url} answered HTTP "
                                    f"{exc.code} {detail}", hint="check llm.base_url, "
                                    "llm.model and the key in llm.api_key_env") from None
            raise _Refused(f"the endpoint refused the request: HTTP {exc.code} {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise _Retry(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}", None) from None
        try:
            return json.loads(raw)
        except ValueError:  # a reply cut off on the way: ask again
            raise _Retry(f"a reply that is not JSON ({_short(raw)})", None) from None

    def _wait(self, attempt: int, retry_after: Optional[str]) -> float:
        if retry_after:
            try:
                return min(float(retry_after), 60.0)
            except ValueError:
                pass
        base = min(self.settings.backoff * 2 ** attempt, 60.0)
        return base * (0.5 + random.random() / 2)


class _Retry(Exception):
    def __init__(self, problem: str, after: Optional[str]):
        super().__init__(problem)
        self.problem, self.after = problem, after


class _Refused(Exception):
    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def _usage_of(reply: Any) -> tuple[int, int]:
    usage = reply.get("usage") if isinstance(reply, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def _short(raw: bytes, limit: int = 120) -> str:
    text = raw.decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


def parse_structured(answer: Answer, schema: dict) -> tuple[Any, Optional[str]]:
    """The answer as JSON checked against `schema`, or the reason it is not usable."""
    if answer.error:
        return None, answer.error
    if answer.finish_reason == "length":
        return None, "the answer was cut at max_tokens"
    text = (answer.content or "").strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        try:
            value = json.loads(text[start:end + 1]) if 0 <= start < end else None
        except ValueError:
            value = None
        if value is None:
            return None, f"the answer is not JSON: {_short(text.encode('utf-8'), 80)!r}"
    problem = schema_problem(value, schema)
    return (None, f"the answer does not fit the schema: {problem}") if problem else (value, None)


def schema_problem(value: Any, schema: dict, where: str = "answer") -> Optional[str]:
    """The first way `value` breaks `schema` (JSON Schema's type, enum, required,
    properties, items, minimum/maximum, minItems/maxItems), or None."""
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if kind in types and not isinstance(value, types[kind]):
        return f"{where} is not a{'n' if kind[0] in 'aeiou' else ''} {kind}"
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (kind == "integer" and not float(value).is_integer()):
            return f"{where} is not a{'n' if kind == 'integer' else ''} {kind}"
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where} is {value}, below {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where} is {value}, above {schema['maximum']}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} is {value!r}, not one of {schema['enum']}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                return f"{where} has no '{name}'"
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problem = schema_problem(value[name], sub, f"{where}.{name}")
                if problem:
                    return problem
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"{where} has fewer than {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{where} has more than {schema['maxItems']} items"
        for index, item in enumerate(value):
            problem = schema_problem(item, schema.get("items", {}), f"{where}[{index}]")
            if problem:
                return problem
    return None
