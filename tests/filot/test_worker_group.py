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


def test_a_worker_is_sent_exactly_one_sigterm_whether_its_parent_died_before_or_after(tmp_path):
    """Both at once (each start imports Django): a parent gone before the worker armed
    its signal (pid 1 is never its parent here), and a parent SIGKILLed later."""
    early, late = tmp_path / "early", tmp_path / "late"
    orphan = subprocess.Popen([sys.executable, "-c", WORKER, str(early), "1"], cwd=ROOT, env=environment())
    parent = subprocess.Popen([sys.executable, "-c", PARENT, WORKER, str(late)], cwd=ROOT, env=environment())
    try:
        wait_for(Path(f"{late}.ready"))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert wait_for(late) == "1"
        assert wait_for(early) == "1"
        assert orphan.wait(timeout=30) == 0
    finally:
        for process in (orphan, parent):
            if process.poll() is None:
                process.kill()
