"""Production settings refuse to start on bad configuration, listing every problem at once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from filot import sealing

ROOT = Path(__file__).resolve().parents[2]

VALID_PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "k3J9-vQ2pX7_mL4nR8sT1wY6zB0cD5fG" * 2,
    "DJANGO_ALLOWED_HOSTS": "kyc.example.com",
    "DATABASE_URL": "postgres://filot:pw@db.internal:5432/filot",
    "REDIS_URL": "rediss://:pw@redis.internal:6379/0",
    "CF_R2_ENDPOINT": "https://acct.r2.cloudflarestorage.com",
    "CF_R2_ACCESS_KEY_ID": "key-id",
    "CF_R2_SECRET_ACCESS_KEY": "secret-access-key",
    "CF_R2_BUCKET_NAME": "filot-docs",
    "JWT_SECRET": "jwt-Q8mN2vB7xK4pL9sD3fG6hJ1-w5Ee0rT",
    "NIK_ENCRYPTION_KEYS": "ZXhhbXBsZS1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXM=",
    "NIK_BLIND_INDEX_KEY": "blind-Z7xC4vB1nM8qW2eR5tY9uI3oP6",
    "SERVICE_INTERNAL_KEY": "svc-R5tY8uI2oP6aS9dF3gH7jK1-c4Vb9nM",
}

# The public key of VALID_PRODUCTION's NIK key (`manage.py reading_public_key` prints it).
READING_PUBLIC_KEY = sealing.public_key_text(
    sealing.private_key_from_ring_key(VALID_PRODUCTION["NIK_ENCRYPTION_KEYS"])
)


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CF_R2_", "BULI2_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_a_malformed_redis_url_and_a_missing_secret_in_one_message():
    env = {**VALID_PRODUCTION, "REDIS_URL": "http://redis.internal:6379"}
    del env["JWT_SECRET"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert result.stderr.startswith("FiLot cannot start: 2 configuration problem(s)")
    assert "Traceback" not in result.stderr
    assert "REDIS_URL must be a redis:// or rediss:// URL" in result.stderr
    assert "JWT_SECRET is required" in result.stderr


def test_it_lists_every_missing_production_variable():
    result = manage("check", env={"DJANGO_ENV": "production"})
    assert result.returncode != 0
    for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "JWT_SECRET", "SERVICE_INTERNAL_KEY"):
        assert f"{name} is required" in result.stderr
    assert "CF_R2_ENDPOINT, CF_R2_ACCESS_KEY_ID, CF_R2_SECRET_ACCESS_KEY, CF_R2_BUCKET_NAME are required" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"DATABASE_URL": "mysql://db/filot"}, "DATABASE_URL must be a postgres:// or postgresql:// URL"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET must be at least 32 characters long"),
        ({"DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY must be at least 50 characters long"),
        ({"JWT_SECRET": "a" * 40}, "JWT_SECRET must not repeat so few characters"),
        ({"CF_R2_BUCKET_NAME": ""}, "must be set together; missing: CF_R2_BUCKET_NAME"),
        ({"BULI2_API_URL": "https://buli2.example.com"}, "when BULI2 is enabled; missing: BULI2_API_KEY"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must be false in production"),
        ({"OCR_GPU_CONCURRENCY": "many"}, "OCR_GPU_CONCURRENCY must be a whole number"),
    ],
)
def test_it_refuses_each_malformed_production_setting(changes, expected):
    result = manage("check", env={**VALID_PRODUCTION, **changes})
    assert result.returncode != 0
    assert expected in result.stderr


def test_a_complete_production_configuration_passes_the_deploy_checks_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=VALID_PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_embedded_mode_needs_no_configuration_at_all(tmp_path):
    result = manage("check", env={"FILOT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr


def test_migrations_match_the_models():
    result = manage("makemigrations", "--check", "--dry-run", env={})
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_production_ocr_worker_needs_no_database_or_nik_keys_and_cannot_query():
    personal = ("DATABASE_URL", "JWT_SECRET", "NIK_ENCRYPTION_KEYS", "NIK_BLIND_INDEX_KEY")
    env = {k: v for k, v in VALID_PRODUCTION.items() if k not in personal}
    env["FILOT_ROLE"] = "ocr-worker"
    env["READING_PUBLIC_KEY"] = READING_PUBLIC_KEY
    probe = (
        "from django.db import connection; from django.core.exceptions import ImproperlyConfigured\n"
        "try:\n    connection.cursor()\nexcept ImproperlyConfigured:\n    print('no database')"
    )
    result = manage("shell", "-c", probe, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("no database")

    result = manage("check", env={**env, "FILOT_ROLE": "web"})
    assert "DATABASE_URL is required" in result.stderr
    assert "NIK_ENCRYPTION_KEYS is required" in result.stderr


def test_a_production_ocr_worker_is_refused_without_the_public_key_it_seals_readings_to():
    personal = ("DATABASE_URL", "JWT_SECRET", "NIK_ENCRYPTION_KEYS", "NIK_BLIND_INDEX_KEY")
    env = {k: v for k, v in VALID_PRODUCTION.items() if k not in personal}
    env["FILOT_ROLE"] = "ocr-worker"

    result = manage("check", env=env)
    assert result.returncode != 0
    assert "READING_PUBLIC_KEY is required" in result.stderr

    result = manage("check", env={**env, "READING_PUBLIC_KEY": "not-a-key"})
    assert "READING_PUBLIC_KEY must be set" in result.stderr


def test_a_production_ocr_worker_given_a_database_url_is_refused():
    result = manage("check", env={**VALID_PRODUCTION, "FILOT_ROLE": "ocr-worker"})
    assert result.returncode != 0
    assert "FILOT_ROLE=ocr-worker must not be given DATABASE_URL" in result.stderr


def test_processes_starting_together_share_one_whole_embedded_secret(tmp_path):
    """The embedded secrets are made on first use: processes starting at the same moment
    (gunicorn's workers, `make run`'s) must all read the one secret written whole,
    never an empty file another process has only just created."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CF_R2_", "BULI2_"))}
    env = {**clean, "FILOT_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "filot.settings"}
    script = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    for leftover in (False, True):
        if leftover:  # an empty secret file, left by a run cut short
            (tmp_path / "data").mkdir(mode=0o700, exist_ok=True)
            (tmp_path / "data" / "django-secret-key.secret").touch(mode=0o600)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(5)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]
        assert all(process.returncode == 0 for process in processes), [
            err.decode()[-500:] for _, err in outputs
        ]
        secrets = {out.decode().strip() for out, _ in outputs}
        assert len(secrets) == 1 and len(secrets.pop()) >= 50
        assert sorted(p.name for p in (tmp_path / "data").iterdir() if p.name.startswith(".")) == []
        for path in (tmp_path / "data").glob("*.secret"):
            assert path.stat().st_mode & 0o777 == 0o600
            path.unlink()
