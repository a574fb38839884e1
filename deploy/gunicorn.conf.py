"""Gunicorn for the web container: `gunicorn -c deploy/gunicorn.conf.py filot.wsgi:application`.

Sized for a Fargate task of 0.5 vCPU and 2 GiB: two processes (one can restart while
the other serves) with four threads each, since requests mostly wait on PostgreSQL,
Redis and R2. The worker count can be raised without a rebuild through gunicorn's
own WEB_CONCURRENCY. Metrics of all processes are merged through the
multiprocess folder (filot/metrics.py); `child_exit` drops a dead process's gauges.
"""

import gc
from typing import Any

# All interfaces of the container; the task's security group admits only the ALB.
bind = "0.0.0.0:8080"
workers = 2
worker_class = "gthread"
threads = 4
# The application is imported once, in the master, and every worker forked from it
# ready to serve (filot/wsgi.py also imports the URLconf and compiles the hot reads).
# A worker restarted after max_requests no longer spends ~1.5 s of CPU importing
# Django while its partner takes all the traffic. Nothing at import opens a database
# or Redis connection (redis-py's pools are rebuilt in a forked child).
preload_app = True
# Longer than the ALB's 60 s idle timeout, so the ALB never reuses a closed connection.
keepalive = 65
timeout = 30
graceful_timeout = 25
max_requests = 2000
max_requests_jitter = 200
# Access lines come from the ALB's logs; errors go to stderr and CloudWatch.
accesslog = None
errorlog = "-"
# Only the ALB reaches the container (security group), so its X-Forwarded-* are trusted.
forwarded_allow_ips = "*"


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    from filot.metrics import multiprocess_dir

    if multiprocess_dir():
        multiprocess.mark_process_dead(worker.pid)


def pre_fork(server: Any, worker: Any) -> None:
    # The preloaded application's objects (~136,000) leave the garbage collector's
    # generations before each worker is forked (gc.freeze, as Python's documentation
    # advises for a pre-forking server): a full collection in a worker walked them all,
    # 65-80 ms with its four threads stopped, in the reads' p99. It now walks what the
    # worker made itself (2 ms), and leaves the shared pages unwritten.
    if server.cfg.preload_app:
        gc.freeze()
