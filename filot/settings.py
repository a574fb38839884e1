"""FiLot settings: one module, every value from the environment (see .env.example).

Two modes. Embedded (the default, no DATABASE_URL / REDIS_URL): SQLite and private
media under FILOT_DATA_DIR, dramatiq in-process. Production (DJANGO_ENV=production):
PostgreSQL, Redis, Cloudflare R2; start-up is refused with one message listing every
missing or malformed variable.
"""

import base64
import fcntl
import hashlib
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

from filot import sealing
from filot.environment import Environment
from filot.logging import build_logging

BASE_DIR = Path(__file__).resolve().parent.parent
env = Environment()

DJANGO_ENV = env.str("DJANGO_ENV", "development", choices={"development", "production"})
PRODUCTION = DJANGO_ENV == "production"
DATA_DIR = Path(env.str("FILOT_DATA_DIR", str(BASE_DIR / ".data"))).resolve()

# --- core ------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    env.problems.append("DJANGO_DEBUG must be false in production")


def private_data_dir(*files: Path) -> None:
    """DATA_DIR readable by its owner only, and these files in it too (created if missing)."""
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    DATA_DIR.chmod(0o700)
    for path in files:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)


def embedded_secret(name: str) -> str:
    """Outside production: a random secret made on first use and kept in DATA_DIR.

    Keeping it means sessions, tokens and encrypted NIKs survive a restart of `make run`.
    """
    path = DATA_DIR / f"{name}.secret"
    if path.exists() and (secret := path.read_text().strip()):
        return secret
    # Processes starting together (gunicorn's, a test's subprocesses) race here: one at a
    # time, under a lock on DATA_DIR, looks again and makes the secret if it is still
    # missing (or empty, left by a run cut short), written whole before it is renamed in.
    private_data_dir()
    lock = os.open(DATA_DIR, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists() or not path.read_text().strip():
            draft = DATA_DIR / f".{name}.{os.getpid()}"
            fd = os.open(draft, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            os.replace(draft, path)
        return path.read_text().strip()
    finally:
        os.close(lock)  # and with it the lock


# What this process is. OCR workers (GPU hosts) read images from storage and talk to
# Redis only (DESIGN.md): in production they get no database URL and no NIK keys.
FILOT_ROLE = env.str("FILOT_ROLE", "web", choices=("web", "worker", "ocr-worker"))
HOLDS_PERSONAL_DATA = PRODUCTION and FILOT_ROLE != "ocr-worker"  # requires the database and NIK keys
if PRODUCTION and FILOT_ROLE == "ocr-worker" and env.environ.get("DATABASE_URL", "").strip():
    env.problems.append(
        "FILOT_ROLE=ocr-worker must not be given DATABASE_URL: OCR workers hold no personal data"
    )

SECRET_KEY = env.secret(
    "DJANGO_SECRET_KEY",
    "" if PRODUCTION else embedded_secret("django-secret-key"),
    required=PRODUCTION,
    min_length=50,
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"], required=PRODUCTION)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Proxies in front of the web process (the ALB): how many X-Forwarded-For hops to trust.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", 1 if PRODUCTION else 0, minimum=0, maximum=5)
# ...and which peers are those proxies (CIDRs): X-Forwarded-For from anyone else is ignored.
TRUSTED_PROXY_ADDRESSES = env.list(
    "TRUSTED_PROXY_ADDRESSES",
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] if PRODUCTION else ["127.0.0.1/32", "::1/128"],
)
for _cidr in TRUSTED_PROXY_ADDRESSES:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError:
        env.problems.append(f"TRUSTED_PROXY_ADDRESSES holds {_cidr!r}, which is not an address or CIDR")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "filot",  # before django_dramatiq: its rundramatiq sizes the OCR worker
    "django_dramatiq",
    "kyc",
    "reviews",
    "ocr_gpu",
]

