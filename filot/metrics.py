"""Prometheus metrics: the contract names, scrape-time collectors and the `/metrics` view.

Processes. The web runs as several gunicorn workers and each worker host runs
`rundramatiq` with several processes, so a metric recorded in one process must be
seen by a scrape answered by another. We use prometheus_client's multiprocess mode:
when `PROMETHEUS_MULTIPROC_DIR` names a folder (the images set it, and their entry
point empties it at start), every process writes its values to memory-mapped files
there and a scrape merges them all. Gauges say how they merge (`livesum`: jobs in
flight add up across the live processes). Without the variable (tests, `make run`)
the ordinary in-process registry is used. Gunicorn's `child_exit` hook
(deploy/gunicorn.conf.py) removes a dead worker's live gauges. The alternative, a
push gateway or one exporter per process, needs another service or one port per
process; the folder needs neither.

What is recorded where. Counters and histograms are recorded in the process that
does the work. The OCR worker: GPU jobs in flight and their time, recorded around
every `ocr-gpu` message by filot/worker_http.py (actors must not record them again),
and CPU fallbacks (ocr_gpu/providers.py). The `default`-queue worker: decisions and
the time from upload to the automated one, and BULI2 retries (the BULI2 client
increments them). The web: reviewers' decisions. The deciding services
(`kyc.services.decisions.decide_document`, `reviews.services.complete_manual_review`)
call `record_decision` once their transaction commits, so a rolled-back decision is
never counted.
Each worker host serves its own merged metrics on its port 8080
(filot/worker_http.py); the web serves its own at `/metrics`, plus two scrape-time
collectors that only the web runs, because they read shared state rather than the
process's own: `filot_queue_length` (Redis) and `filot_documents` (PostgreSQL).
Prometheus (or the CloudWatch agent, deploy/monitoring) scrapes both.

Access rule. `/metrics` is internal. It answers only a request carrying
`Authorization: Bearer <SERVICE_INTERNAL_KEY>`: no credentials is 401, a wrong key
is 403, and with no key configured (development) it is always 403. The ALB also
never forwards `/metrics` (deploy/runbook.md): scrapers reach tasks on their
private addresses. The worker's 8080 server applies the same rule.
"""

import datetime as dt
import hmac
import os
from collections.abc import Iterable, Iterator

import redis
import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from filot.queues import QUEUES

log = structlog.get_logger(__name__)
# `*_created` timestamps double the series and mean nothing to our dashboards.
disable_created_metrics()

# The Redis key prefix of dramatiq's Redis broker.
BROKER_NAMESPACE = "dramatiq"

_MS_FAST = (5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000)
_MS_SLOW = (250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 900_000, 3_600_000)

# --- recorded by the code that does the work (contract names) ----------------------
GPU_ACTIVE_JOBS = Gauge(
    "filot_gpu_active_jobs", "OCR jobs being processed right now.", multiprocess_mode="livesum"
)
GPU_PROCESSING_TIME_MS = Histogram(
    "filot_gpu_processing_time_ms", "Time to read one document on an OCR worker, in ms.", buckets=_MS_FAST
)
VERIFICATION_LATENCY_MS = Histogram(
    "filot_verification_latency_ms",
    "Time from upload to the automated decision, in ms.",
    buckets=_MS_SLOW,
)
BULI2_RETRY_COUNT = Counter("filot_buli2_retry_count", "Retried calls to the BULI2 review service.")
DECISIONS = Counter("filot_decisions", "Automated and manual decisions, by outcome.", ["outcome"])
GPU_FALLBACKS = Counter(
    "filot_gpu_fallbacks", "OCR jobs run on the CPU although the GPU was asked for (CUDA unavailable)."
)

# --- recorded by the worker middleware (filot/worker_http.py) -----------------------
WORKER_JOBS_IN_FLIGHT = Gauge(
    "filot_worker_jobs_in_flight",
    "Messages being processed by this worker host, by queue.",
    ["queue"],
    multiprocess_mode="livesum",
)
WORKER_JOBS = Counter(
    "filot_worker_jobs", "Messages processed by this worker host, by queue and outcome.", ["queue", "outcome"]
)


# Statuses a document is decided into (DESIGN.md's lifecycle); the first three are automated.
AUTOMATED_DECISIONS = frozenset({"auto_approved", "auto_rejected", "needs_review"})
DECISION_STATUSES = AUTOMATED_DECISIONS | {"approved", "rejected"}


