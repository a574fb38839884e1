"""The CPU each scenario costs a web process: one client, in-process, no load generator.

Run by `manage.py api_benchmark` as a script (`python .../inprocess.py DATA N OUT`)
from the checkout being measured (its working directory), inside the stack's
environment, so another checkout (`--compare-with`) is measured by the same script on
its own code. Through Django's WSGI handler it reads N times each of the benchmark's
read targets (ceiling, status, detail, list), and posts N of its cards, each made new
bytes by a comment segment like the wrk uploads; it writes to OUT the process CPU time
per request, for an upload until the response and after it (the work a response
leaves: sending the document to OCR). Uses only the API's contract, so it runs on
older commits too. A loaded, shared machine scatters req/s; CPU time much less.
"""

import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

BOUNDARY = "FiLoTuPlOaDcPu"


def served(handler: Callable, environ: dict, expected: str, what: str) -> tuple[float, float]:
    """One request through the WSGI handler: CPU seconds until its response is written,
    and after it (response.close(), what gunicorn calls then: the work left for after)."""
    started: list[str] = []

    def start_response(status: str, headers: list, exc_info: object = None) -> Callable[[bytes], None]:
        started.append(status)
        return lambda data: None

    begin = time.process_time()
    response = handler(environ, start_response)
    b"".join(response)
    answered = time.process_time()
    response.close()
    if started != [expected]:
        raise SystemExit(f"{what} answered {started}")
    return answered - begin, time.process_time() - answered


def main(data_dir: Path, count: int, out: Path) -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filot.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import FakePayload, encode_multipart
    from rest_framework_simplejwt.tokens import AccessToken

    from kyc.models import User

    user = User.objects.create_user(email=f"upload-cpu-{time.time_ns()}@api-benchmark.invalid", password=None)
    token = f"Bearer {AccessToken.for_user(user)}"
    cards = []
    for line in (data_dir / "upload.cards").read_text().splitlines():
        path, doc_type = line.split("\t")
        cards.append((Path(path).read_bytes(), doc_type))
    handler = WSGIHandler()

    def read(path: str, bearer: str) -> float:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "REMOTE_ADDR": "127.0.0.2", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
            "HTTP_AUTHORIZATION": f"Bearer {bearer}", "wsgi.errors": io.StringIO(),
        }  # fmt: skip
        answered, after = served(handler, environ, "200 OK", f"GET {path}")
        return answered + after

    measured: dict[str, float] = {"requests": count}
    for name in ("ceiling", "status", "detail", "list"):
        targets = [line.split("\t") for line in (data_dir / f"{name}.targets").read_text().splitlines()]
        for path, bearer in targets[:3]:  # warm
            read(path, bearer)
        spent = [read(*targets[index % len(targets)]) for index in range(count)]
        measured[f"{name}_ms"] = 1000 * sum(spent) / count

    def upload(index: int) -> tuple[float, float]:
        jpeg, doc_type = cards[index % len(cards)]
        note = f"cpu {index} {time.time_ns()}".encode()
        jpeg = jpeg[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + jpeg[2:]
        body = encode_multipart(BOUNDARY, {"doc_type": doc_type, "consent": "true", "file": io.BytesIO(jpeg)})
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/documents", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.2", "wsgi.url_scheme": "http",
            "wsgi.input": FakePayload(body), "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}", "HTTP_AUTHORIZATION": token,
            "wsgi.errors": io.StringIO(),
        }  # fmt: skip
        return served(handler, environ, "201 Created", "upload")

    for index in range(3):  # warm: imports, connections, caches
        upload(index)
    timings = [upload(index) for index in range(3, 3 + count)]
    measured["upload_ms"] = 1000 * sum(before for before, _ in timings) / count
    measured["upload_after_response_ms"] = 1000 * sum(after for _, after in timings) / count
    out.write_text(json.dumps(measured))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
