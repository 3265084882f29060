"""A scripted OpenAI-compatible chat-completions server on loopback, for the LLM tests.

No model runs in these tests: the server answers by rule, deterministically, from the last
user message, and injects the failures a real endpoint shows when the message asks for
them, so every path of the client is exercised over real HTTP:

  [[429]]        the first request gets 429 with Retry-After: 0
  [[500]]        the first request gets 500
  [[slow]]       the first request waits longer than the tests' client timeout
  [[cut]]        the first reply is cut off mid-JSON
  [[garbage]]    the answer is prose, not JSON (every time)
  [[offschema]]  the answer is JSON without the asked fields (every time)
  [[down]]       every request gets 503

Scores (for a schema asking `dimension_scores`) come from the message's word count, the
same on every dimension: `score_of`."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

SLOW_SECONDS = 1.5


def score_of(message: str) -> int:
    words = len(message.split())
    return 5 if words >= 50 else 4 if words >= 20 else 3 if words >= 8 else 2 if words >= 3 else 1


def structured_answer(message: str, schema: dict) -> dict:
    props = schema.get("properties", {})
    if "dimension_scores" in props:
        dims = props["dimension_scores"].get("required", [])
        return {"dimension_scores": {d: score_of(message) for d in dims},
                "rationale": f"{len(message.split())} words", "flags": []}
    words = message.split()
    values = {"string": words[0] if words else "", "number": float(len(words)),
              "integer": len(words), "boolean": len(words) > 10}
    return {name: values.get(sub.get("type"), None) for name, sub in props.items()}


def text_answer(message: str) -> str:
    return "SUMMARY: " + " ".join(message.split()[-5:]).upper()


class ScriptedLLM:
    def __init__(self):
        self.requests: list[dict] = []  # every request body received
        self.headers: list[dict] = []
        self.seen: Counter = Counter()  # requests per last user message
        self.answer_only: Optional[int] = None  # answer this many requests, then 503 all
        self.answered = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with server.lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    message = next((m["content"] for m in reversed(body["messages"])
                                    if m["role"] == "user"), "")
                    server.seen[message] += 1
                    first = server.seen[message] == 1
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": "no such route"})
                with server.lock:
                    gone = server.answer_only is not None and server.answered >= server.answer_only
                if "[[down]]" in message or gone:
                    return self._send(503, {"error": "overloaded"})
                if "[[429]]" in message and first:
                    return self._send(429, {"error": "slow down"}, {"Retry-After": "0"})
                if "[[500]]" in message and first:
                    return self._send(500, {"error": "internal"})
                if "[[slow]]" in message and first:
                    time.sleep(SLOW_SECONDS)
                schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema")
                if "[[garbage]]" in message:
                    content = "I think this sample is rather good."
                elif "[[offschema]]" in message:
                    content = json.dumps({"verdict": "fine"})
                elif schema is not None:
                    content = json.dumps(structured_answer(message, schema))
                else:
                    content = text_answer(message)
                reply = {"id": "scripted", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": content}}],
                         "usage": {"prompt_tokens": sum(len(m["content"].split())
                                                        for m in body["messages"]),
                                   "completion_tokens": len(content.split())}}
                if "[[cut]]" in message and first:
                    raw = json.dumps(reply).encode()
                    return self._send_raw(200, raw[: len(raw) // 2])
                with server.lock:
                    server.answered += 1
                self._send(200, reply)

            def _send(self, code: int, payload: dict, headers: Optional[dict] = None):
                self._send_raw(code, json.dumps(payload).encode(), headers)

            def _send_raw(self, code: int, raw: bytes, headers: Optional[dict] = None):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up ([[slow]])
                    pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # a real endpoint's backlog, not socketserver's 5

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ScriptedLLM":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.headers.clear()
            self.seen.clear()
            self.answer_only, self.answered = None, 0

    def settings(self, **extra) -> dict:
        """An `llm` param pointing at this server, quick to give up in tests."""
        return {"base_url": self.url, "model": "scripted", "timeout": 1.0, "backoff": 0.01,
                **extra}