def record_decision(*, outcome: str, uploaded_at: dt.datetime | None = None) -> None:
    """One decision, counted; for an automated one, the time since its upload.

    Called by the deciding services once their transaction has committed
    (`transaction.on_commit`), so a rolled-back decision is never counted."""
    DECISIONS.labels(outcome=outcome).inc()
    if outcome in AUTOMATED_DECISIONS and uploaded_at is not None:
        VERIFICATION_LATENCY_MS.observe(max(0.0, (timezone.now() - uploaded_at).total_seconds() * 1000))


def multiprocess_dir() -> str:
    """The multiprocess folder when this process runs in multiprocess mode, else ''."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return path if path and os.path.isdir(path) else ""


class Scrape:
    """Several collectors answered as one registry (what `generate_latest` needs)."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def process_metrics() -> CollectorRegistry:
    """This host's recorded metrics: merged from every process's files, or this process's."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _collector_up(name: str, up: bool) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "filot_metrics_collector_up",
        "1 when a scrape-time collector could read its source.",
        labels=["collector"],
    )
    family.add_metric([name], 1.0 if up else 0.0)
    return family


class QueueLengthCollector:
    """`filot_queue_length{queue}`: messages waiting in Redis to be picked up.

    Delayed messages (retries waiting for their backoff) and dead letters are separate
    series, so the alarm on the waiting length is not set off by a burst of retries.
    """

    def collect(self) -> Iterator[Metric]:
        if not settings.REDIS_URL:
            return
        waiting = GaugeMetricFamily("filot_queue_length", "Messages waiting in the queue.", labels=["queue"])
        delayed = GaugeMetricFamily(
            "filot_queue_delayed_length", "Messages waiting for a retry delay.", labels=["queue"]
        )
        dead = GaugeMetricFamily(
            "filot_queue_dead_letters", "Messages that exhausted their retries.", labels=["queue"]
        )
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            pipe = client.pipeline(transaction=False)
            for queue in QUEUES:
                pipe.llen(f"{BROKER_NAMESPACE}:{queue}")
                pipe.llen(f"{BROKER_NAMESPACE}:{queue}.DQ")
                pipe.zcard(f"{BROKER_NAMESPACE}:{queue}.XQ")
            counts = pipe.execute()
        except redis.RedisError as error:
            log.warning("metrics_queue_length_failed", error=str(error))
            yield _collector_up("queue_length", False)
            return
        finally:
            client.close()
        for index, queue in enumerate(QUEUES):
            waiting.add_metric([queue], counts[3 * index])
            delayed.add_metric([queue], counts[3 * index + 1])
            dead.add_metric([queue], counts[3 * index + 2])
        yield from (waiting, delayed, dead, _collector_up("queue_length", True))


class DocumentStatusCollector:
    """`filot_documents{status}`: documents in each lifecycle status, from the database."""

    def collect(self) -> Iterator[Metric]:
        from django.apps import apps
        from django.db import DatabaseError
        from django.db.models import Count

        # Looked up by name: filot imports no app's models (DESIGN.md).
        document = apps.get_model("kyc", "Document")
        statuses = [value for value, _ in document._meta.get_field("status").choices or ()]
        try:
            counts = dict(document.objects.values_list("status").annotate(n=Count("pk")).order_by())
        except DatabaseError as error:
            log.warning("metrics_document_counts_failed", error=str(error))
            yield _collector_up("documents", False)
            return
        family = GaugeMetricFamily("filot_documents", "Documents by lifecycle status.", labels=["status"])
        for status in statuses:
            family.add_metric([status], counts.get(status, 0))
        yield family
        yield _collector_up("documents", True)


def internal_access_refusal(authorization: str) -> tuple[int, str] | None:
    """None when `authorization` carries the service key; else the status and message to answer."""
    key = settings.SERVICE_INTERNAL_KEY
    if not key:
        return 403, "Internal endpoints are disabled: SERVICE_INTERNAL_KEY is not set."
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return 401, "Authentication credentials were not provided."
    if not hmac.compare_digest(token.strip().encode(), key.encode()):
        return 403, "You do not have permission to perform this action."
    return None


def refusal_response(status: int, message: str) -> HttpResponse:
    # Imported here: this module is loaded with the broker middleware, before the apps.
    from filot.api import error_response

    response = error_response(status, message)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="filot-internal"'
    return response


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    refusal = internal_access_refusal(request.headers.get("Authorization", ""))
    if refusal is not None:
        return refusal_response(*refusal)
    scrape = Scrape([process_metrics(), QueueLengthCollector(), DocumentStatusCollector()])
    return HttpResponse(generate_latest(scrape), content_type=CONTENT_TYPE_LATEST)
