"""FiLot settings: one module, every value from the environment (see .env.example).

Two modes. Embedded (the default, no DATABASE_URL / REDIS_URL): SQLite and private
media under FILOT_DATA_DIR, dramatiq in-process. Production (DJANGO_ENV=production):
PostgreSQL, Redis, Cloudflare R2; start-up is refused with one message listing every
missing or malformed variable.
"""

import base64
import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

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


def embedded_secret(name: str) -> str:
    """Outside production: a random secret made on first use and kept in DATA_DIR.

    Keeping it means sessions, tokens and encrypted NIKs survive a restart of `make run`.
    """
    path = DATA_DIR / f"{name}.secret"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


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
    "filot",  # before django_dramatiq: its rundramatiq sizes the OCR worker
    "django_dramatiq",
    "kyc",
    "reviews",
    "ocr_gpu",
]

MIDDLEWARE = [
    "filot.correlation.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the Host header (SecurityMiddleware exempts the probe paths).
    "filot.probes.ProbeHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "filot.urls"
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- database --------------------------------------------------------------------
DATABASE_URL = env.url("DATABASE_URL", schemes=("postgres", "postgresql"), required=HOLDS_PERSONAL_DATA)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
elif PRODUCTION:
    # A production OCR worker has no database at all: any query fails loudly (Django's
    # dummy backend) instead of reaching for personal data from the GPU fleet.
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "filot.sqlite3")}}
EMBEDDED_DATABASE = not DATABASE_URL and not PRODUCTION

# --- Redis: broker and cache -----------------------------------------------------
REDIS_URL = env.url("REDIS_URL", schemes=("redis", "rediss"), required=PRODUCTION)
EMBEDDED_WORKER = not REDIS_URL
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # One process holds every counter in embedded mode, so a local cache is shared enough.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# A dead worker's unacknowledged messages return to the queue only after the
# heartbeat timeout, and only during a maintenance pass run with this chance (per
# 1,000,000 broker operations). Defaults (60 s, 1 in 1,000) leave lost work waiting for
# minutes; the database reaper covers whatever the broker misses.
DRAMATIQ_HEARTBEAT_TIMEOUT_MS = env.int("DRAMATIQ_HEARTBEAT_TIMEOUT_MS", 30_000, minimum=5_000)
DRAMATIQ_MAINTENANCE_CHANCE = env.int("DRAMATIQ_MAINTENANCE_CHANCE", 5_000, minimum=1, maximum=100_000)
DRAMATIQ_BROKER = {
    "BROKER": "dramatiq.brokers.redis.RedisBroker" if REDIS_URL else "dramatiq.brokers.stub.StubBroker",
    "OPTIONS": (
        {
            "url": REDIS_URL,
            "heartbeat_timeout": DRAMATIQ_HEARTBEAT_TIMEOUT_MS,
            "maintenance_chance": DRAMATIQ_MAINTENANCE_CHANCE,
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
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

# Each worker host serves /health and /metrics on this port from inside rundramatiq
# (filot/worker_http.py); 0 serves nothing (the default outside production).
WORKER_HTTP_PORT = env.int("WORKER_HTTP_PORT", 8080 if PRODUCTION else 0, minimum=0, maximum=65535)
WORKER_HTTP_HOST = env.str("WORKER_HTTP_HOST", "0.0.0.0" if PRODUCTION else "127.0.0.1")  # noqa: S104
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
# Bodies above these are refused by Django before they are read into memory; the
# multipart envelope adds a little to the file itself.
DATA_UPLOAD_MAX_MEMORY_SIZE = DOCUMENT_MAX_BYTES + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DOCUMENT_MAX_BYTES + 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
DATA_UPLOAD_MAX_NUMBER_FILES = 1
UPLOAD_RATE_LIMIT = env.str("UPLOAD_RATE_LIMIT", "30/h")
AUTH_RATE_LIMIT = env.str("AUTH_RATE_LIMIT", "10/m")
VERIFY_RATE_LIMIT = env.str("VERIFY_RATE_LIMIT", "120/m")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
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
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FiLot KYC API",
    "DESCRIPTION": "Identity-document verification for Indonesian KTP and NPWP cards.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

RATELIMIT_VIEW = "filot.api.ratelimited"
RATELIMIT_IP_META_KEY = "filot.network.client_ip"
HEALTH_RATE_LIMIT = env.str("HEALTH_RATE_LIMIT", "120/m")

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
# Admin log-in attempts (POSTs) per client address and per email.
ADMIN_LOGIN_RATE_LIMIT = env.str("ADMIN_LOGIN_RATE_LIMIT", "5/m")

# --- OCR -------------------------------------------------------------------------
OCR_GPU_ENABLED = env.bool("OCR_GPU_ENABLED", False)
OCR_GPU_AUTOFALLBACK = env.bool("OCR_GPU_AUTOFALLBACK", True)
OCR_GPU_CONCURRENCY = env.int("OCR_GPU_CONCURRENCY", 1, minimum=1, maximum=64)
OCR_GPU_MAX_RETRIES = env.int("OCR_GPU_MAX_RETRIES", 3, minimum=0, maximum=20)
OCR_GPU_PUBLISH_CHANNEL = env.str("OCR_GPU_PUBLISH_CHANNEL", "filot:ocr:gpu:results")
OCR_DETECTION_MODEL_PATH = env.str("OCR_DETECTION_MODEL_PATH", "")
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
# How often the embedded worker runs the reaper (production: an ECS scheduled task).
REAPER_INTERVAL_SECONDS = env.int("REAPER_INTERVAL_SECONDS", 30, minimum=1)

# --- personal data (UU PDP; docs/DESIGN.md, "Personal data") -------------------------
# Images and readings of documents decided (or abandoned) this many days ago are purged.
RETENTION_DAYS = env.int("RETENTION_DAYS", 365, minimum=1)
# How often the embedded worker runs the retention purge (production: an ECS scheduled task).
PURGE_INTERVAL_SECONDS = env.int("PURGE_INTERVAL_SECONDS", 3600, minimum=60)
# The privacy notice an upload's consent refers to; stored with each consent.
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", "2026-01")
# How long a reviewer's audited NIK reveal stays usable for the one page view it allows.
NIK_REVEAL_SECONDS = env.int("NIK_REVEAL_SECONDS", 300, minimum=10, maximum=3600)

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
