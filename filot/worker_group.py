"""A `rundramatiq` worker is one parent and its worker processes: they live and die together.

- A worker process exits when its parent dies (`kill -9` of the parent, an OOM kill):
  the kernel sends it SIGTERM (Linux `prctl(PR_SET_PDEATHSIG)`), and a watchdog
  thread checks the parent's pid every second as well (it sends the SIGTERM itself
  only where the prctl is not available: a second SIGTERM is dramatiq's "kill now").
  SIGTERM is dramatiq's graceful stop: prefetched messages go back
  to their queue and the message being processed finishes; a process still alive
  WORKER_ORPHAN_EXIT_SECONDS later exits at once (its message then comes back
  through the heartbeat, see settings).
- The worker's `/health` (filot/worker_http.py) fails while the group is not whole —
  the parent gone, or fewer worker processes than it started — so ECS replaces the
  task instead of keeping half a worker.

`rundramatiq` passes the parent's pid and the process count in the environment
(FILOT_WORKER_PARENT_PID, FILOT_WORKER_PROCESSES) before it execs dramatiq.
"""

import contextlib
import ctypes
import os
import signal
import threading
import time
from pathlib import Path

import dramatiq
import structlog
from django.conf import settings

from filot.redis_client import breaker

log = structlog.get_logger(__name__)
PR_SET_PDEATHSIG = 1
PARENT_PID_VARIABLE = "FILOT_WORKER_PARENT_PID"
PROCESSES_VARIABLE = "FILOT_WORKER_PROCESSES"


def parent_pid() -> int:
    return int(os.environ.get(PARENT_PID_VARIABLE) or os.getppid())


def die_with_parent(parent: int) -> None:
    """From a worker process: SIGTERM when `parent` dies, and a watchdog on its pid."""
    kernel_signals = False
    parent_before = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        kernel_signals = libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    threading.Thread(
        target=_watch_parent, args=(parent, kernel_signals), name="filot-parent-watch", daemon=True
    ).start()
    # Dead already before the prctl: the kernel will not signal, so this process does.
    # Had it died after (the kernel's SIGTERM), a second one would be dramatiq's kill-now;
    # in the instant between the two reads, neither signals and the watchdog's exit ends it.
    if kernel_signals and parent_before != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def _watch_parent(parent: int, kernel_signals: bool) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    log.error("worker_parent_died", parent_pid=parent)
    # One SIGTERM only: dramatiq takes a second one for "kill now", which would skip
    # the graceful stop (prefetched messages back to their queue, the current one
    # finished). The kernel sent it already when the prctl took.
    if not kernel_signals:
        os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(settings.WORKER_ORPHAN_EXIT_SECONDS)
    log.error("worker_orphan_exit", parent_pid=parent)
    os._exit(1)


def _children(pid: int) -> list[int]:
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    if listed.exists():
        return [int(child) for child in listed.read_text().split()]
    children = []  # kernels without CONFIG_PROC_CHILDREN
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    return False


def check_process_group() -> dict:
    """A worker health check: raises unless the parent and all its processes are alive."""
    parent = parent_pid()
    if os.getppid() != parent:
        raise RuntimeError(f"the worker's parent process {parent} is gone")
    expected = int(os.environ.get(PROCESSES_VARIABLE) or 0)
    running = [pid for pid in _children(parent) if _alive(pid)]
    if expected and len(running) < expected:
        raise RuntimeError(f"{len(running)} of {expected} worker processes running")
    return {"processes": len(running), "expected": expected or None}


class WorkerGroupMiddleware(dramatiq.Middleware):
    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        # A worker retries its own sends on a failed broker call; the web's breaker
        # (filot/redis_client.py) is for requests that must not wait.
        breaker.enabled = False
        die_with_parent(parent_pid())