MIDDLEWARE = [
    # Outermost: work a request leaves for after its response (filot/deferred.py).
    "filot.deferred.AfterResponseMiddleware",
    "filot.correlation.CorrelationIdMiddleware",
    "filot.api.ApiResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the Host header (SecurityMiddleware exempts the probe paths).
    "filot.probes.ProbeHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Reviewers read the back office in Indonesian unless they chose English.
    "reviews.locale.BackOfficeLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "filot.api.JsonErrorMiddleware",
]

if PRODUCTION:
    # Serves the collected admin assets from the image; runserver does it in development.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "filot.urls"
# `manage.py api_benchmark` sets this in its own gunicorn's environment: the API plus
# the benchmark's ceiling endpoint (kyc/apibench/urls.py). Never in production.
API_BENCHMARK = env.bool("FILOT_API_BENCHMARK", False)
if API_BENCHMARK and PRODUCTION:
    env.problems.append("FILOT_API_BENCHMARK must not be set in production")
elif API_BENCHMARK:
    ROOT_URLCONF = "kyc.apibench.urls"
WSGI_APPLICATION = "filot.wsgi.application"
AUTH_USER_MODEL = "kyc.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The API answers in English unless a client asks for Indonesian (Accept-Language);
# the reviewers' back office (/admin/) starts in BACK_OFFICE_LANGUAGE.
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
BACK_OFFICE_LANGUAGE = "id"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- database --------------------------------------------------------------------
DATABASE_URL = env.url("DATABASE_URL", schemes=("postgres", "postgresql"), required=HOLDS_PERSONAL_DATA)
# A process frozen inside a transaction (SIGSTOP, a hung host) would hold its row locks
# for ever: PostgreSQL ends such a session, and its locks, after this.
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS = env.int(
    "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", 60_000, minimum=1_000, maximum=3_600_000
)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # A database that does not answer fails a request in seconds (503), not minutes.
            "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", 3, minimum=1, maximum=60),
            "options": f"-c idle_in_transaction_session_timeout={DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS}",
        }
    )
elif PRODUCTION:
    # A production OCR worker has no database at all: any query fails loudly (Django's
    # dummy backend) instead of reaching for personal data from the GPU fleet.
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
else:
    # Embedded: several threads (runserver, the in-process worker) write at once. WAL
    # lets readers run beside the writer, IMMEDIATE takes the write lock when a
    # transaction starts (no deadlock-prone upgrade from a read lock), and the busy
    # timeout makes a writer wait its turn instead of failing "database is locked".
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "filot.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
EMBEDDED_DATABASE = not DATABASE_URL and not PRODUCTION
if EMBEDDED_DATABASE:
    # ID-card data: the folder and the database file are the owner's only (SQLite gives
    # its -wal and -shm files the database file's mode).
    private_data_dir(DATA_DIR / "filot.sqlite3")

# --- Redis: broker and cache -----------------------------------------------------
REDIS_URL = env.url("REDIS_URL", schemes=("redis", "rediss"), required=PRODUCTION)
EMBEDDED_WORKER = not REDIS_URL
# A frozen Redis accepts connections and never answers, so only a socket timeout ends
# a call. Redis answers in well under a millisecond: a second is a stall, not a slow
# reply. The cache (rate-limit counters, failing open) waits REDIS_SOCKET_TIMEOUT_MS;
# after one failure every Redis call of the process (cache, broker send, readiness:
# the breaker is in the connection, filot/redis_client.py) fails at once for
# REDIS_BREAKER_SECONDS, then one trial call may wait again. An upload with Redis
# frozen thus costs ≤ 1 s of waiting (the first counter), then its broker send (after
# the response, on the same gunicorn thread) fails at once and is owed: the reaper
# sends it when Redis answers again. Per process, a frozen Redis costs one socket
# timeout per REDIS_BREAKER_SECONDS (≤ 1 s for a request, ≤ 2 s for the dispatch after
# a response), never one per call: measured 1.1 s for the first upload, 0.1 s after,
# readiness 0.02 s (tests/filot/test_dependency_faults.py).
REDIS_CONNECT_TIMEOUT_MS = env.int("REDIS_CONNECT_TIMEOUT_MS", 1_000, minimum=50, maximum=30_000)
REDIS_SOCKET_TIMEOUT_MS = env.int("REDIS_SOCKET_TIMEOUT_MS", 1_000, minimum=50, maximum=30_000)
REDIS_BREAKER_SECONDS = env.int("REDIS_BREAKER_SECONDS", 5, minimum=0, maximum=300)
# The broker's own calls (workers fetch with a Lua script that may do maintenance on
# large queues) get a little longer.
DRAMATIQ_SOCKET_TIMEOUT_MS = env.int("DRAMATIQ_SOCKET_TIMEOUT_MS", 2_000, minimum=100, maximum=60_000)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "filot.redis_client.FailFastRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_MS / 1000,
                "socket_timeout": REDIS_SOCKET_TIMEOUT_MS / 1000,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # One process holds every counter in embedded mode, so a local cache is shared enough.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# Recovery times (docs/DESIGN.md, "Faults and recovery"); the numbers work together,
