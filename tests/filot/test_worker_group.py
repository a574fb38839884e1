"""A worker process dies with its parent, told once: dramatiq takes a second SIGTERM
for "kill now", which would skip the graceful stop (prefetched messages handed back)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The worker process: counts the SIGTERMs it is sent, for two seconds after the first.
WORKER = textwrap.dedent(
    """
    import os, signal, sys, time
    import django
    django.setup()
    from filot.worker_group import die_with_parent
    count = []
    signal.signal(signal.SIGTERM, lambda *_: count.append(1))
    parent = int(sys.argv[2]) if sys.argv[2] != "mine" else os.getppid()
    die_with_parent(parent)
    open(sys.argv[1] + ".ready", "w").close()
    deadline = time.monotonic() + 60
    while not count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.5)
    open(sys.argv[1], "w").write(str(len(count)))
    """
)
# Its parent: starts the worker, then waits to be killed.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], "mine"])
    time.sleep(120)
    """
)


def environment() -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "filot.settings", "WORKER_ORPHAN_EXIT_SECONDS": "30"}


def wait_for(path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never written"
        time.sleep(0.05)
    time.sleep(0.05)
    return path.read_text()


def test_a_parent_gone_before_the_worker_armed_its_signal_sends_one_sigterm(tmp_path):
    result = tmp_path / "count"
    subprocess.run(
        [sys.executable, "-c", WORKER, str(result), "1"],  # pid 1 is never its parent here
        cwd=ROOT,
        env=environment(),
        timeout=90,
        check=True,
    )
    assert wait_for(result) == "1"


def test_a_parent_killed_later_sends_its_worker_exactly_one_sigterm(tmp_path):
    result = tmp_path / "count"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, WORKER, str(result)], cwd=ROOT, env=environment()
    )
    try:
        wait_for(Path(f"{result}.ready"))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert wait_for(result) == "1"
    finally:
        if parent.poll() is None:
            parent.kill()
