"""A loopback stand-in for OpenAI's moderation endpoint, for tests and benchmarks only.

It speaks `POST /v1/moderations` like the real API (list inputs, results with
categories, category_scores, category_applied_input_types and the extra
illicit categories), counts what it receives, and can be scripted to fail:
429 with Retry-After, 5xx, answers slower than the client's timeout, and 400
"context length" for inputs longer than `max_input_chars`. Its scores come
from trigger words, not from any model: it never stands in for real
moderation in the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_CATEGORIES = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]

# Words that make the stand-in score a category high (0.9) and so flag the text.
TRIGGER_WORDS = {
    "harassment": ["idiot", "stupid"],
    "harassment/threatening": ["i will hurt you"],
    "hate": ["hateword"],
    "illicit": ["counterfeit"],
    "self-harm": ["hurt myself"],
    "sexual": ["explicit-sexual"],
    "sexual/minors": ["minor-sexual-marker"],
    "violence": ["kill", "murder"],
    "violence/graphic": ["gore"],
}


def stub_result(text: str) -> dict:
    """A moderation result in the API's shape, from trigger words."""
    lowered = text.lower()
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    scores = {}
    for i, category in enumerate(API_CATEGORIES):
        triggered = any(word in lowered for word in TRIGGER_WORDS.get(category, []))
        scores[category] = 0.9 if triggered else digest[i] / 255 / 100  # below 0.01
    categories = {c: s > 0.5 for c, s in scores.items()}
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": {c: ["text"] for c in API_CATEGORIES},
    }


@dataclass
class Fault:
    """One scripted answer instead of a normal one."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    sleep_seconds: float = 0.0  # longer than the client's timeout: a timeout
    then_answer: bool = False  # after sleeping, answer normally (to a client that gave up)


@dataclass
class StubCounters:
    requests: int = 0
    answered: int = 0
    inputs: int = 0
    rejected_too_long: int = 0
    request_sizes: list[int] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    authorization_seen: set[str] = field(default_factory=set)


class ModerationStub:
    """`with ModerationStub() as stub: OpenAI(base_url=stub.base_url, ...)`; stops by itself."""

    def __init__(
        self, max_input_chars: int | None = None, latency_seconds: float = 0.0, lifetime_seconds: float = 600.0
    ):
        self.max_input_chars = max_input_chars
        self.latency_seconds = latency_seconds
        self.counters = StubCounters()
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="moderation-stub", daemon=True
        )
        self._lifetime = threading.Timer(lifetime_seconds, self.stop)
        self._lifetime.daemon = True
        self._stopped = False

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order, then normally."""
        with self._lock:
            self._faults.extend(faults)

    def start(self) -> ModerationStub:
        self._thread.start()
        self._lifetime.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._lifetime.cancel()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ModerationStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes; without this, Nagle's
                # algorithm and delayed ACKs add ~40 ms to every kept-alive request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.path.rstrip("/") != "/v1/moderations":
                    return self._send(404, {"error": {"message": "not found"}})
                with stub._lock:
                    stub.counters.requests += 1
                    stub.counters.request_times.append(time.monotonic())
                    stub.counters.authorization_seen.add(self.headers.get("authorization", ""))
                    fault = stub._faults.popleft() if stub._faults else None
                if fault is not None:
                    time.sleep(fault.sleep_seconds)
                    if not fault.then_answer:
                        message = "Rate limit reached" if fault.status == 429 else "scripted failure"
                        return self._send(fault.status, {"error": {"message": message}}, fault.headers)
                try:
                    payload = json.loads(body)
                    inputs = payload["input"]
                except (ValueError, KeyError):
                    return self._send(400, {"error": {"message": "invalid JSON body"}})
                inputs = [inputs] if isinstance(inputs, str) else inputs
                if stub.max_input_chars is not None and any(len(t) > stub.max_input_chars for t in inputs):
                    with stub._lock:
                        stub.counters.rejected_too_long += 1
                    message = (
                        "This model's maximum context length is 32768 tokens, "
                        "however you requested more. Please reduce the length of the input."
                    )
                    return self._send(400, {"error": {"message": message, "type": "invalid_request_error"}})
                if stub.latency_seconds:
                    time.sleep(stub.latency_seconds)
                with stub._lock:
                    stub.counters.answered += 1
                    stub.counters.inputs += len(inputs)
                    stub.counters.request_sizes.append(len(inputs))
                self._send(
                    200,
                    {"id": "modr-stub", "model": payload.get("model"), "results": [stub_result(t) for t in inputs]},
                )

            def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

        return Handler