# and the target is every document decided ≤ 90 s after the fault (or after Redis is
# back), the read itself included:
# - A SIGKILLed worker's messages stay in its ack set until its heartbeat is older than
#   DRAMATIQ_HEARTBEAT_TIMEOUT_MS and a maintenance pass runs. Live workers beat about
#   every second (each idle consumer polls at least once a second), so 30 s never
#   mistakes a busy worker for a dead one. Dramatiq runs maintenance only by chance
#   (DRAMATIQ_MAINTENANCE_CHANCE per million broker calls, per queue: with 1 in 200
#   and a few calls a second that alone averages over a minute), so the reaper runs it
#   on every pass: messages are back on their queue 30 s + at most
#   REAPER_INTERVAL_SECONDS (15 s) = ≤ 45 s after the kill, decided a read later
#   (≤ 90 s leaves 45 s for the reads of what the dead worker held and prefetched).
#   Measured 24-47 s for a SIGKILLed worker process, 45-59 s for 7 documents after a
#   kill -9 of the parent (its processes die at once: what they held comes back the
#   same way).
# - Messages lost with Redis's data (FLUSHALL, a restart without persistence) take
#   their in-flight markers with them; the next reaper pass (≤ 15 s) confirms the loss
#   after KYC_INFLIGHT_CONFIRM_MS = 2 x KYC_INFLIGHT_REFRESH_SECONDS + 1 s = 5 s (a read
#   in progress marks itself again within 2 s) and re-sends: ≤ 20 s after Redis
#   answers (measured 3-16 s), then the reads: ≤ 90 s holds while the OCR fleet reads
#   what was in flight within 70 s (on 2 shared cores: 50 documents 53 s and 73 s in
#   all; 94 documents 82 s at load 4-6, but 92-142 s at load 8-10; docs/DESIGN.md).
# - Anything else stuck (a worker alive but hung) is re-sent after
#   KYC_PROCESSING_TIMEOUT_SECONDS, above the OCR time limit (120 s) and any backlog.
DRAMATIQ_HEARTBEAT_TIMEOUT_MS = env.int("DRAMATIQ_HEARTBEAT_TIMEOUT_MS", 30_000, minimum=5_000)
DRAMATIQ_MAINTENANCE_CHANCE = env.int("DRAMATIQ_MAINTENANCE_CHANCE", 5_000, minimum=1, maximum=100_000)
DRAMATIQ_BROKER = {
    "BROKER": "filot.broker.RedisBroker" if REDIS_URL else "dramatiq.brokers.stub.StubBroker",
    "OPTIONS": (
        {
            "url": REDIS_URL,
            "heartbeat_timeout": DRAMATIQ_HEARTBEAT_TIMEOUT_MS,
            "maintenance_chance": DRAMATIQ_MAINTENANCE_CHANCE,
            "connect_timeout_ms": REDIS_CONNECT_TIMEOUT_MS,
            "socket_timeout_ms": DRAMATIQ_SOCKET_TIMEOUT_MS,
        }
        if REDIS_URL
        else {}
    ),
    # No django_dramatiq AdminMiddleware: it copies message arguments into the database.
    "MIDDLEWARE": [
        # First: its after-hooks run last, so messages sent from other middleware's
        # after-hooks (retries exhausted, pipelines) still carry the correlation id.
        "filot.broker.CorrelationMiddleware",
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.ShutdownNotifications",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Pipelines",
        "dramatiq.middleware.Retries",
        "dramatiq.middleware.CurrentMessage",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        "filot.broker.SchemaVersionMiddleware",
        "ocr_gpu.middleware.WarmUpEngine",
        # After CorrelationMiddleware, so its queue-pull log line carries the correlation id.
        "ocr_gpu.providers.CpuFallbackMiddleware",
        "filot.worker_http.WorkerHttpMiddleware",
        "filot.broker.InFlightMarkers",
        "filot.broker.WorkerPeriodicJobs",
        "filot.worker_group.WorkerGroupMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

# Each worker host serves /health and /metrics on this port from inside rundramatiq
# (filot/worker_http.py); 0 serves nothing (the default outside production).
WORKER_HTTP_PORT = env.int("WORKER_HTTP_PORT", 8080 if PRODUCTION else 0, minimum=0, maximum=65535)
WORKER_HTTP_HOST = env.str("WORKER_HTTP_HOST", "0.0.0.0" if PRODUCTION else "127.0.0.1")  # noqa: S104
# A worker process whose parent died stops gracefully at once, and exits this much later
# if it has not (filot/worker_group.py).
WORKER_ORPHAN_EXIT_SECONDS = env.int("WORKER_ORPHAN_EXIT_SECONDS", 30, minimum=1, maximum=600)
# Health checks a worker runs besides the broker's, by the queue it consumes.
WORKER_HEALTH_CHECKS = {"ocr-gpu": {"ocr_engine": "ocr_gpu.providers.check_onnx_providers"}}

# --- storage ---------------------------------------------------------------------
R2_NAMES = ("CF_R2_ENDPOINT", "CF_R2_ACCESS_KEY_ID", "CF_R2_SECRET_ACCESS_KEY", "CF_R2_BUCKET_NAME")
R2_CONFIGURED = env.together(R2_NAMES, required=PRODUCTION)
CF_R2_ENDPOINT = env.url("CF_R2_ENDPOINT", schemes=("https", "http"))
CF_R2_ACCESS_KEY_ID = env.str("CF_R2_ACCESS_KEY_ID")
CF_R2_SECRET_ACCESS_KEY = env.str("CF_R2_SECRET_ACCESS_KEY")
CF_R2_BUCKET_NAME = env.str("CF_R2_BUCKET_NAME")
SIGNED_URL_SECONDS = env.int("SIGNED_URL_SECONDS", 300, minimum=30, maximum=3600)
MEDIA_ROOT = DATA_DIR / "media"
# Never routed: media is reachable only through authorized views or signed URLs.
MEDIA_URL = "/private-media-is-not-served/"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
if R2_CONFIGURED:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": CF_R2_ENDPOINT,
            "access_key": CF_R2_ACCESS_KEY_ID,
            "secret_key": CF_R2_SECRET_ACCESS_KEY,
            "bucket_name": CF_R2_BUCKET_NAME,
            "region_name": "auto",
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": SIGNED_URL_SECONDS,
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API and auth ----------------------------------------------------------------
JWT_SECRET = env.secret("JWT_SECRET", SECRET_KEY, required=HOLDS_PERSONAL_DATA, min_length=32)
SERVICE_INTERNAL_KEY = env.secret("SERVICE_INTERNAL_KEY", "", required=PRODUCTION, min_length=32)

# NIK encryption at rest: Fernet keys, newest first (the first encrypts, all decrypt,
# so a new key is prepended to rotate). The blind-index key never rotates without a
# re-index, since it is what duplicate-identity look-ups match on.
NIK_ENCRYPTION_KEYS = env.list("NIK_ENCRYPTION_KEYS", required=HOLDS_PERSONAL_DATA) or [
    base64.urlsafe_b64encode(hashlib.sha256(f"nik-encryption:{SECRET_KEY}".encode()).digest()).decode()
]
for _key in NIK_ENCRYPTION_KEYS:
    try:
        if len(base64.urlsafe_b64decode(_key.encode())) != 32:
            raise ValueError
    except ValueError:
        env.problems.append("NIK_ENCRYPTION_KEYS must be Fernet keys (url-safe base64 of 32 bytes)")
        break
# Readings (what the OCR read off a card) are sealed in storage to this public key;
# the private half is derived from NIK_ENCRYPTION_KEYS (filot/sealing.py), so OCR
# workers can write readings they cannot read. Default: the newest ring key's public
# key (`manage.py reading_public_key` prints it); GPU hosts in production must be given it.
_SEALS_ONLY = PRODUCTION and FILOT_ROLE == "ocr-worker"
READING_PUBLIC_KEY = env.str(
    "READING_PUBLIC_KEY",
    "" if _SEALS_ONLY else sealing.public_key_text(sealing.private_key_from_ring_key(NIK_ENCRYPTION_KEYS[0])),
    required=_SEALS_ONLY,
)
if (READING_PUBLIC_KEY or not _SEALS_ONLY) and not sealing.valid_public_key(READING_PUBLIC_KEY):
    env.problems.append("READING_PUBLIC_KEY must be set to base64url of a 32-byte X25519 public key")
NIK_BLIND_INDEX_KEY = env.secret(
    "NIK_BLIND_INDEX_KEY",
    hashlib.sha256(f"nik-blind-index:{SECRET_KEY}".encode()).hexdigest(),
    required=HOLDS_PERSONAL_DATA,
    min_length=32,
)

# --- documents -------------------------------------------------------------------
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", 2 * 1024 * 1024, minimum=1024, maximum=50 * 1024 * 1024)
DOCUMENT_MAX_PIXELS = 40_000_000
DOCUMENT_MIN_WIDTH = 320
DOCUMENT_MIN_HEIGHT = 200
# Upload memory (kyc/validators.py): a JPEG whose long side is at least twice this is
# decoded at reduced scale (1/2, 1/4, 1/8) keeping the long side >= this; and one web
# process decodes at most this many MB of pixels at once (a 40 MP RGB image counts
# 320 MB: it decodes alone). Eight concurrent uploads at the limits then add < 300 MB.
DOCUMENT_DECODE_LONG_SIDE = env.int("DOCUMENT_DECODE_LONG_SIDE", 3000, minimum=1000, maximum=20_000)
DOCUMENT_DECODE_BUDGET_MB = env.int("DOCUMENT_DECODE_BUDGET_MB", 160, minimum=16, maximum=4096)
# Bodies above these are refused by Django before they are read into memory; the
# multipart envelope adds a little to the file itself.
DATA_UPLOAD_MAX_MEMORY_SIZE = DOCUMENT_MAX_BYTES + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DOCUMENT_MAX_BYTES + 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
DATA_UPLOAD_MAX_NUMBER_FILES = 1
UPLOAD_RATE_LIMIT = env.str("UPLOAD_RATE_LIMIT", "30/h")
AUTH_RATE_LIMIT = env.str("AUTH_RATE_LIMIT", "10/m")
# Wrong passwords for one account from one address: this many free, then a wait that
# doubles with each further failure, up to the cap; forgotten after the window.
AUTH_FAILURES_BEFORE_BACKOFF = 5
AUTH_BACKOFF_BASE_SECONDS = 2
AUTH_BACKOFF_MAX_SECONDS = 15 * 60
AUTH_FAILURE_WINDOW_SECONDS = 24 * 60 * 60
VERIFY_RATE_LIMIT = env.str("VERIFY_RATE_LIMIT", "120/m")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["kyc.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "filot.parsers.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "filot.api.Pagination",
    "EXCEPTION_HANDLER": "filot.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "SIGNING_KEY": JWT_SECRET,
    "ALGORITHM": "HS256",
    "USER_ID_FIELD": "id",
    # Tokens carry a fingerprint of the password hash: a password change ends them all.
    "CHECK_REVOKE_TOKEN": True,
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "FiLot KYC API",
    "DESCRIPTION": "Identity-document verification for Indonesian KTP and NPWP cards.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "filot.openapi_examples.add_examples",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "kyc.models.Status",
        "ApplicantStatusEnum": "kyc.integrations.models.ApplicantStatus",
        "WebhookEventEnum": "kyc.integrations.models.WebhookEvent",
        "ReasonCodeEnum": "kyc.integrations.schema.REASON_CODE_CHOICES",
        "RetakeHintEnum": "kyc.integrations.schema.RETAKE_HINT_CHOICES",
        "DecisionEnum": "kyc.integrations.schema.DECISION_CHOICES",
    },
}
# Integrator API v2 (kyc/integrations/): the description carries the webhook guide.
SPECTACULAR_SETTINGS["DESCRIPTION"] += "\n\n" + (BASE_DIR / "docs" / "WEBHOOKS.md").read_text()

RATELIMIT_VIEW = "filot.api.ratelimited"
RATELIMIT_IP_META_KEY = "filot.network.client_ip"
HEALTH_RATE_LIMIT = env.str("HEALTH_RATE_LIMIT", "120/m")
# /health/ready answers within this, whatever its checks do (the ALB's health-check
# timeout is 5 s: deploy/ecs); a check still running then counts as down.
READINESS_TIMEOUT_MS = env.int("READINESS_TIMEOUT_MS", 2_000, minimum=100, maximum=30_000)

# --- BULI2, the external review service ------------------------------------------
BULI2_NAMES = ("BULI2_API_URL", "BULI2_API_KEY", "BULI2_SIGNATURE_SECRET", "BULI2_CALLBACK_URL")
BULI2_ENABLED = env.together(BULI2_NAMES, why=" when BULI2 is enabled")
BULI2_API_URL = env.url("BULI2_API_URL", schemes=("https", "http"))
BULI2_CALLBACK_URL = env.url("BULI2_CALLBACK_URL", schemes=("https", "http"))
BULI2_API_KEY = env.secret("BULI2_API_KEY", "", required=BULI2_ENABLED, min_length=16)
BULI2_SIGNATURE_SECRET = env.secret("BULI2_SIGNATURE_SECRET", "", required=BULI2_ENABLED, min_length=32)
# Outbound calls: one request's timeout, then retries with exponential backoff and
# jitter on network errors, 5xx and 429; after BULI2_BREAKER_FAIL_MAX consecutive
# failed calls the circuit opens for BULI2_BREAKER_RESET_SECONDS (then one trial call).
BULI2_TIMEOUT_SECONDS = env.int("BULI2_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
BULI2_RETRY_ATTEMPTS = env.int("BULI2_RETRY_ATTEMPTS", 4, minimum=1, maximum=10)
BULI2_RETRY_BASE_MS = env.int("BULI2_RETRY_BASE_MS", 500, minimum=1, maximum=60_000)
BULI2_RETRY_MAX_MS = env.int("BULI2_RETRY_MAX_MS", 10_000, minimum=1, maximum=300_000)
BULI2_BREAKER_FAIL_MAX = env.int("BULI2_BREAKER_FAIL_MAX", 5, minimum=1, maximum=100)
BULI2_BREAKER_RESET_SECONDS = env.int("BULI2_BREAKER_RESET_SECONDS", 60, minimum=1, maximum=3600)
# A signed callback older (or further in the future) than this is refused.
BULI2_CALLBACK_MAX_AGE_SECONDS = 300

# --- reviewers' back office ----------------------------------------------------------
# How long a reviewer's claim on a review holds before anyone else may take it.
REVIEW_CLAIM_MINUTES = env.int("REVIEW_CLAIM_MINUTES", 30, minimum=1, maximum=24 * 60)
# How long an applicant may wait for a reviewer before the review is late (the SLA).
REVIEW_SLA_HOURS = env.int("REVIEW_SLA_HOURS", 24, minimum=1, maximum=24 * 14)
# Admin log-in attempts (POSTs) per client address and per email.
ADMIN_LOGIN_RATE_LIMIT = env.str("ADMIN_LOGIN_RATE_LIMIT", "5/m")

# --- OCR -------------------------------------------------------------------------
OCR_GPU_ENABLED = env.bool("OCR_GPU_ENABLED", False)
OCR_GPU_AUTOFALLBACK = env.bool("OCR_GPU_AUTOFALLBACK", True)
OCR_GPU_CONCURRENCY = env.int("OCR_GPU_CONCURRENCY", 1, minimum=1, maximum=64)
OCR_GPU_MAX_RETRIES = env.int("OCR_GPU_MAX_RETRIES", 3, minimum=0, maximum=20)
OCR_GPU_PUBLISH_CHANNEL = env.str("OCR_GPU_PUBLISH_CHANNEL", "filot:ocr:gpu:results")
OCR_DETECTION_MODEL_PATH = env.str("OCR_DETECTION_MODEL_PATH", "")
OCR_SECOND_OPINION = env.bool("OCR_SECOND_OPINION", True)
# Retries of a failed OCR read: exponential backoff with jitter between these bounds.
OCR_RETRY_MIN_BACKOFF_MS = env.int("OCR_RETRY_MIN_BACKOFF_MS", 2_000, minimum=100)
OCR_RETRY_MAX_BACKOFF_MS = env.int("OCR_RETRY_MAX_BACKOFF_MS", 60_000, minimum=100)

# --- decisions and the stuck-document reaper ----------------------------------------
KYC_APPROVE_ABOVE = env.int("KYC_APPROVE_ABOVE", 85, minimum=0, maximum=100)
KYC_REJECT_BELOW = env.int("KYC_REJECT_BELOW", 35, minimum=0, maximum=100)
if KYC_REJECT_BELOW > KYC_APPROVE_ABOVE:
    env.problems.append("KYC_REJECT_BELOW must not be above KYC_APPROVE_ABOVE.")
# A document in `processing` this long after its OCR message was sent is re-sent...
KYC_PROCESSING_TIMEOUT_SECONDS = env.int("KYC_PROCESSING_TIMEOUT_SECONDS", 300, minimum=10)
# ... until it has been tried this many times; then it moves to `failed`.
KYC_MAX_ATTEMPTS = env.int("KYC_MAX_ATTEMPTS", 3, minimum=1, maximum=20)
# An OCR message owed but not on the broker (broker down at upload) is sent after this.
KYC_DISPATCH_GRACE_SECONDS = env.int("KYC_DISPATCH_GRACE_SECONDS", 15, minimum=1)
# In-flight markers (filot/broker.py InFlightMarkers): set with each message, kept
# while the broker may hold it (a queue backlog far shorter than this), refreshed by
# the worker reading it.
KYC_INFLIGHT_MARKER_TTL_SECONDS = env.int("KYC_INFLIGHT_MARKER_TTL_SECONDS", 86_400, minimum=600)
KYC_INFLIGHT_REFRESH_SECONDS = env.int("KYC_INFLIGHT_REFRESH_SECONDS", 2, minimum=1, maximum=60)
# A marker missing at one look is looked for again this much later (2 x 2 s + 1 s: a
# read in progress has marked itself again by then); still missing, the message is lost.
KYC_INFLIGHT_CONFIRM_MS = env.int("KYC_INFLIGHT_CONFIRM_MS", 5_000, minimum=0, maximum=60_000)
# How often the reaper runs: in the embedded worker, and in every worker process that
# reaches the database (one pass per interval across the fleet; production keeps the
# ECS scheduled task as a backstop).
REAPER_INTERVAL_SECONDS = env.int("REAPER_INTERVAL_SECONDS", 15, minimum=1)
REAPER_IN_WORKERS = env.bool("REAPER_IN_WORKERS", True)
# The reaper never waits on a lock: rows another transaction holds are skipped (the next
# pass sees them); any other lock wait and any statement are cut at these; a pass
# stops taking documents after REAPER_PASS_SECONDS (the rest wait for the next one).
REAPER_LOCK_TIMEOUT_MS = env.int("REAPER_LOCK_TIMEOUT_MS", 1_000, minimum=10, maximum=60_000)
REAPER_STATEMENT_TIMEOUT_MS = env.int("REAPER_STATEMENT_TIMEOUT_MS", 5_000, minimum=100, maximum=300_000)
REAPER_PASS_SECONDS = env.int("REAPER_PASS_SECONDS", 20, minimum=1, maximum=3_600)

# --- personal data (UU PDP; docs/DESIGN.md, "Personal data") -------------------------
# Images and readings of documents decided (or abandoned) this many days ago are purged.
RETENTION_DAYS = env.int("RETENTION_DAYS", 365, minimum=1)
# How often the embedded worker runs the retention purge (production: an ECS scheduled task).
PURGE_INTERVAL_SECONDS = env.int("PURGE_INTERVAL_SECONDS", 3600, minimum=60)
# The privacy notice an upload's consent refers to; stored with each consent.
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", "2026-01")
# How long a reviewer's audited NIK reveal stays usable for the one page view it allows.
NIK_REVEAL_SECONDS = env.int("NIK_REVEAL_SECONDS", 300, minimum=10, maximum=3600)

# --- client webhooks (kyc/integrations/delivery.py) ------------------------------
# Private, loopback and link-local targets are refused unless this is true (tests and
# the embedded mode, where a receiver on 127.0.0.1 is the point).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", EMBEDDED_DATABASE)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1, maximum=30)
# Wait before each attempt, in seconds: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
# (about 27.6 h in all); after the last one the delivery is `failed`.
WEBHOOK_RETRY_STEPS = env.list(
    "WEBHOOK_RETRY_SCHEDULE_SECONDS", ["0", "5", "300", "1800", "7200", "18000", "36000", "36000"]
)
if not all(step.isdigit() for step in WEBHOOK_RETRY_STEPS) or not WEBHOOK_RETRY_STEPS:
    env.problems.append("WEBHOOK_RETRY_SCHEDULE_SECONDS must be whole seconds separated by commas")
WEBHOOK_RETRY_SCHEDULE_SECONDS = [int(step) for step in WEBHOOK_RETRY_STEPS if step.isdigit()] or [0]
# An attempt holds its delivery this long; past it (worker killed) the sweep re-sends.
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", 60, minimum=10)
# A pending delivery overdue by this much is re-sent by the sweep, run this often by the
# embedded worker (production: the ECS scheduled task `sweep_webhook_outbox`).
WEBHOOK_SWEEP_GRACE_SECONDS = env.int("WEBHOOK_SWEEP_GRACE_SECONDS", 60, minimum=1)
WEBHOOK_SWEEP_INTERVAL_SECONDS = env.int("WEBHOOK_SWEEP_INTERVAL_SECONDS", 60, minimum=1)
# Requests per API key (applicants and webhook endpoints).
API_KEY_RATE_LIMIT = env.str("API_KEY_RATE_LIMIT", "600/m")

# --- security (production) -------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = PRODUCTION
# The load balancer and the container health check probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health(/|$)", r"^metrics$"]
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
X_FRAME_OPTIONS = "DENY"

# --- metrics ---------------------------------------------------------------------
# prometheus-client's multiprocess folder (filot/metrics.py reads it from the
# environment): named but missing, every process would die on its first metric.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    env.problems.append(
        f"PROMETHEUS_MULTIPROC_DIR names {PROMETHEUS_MULTIPROC_DIR}, which is not a folder: "
        "create it (the images' entry point does) or unset the variable"
    )

# --- logging ---------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", "INFO", choices={"DEBUG", "INFO", "WARNING", "ERROR"})
LOG_JSON = env.bool("LOG_JSON", PRODUCTION)
LOGGING_CONFIG = None
build_logging(
    json=LOG_JSON,
    level=LOG_LEVEL,
    secrets=[
        SECRET_KEY,
        JWT_SECRET,
        SERVICE_INTERNAL_KEY,
        NIK_BLIND_INDEX_KEY,
        *NIK_ENCRYPTION_KEYS,
        CF_R2_SECRET_ACCESS_KEY,
        BULI2_API_KEY,
        BULI2_SIGNATURE_SECRET,
    ],
    urls=[DATABASE_URL, REDIS_URL],
)

env.raise_if_problems()
