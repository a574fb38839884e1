"""`make run`'s embedded mode: no DATABASE_URL, no REDIS_URL, and the server is ready."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.stack import free_port

ROOT = Path(__file__).resolve().parents[2]


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    return {**env, "FILOT_DATA_DIR": str(data_dir)}


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def embedded_server(tmp_path):
    yield from start_embedded_server(tmp_path)


@pytest.fixture(scope="module")
def started_embedded_server(tmp_path_factory):
    """One server for the tests that only look at it (each start costs seconds)."""
    yield from start_embedded_server(tmp_path_factory.mktemp("embedded"))


def start_embedded_server(tmp_path: Path, **extra_env: str):
    env = {**embedded_env(tmp_path), **extra_env}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    reviewer = subprocess.run(
        [*manage, "create_demo_reviewer"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    port = free_port()
    server = subprocess.Popen(
        [*manage, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "serve.log").open("wb"),  # a file: a full pipe would block the server
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    yield base, reviewer.stdout, tmp_path
    server.terminate()
    server.wait(timeout=20)


def test_the_embedded_server_is_ready_on_sqlite_with_an_in_process_broker(started_embedded_server):
    base, _, data_dir = started_embedded_server
    status, body = get_json(f"{base}/health/ready")
    assert status == 200, body
    assert body["checks"]["database"]["vendor"] == "sqlite"
    assert body["checks"]["redis"]["mode"].startswith("embedded")
    assert (data_dir / "filot.sqlite3").is_file()


def test_the_demo_reviewer_credentials_are_printed_and_stable(started_embedded_server):
    _, printed, data_dir = started_embedded_server
    password = (data_dir / "demo-reviewer-password").read_text().strip()
    assert f"reviewer@filot.local / {password}" in printed
    assert oct((data_dir / "demo-reviewer-password").stat().st_mode & 0o777) == "0o600"


def test_an_uploaded_card_reaches_a_decision_in_process(embedded_server):
    """`make run`: the same actors run inside the server, on the stub broker."""
    import requests

    from cardgen.cards import render_card

    base, _, _ = embedded_server
    card, jpeg = next(
        (card, jpeg)
        for card, jpeg in (render_card(99, index) for index in range(40))
        if card.doc_type == "KTP" and card.difficulty == "clean" and not card.expected_checks
    )
    session = requests.Session()
    credentials = {"email": "demo@example.com", "password": "correct-horse-battery-42"}
    assert session.post(f"{base}/api/v1/auth/register", json=credentials).status_code == 201
    access = session.post(f"{base}/api/v1/auth/token", json=credentials).json()["access"]
    session.headers["Authorization"] = f"Bearer {access}"
    profile = {
        "full_name": card.fields["name"],
        "date_of_birth": card.fields["birth_date"],
        "nik": card.fields["nik"],
    }
    assert session.put(f"{base}/api/v1/profile", json=profile).status_code == 200
    uploaded = session.post(
        f"{base}/api/v1/documents",
        data={"doc_type": "KTP", "consent": "true"},
        files={"file": ("card.jpg", jpeg, "image/jpeg")},
    )
    assert uploaded.status_code == 201, uploaded.text

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = session.get(f"{base}/api/v1/verification/status/{uploaded.json()['id']}").json()
        if status["decision"]:
            break
        time.sleep(0.3)
    assert status["decision"] == "auto_approved", status
    assert [step["to_status"] for step in status["timeline"]][-1] == "auto_approved"

    # The card's NIK was read and decided on, yet is nowhere in the clear: not in the
    # media folder (image, sealed reading), the SQLite files, or the server's log.
    _, _, data_dir = embedded_server
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert any(path.name.startswith("reading-") for path in files)
    assert any(path.name == "serve.log" for path in files)
    for path in files:
        assert card.fields["nik"].encode() not in path.read_bytes(), path


def test_the_data_folder_and_the_database_are_the_owners_only(started_embedded_server):
    _, _, data_dir = started_embedded_server
    assert oct(data_dir.stat().st_mode & 0o777) == "0o700"
    for path in data_dir.glob("filot.sqlite3*"):  # the database and its -wal / -shm files
        assert oct(path.stat().st_mode & 0o077) == "0o0", path


def test_ten_concurrent_uploads_and_sign_ups_on_sqlite_give_no_error(embedded_server):
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.kyc.uploads import image_bytes

    base, _, _ = embedded_server
    credentials = {"email": "busy@example.com", "password": "correct-horse-battery-42"}
    assert requests.post(f"{base}/api/v1/auth/register", json=credentials, timeout=30).status_code == 201
    access = requests.post(f"{base}/api/v1/auth/token", json=credentials, timeout=30).json()["access"]
    headers = {"Authorization": f"Bearer {access}"}

    def upload(n: int) -> int:
        image = image_bytes(size=(900 + 10 * n, 570))
        files = {"file": ("card.jpg", image, "image/jpeg")}
        return requests.post(
            f"{base}/api/v1/documents",
            data={"doc_type": "KTP", "consent": "true"},
            files=files,
            headers=headers,
            timeout=60,
        ).status_code

    def sign_up(n: int) -> int:
        body = {"email": f"busy{n}@example.com", "password": "correct-horse-battery-42"}
        return requests.post(f"{base}/api/v1/auth/register", json=body, timeout=60).status_code

    def update_profile(n: int) -> int:
        # A transaction that reads, then writes: the one SQLite's default mode fails at once.
        body = {"full_name": f"Busy Person {n}", "date_of_birth": None}
        return requests.put(f"{base}/api/v1/profile", json=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        uploads = pool.map(upload, range(10))
        profiles = pool.map(update_profile, range(10))
        sign_ups = pool.map(sign_up, range(9))  # the per-address limit allows ten a minute
        uploads, profiles, sign_ups = list(uploads), list(profiles), list(sign_ups)

    assert uploads == [201] * 10
    assert profiles == [200] * 10
    assert sign_ups == [201] * 9


def test_an_unknown_api_route_is_json_with_debug_on(started_embedded_server):
    base, _, _ = started_embedded_server
    status, body = get_json(f"{base}/api/v1/nothing-here")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_a_missing_prometheus_folder_is_a_clear_message_not_a_traceback(tmp_path):
    env = {**embedded_env(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "missing")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR names" in result.stderr
    assert "Traceback" not in result.stderr


BULI2_SECRET = "embedded-buli2-signature-secret-0123456789"


@pytest.fixture
def embedded_server_with_buli2(tmp_path):
    yield from start_embedded_server(
        tmp_path,
        BULI2_API_URL="http://127.0.0.1:9/api",
        BULI2_API_KEY="embedded-buli2-api-key",
        BULI2_SIGNATURE_SECRET=BULI2_SECRET,
        BULI2_CALLBACK_URL="http://127.0.0.1/api/v1/reviews/callback",
        BULI2_RETRY_ATTEMPTS="1",
    )


def test_ten_concurrent_callbacks_on_sqlite_give_no_error(embedded_server_with_buli2):
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from reviews.signing import sign_callback

    base, _, data_dir = embedded_server_with_buli2
    make_reviews = (  # one applicant each: the same card may be active once per applicant
        "from kyc.models import Profile, User\n"
        "from tests.reviews.documents import document_needing_review\n"
        "owners = [User.objects.create_user(email=f'cb{n}@example.com', password='x') for n in range(10)]\n"
        "[Profile.objects.create(user=owner) for owner in owners]\n"
        "print(','.join(str(document_needing_review(owner).manual_review.id) for owner in owners))"
    )
    env = {**embedded_env(data_dir), "BULI2_API_URL": "", "BULI2_API_KEY": "", "BULI2_SIGNATURE_SECRET": ""}
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", make_reviews],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    review_ids = made.stdout.strip().splitlines()[-1].split(",")

    def deliver(review_id: str) -> tuple[int, bool]:
        body = json.dumps(
            {"event_id": f"evt-{review_id}", "review_id": review_id, "decision": "approve", "reason": "ok"}
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-BULI2-Timestamp": timestamp,
            "X-BULI2-Signature": sign_callback(secret=BULI2_SECRET, timestamp=timestamp, body=body),
        }
        answer = requests.post(f"{base}/api/v1/reviews/callback", data=body, headers=headers, timeout=60)
        return answer.status_code, answer.json().get("replayed")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(deliver, review_ids))

    assert answers == [(200, False)] * 10
