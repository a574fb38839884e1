"""A fake BULI2 on 127.0.0.1: real HTTP, answers from a script, records every request."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeBuli2:
    url: str = ""
    # Statuses to answer, in order; once used up, `default` for every request.
    script: list[int] = field(default_factory=list)
    default: int = 201
    requests: list[dict] = field(default_factory=list)
    # Run (in the server's thread) before each answer: what happens here meanwhile.
    before_answer: Callable[[], None] | None = None

    def answer(self) -> int:
        return self.script.pop(0) if self.script else self.default


@contextmanager
def running_fake_buli2() -> Iterator[FakeBuli2]:
    fake = FakeBuli2()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if fake.before_answer is not None:
                fake.before_answer()
            with lock:
                status = fake.answer()
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body or b"{}")}
                )
                number = len(fake.requests)
            answer = json.dumps({"id": f"buli2-{number}"} if status < 300 else {"error": "busy"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
