"""`manage.py api_benchmark`: req/s and p50/p95/p99 of the hot API paths on a
production-like stack, beside the in-run ceiling.

It creates its own PostgreSQL database on DATABASE_URL's server (dropped afterwards),
starts a private redis-server and gunicorn with deploy/gunicorn.conf.py on free ports
(DEBUG off, rate limits counted but raised out of reach), makes its own users,
documents and generated cards, and drives each scenario with wrk in interleaved
rounds, so the machine's noise falls on all of them alike. The ceiling is a bare
authenticated DRF read (JWT, the user row, one more query) served by the same
processes: compare each path to it, not to numbers from another run. Last, the CPU
each scenario costs a web process, in-process with one client (kyc/apibench/inprocess.py),
for each code served: what a loaded machine scatters in the req/s.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kyc.apibench.load import Result, run_wrk, write_scripts
from kyc.apibench.stack import ROOT, BenchStack

IN_PROCESS_SCRIPT = ROOT / "kyc/apibench/inprocess.py"

# name, script, targets, expected status; the connection count comes from the options.
SCENARIOS = [
    ("ceiling", "reads", "ceiling", 200),
    ("status read", "reads", "status", 200),
    ("document detail", "reads", "detail", 200),
    ("document list", "reads", "list", 200),
    ("upload", "uploads", "upload", 201),
]


class Command(BaseCommand):
    help = "Benchmark the hot API paths against the in-run ceiling on a local production-like stack."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
        parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario and round")
        parser.add_argument("--connections", type=int, default=16, help="wrk connections for reads")
        parser.add_argument("--upload-connections", type=int, default=4, help="upload clients")
        parser.add_argument("--readers", type=int, default=32, help="applicants whose documents are read")
        parser.add_argument("--cards", type=int, default=12, help="generated cards the uploads cycle through")
        parser.add_argument("--seed", type=int, default=20261201)
        parser.add_argument(
            "--cpu-requests", type=int, default=30,
            help="requests per scenario in the in-process CPU measurement (one client; 3 interleaved "
            "runs; 0: none)",
        )  # fmt: skip
        parser.add_argument("--keep-dir", action="store_true", help="keep the work folder (logs)")
        parser.add_argument(
            "--compare-with", type=Path, metavar="CHECKOUT",
            help="also serve another checkout of FiLot (e.g. a git worktree of an older commit) "
            "and interleave it into every round",
        )  # fmt: skip
        # Run by the benchmark inside the stack's settings; not for people.
        parser.add_argument("--prepare-into", type=Path, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["prepare_into"]:
            self._prepare(options)
            return
        if min(options["rounds"], options["cards"], options["readers"], options["connections"]) < 1:
            raise CommandError("--rounds, --cards, --readers and --connections must be at least 1")
        if options["compare_with"] and not (options["compare_with"] / "deploy/gunicorn.conf.py").is_file():
            raise CommandError(f"{options['compare_with']} is not a checkout of FiLot")
        if options["cpu_requests"] < 0:
            raise CommandError("--cpu-requests must be at least 0")
        if options["duration"] < 1 or options["upload_connections"] < 1:
            raise CommandError("--duration must be at least 1 s and --upload-connections at least 1")
        work = Path(tempfile.mkdtemp(prefix="filot-api-benchmark-"))
        stack = BenchStack(work)
        try:
            codes, results = self._run(stack, work, options)
            cpu = self._in_process_cpu(stack, work, codes, options["cpu_requests"])
        finally:
            stack.stop()
            if not options["keep_dir"]:
                shutil.rmtree(work, ignore_errors=True)
        self._report(codes, results, options, cpu)
        self.stdout.write(f"Cleaned up: database {stack.database} dropped, processes stopped.")

    def _prepare(self, options: dict) -> None:
        from django.core.management import call_command

        from kyc.apibench.fixtures import prepare

        call_command("migrate", verbosity=0, interactive=False)
        prepare(
            out=options["prepare_into"],
            readers=options["readers"],
            uploaders=options["upload_connections"],
            cards=options["cards"],
            seed=options["seed"],
        )

    def _run(self, stack: BenchStack, work: Path, options: dict) -> tuple[dict[str, Path], dict]:
        self.stdout.write(f"Preparing database {stack.database}, redis-server and gunicorn in {work} ...")
        stack.create_database()
        stack.start_redis()
        data = work / "targets"
        data.mkdir()
        stack.manage(
            "api_benchmark", "--prepare-into", str(data), "--readers", str(options["readers"]),
            "--upload-connections", str(options["upload_connections"]), "--cards", str(options["cards"]),
            "--seed", str(options["seed"]),
        )  # fmt: skip
        codes = {"this": ROOT}
        if options["compare_with"]:
            codes["other"] = options["compare_with"].resolve()
        ports = {label: stack.start_web(root, f"web-{label}") for label, root in codes.items()}
        served = ", ".join(f"{label} on 127.0.0.1:{port}" for label, port in ports.items())
        self.stdout.write(f"Serving {served}; redis-server on 127.0.0.1:{stack.redis_port}")
        scripts = write_scripts(work)

        def once(label: str, scenario: tuple, seconds: float, tag: str) -> Result:
            _name, script, targets, expected = scenario
            connections = options["connections"]
            args = [str(data / f"{targets}.targets"), str(expected)]
            if script == "uploads":
                args = [str(data / "upload.cards"), str(data / "upload.tokens"), str(expected), tag]
                connections = options["upload_connections"]
            url = f"http://127.0.0.1:{ports[label]}"
            return run_wrk(
                url=url, script=scripts[script], args=args, connections=connections, seconds=seconds
            )

        for label in codes:  # warm-up: imports, connections, caches in every process
            for scenario in SCENARIOS:
                once(label, scenario, 1, f"w{time.time_ns()}")
        results: dict[tuple[str, str], list[Result]] = {}
        for index in range(options["rounds"]):
            # Rotate the order, so no scenario (or code) always runs first or last in a round.
            shift = index % len(SCENARIOS)
            labels = list(codes)[index % len(codes) :] + list(codes)[: index % len(codes)]
            for scenario in SCENARIOS[shift:] + SCENARIOS[:shift]:
                for label in labels:
                    run = once(label, scenario, options["duration"], f"r{index}-{time.time_ns()}")
                    results.setdefault((label, scenario[0]), []).append(run)
        return codes, results

    def _in_process_cpu(self, stack: BenchStack, work: Path, codes: dict[str, Path], count: int) -> dict:
        """CPU ms per request in one process, one client, no wrk: what a loaded machine
        scatters in the req/s. Interleaved runs per code; per scenario the lowest is kept."""
        if not count:
            return {}
        runs: dict[str, list[dict]] = {}
        for index in range(3):
            for label, root in codes.items():
                out = work / f"in-process-{label}-{index}.json"
                stack.run_script(root, IN_PROCESS_SCRIPT, str(work / "targets"), str(count), str(out))
                runs.setdefault(label, []).append(json.loads(out.read_text()))
        return {
            label: {key: min(run[key] for run in found) for key in found[0]} for label, found in runs.items()
        }

    def _report(self, codes: dict[str, Path], results: dict, options: dict, cpu: dict) -> None:
        self.stdout.write(
            f"\nAPI benchmark: gunicorn -c deploy/gunicorn.conf.py, wrk, {options['rounds']} interleaved "
            f"round(s) of {options['duration']:g} s; medians over rounds; x ceiling: median of each "
            "round's ratio to the ceiling measured in that round"
        )
        for label, root in codes.items():
            self.stdout.write(f"\ncode: {root} ({_describe(root)})")
            header = (
                f"{'scenario':<16} {'conns':>5} {'req/s':>8} {'x ceiling':>9} {'p50 ms':>7} {'p95 ms':>7} "
            )
            self.stdout.write(header + f"{'p99 ms':>7} {'errors':>6}  rounds req/s")
            ceiling = [run.rate for run in results[label, "ceiling"]]
            for name, *_ in SCENARIOS:
                conns = options["upload_connections"] if name == "upload" else options["connections"]
                self.stdout.write(_row(name, conns, results[label, name], ceiling))
            if label in cpu:
                self.stdout.write(_cpu_row(cpu[label]))


def _cpu_row(found: dict) -> str:
    ceiling = found["ceiling_ms"]
    reads = ", ".join(
        f"{name} {found[key]:.2f} ({ceiling / found[key]:.2f})"
        for name, key in (("ceiling", "ceiling_ms"), ("status", "status_ms"), ("detail", "detail_ms"),
                          ("list", "list_ms"))
    )  # fmt: skip
    return (
        f"CPU ms per request, in-process, 1 client (x ceiling), lowest of 3 runs of {found['requests']}: "
        f"{reads}; upload {found['upload_ms']:.1f} to the response + {found['upload_after_response_ms']:.1f} "
        "after it"
    )


def _row(name: str, conns: int, runs: list[Result], ceiling: list[float]) -> str:
    def median(values: Iterable[float]) -> float:
        return statistics.median(values)

    # A round whose ceiling served nothing (a stalled machine) has no ratio.
    ratios = [run.rate / top for run, top in zip(runs, ceiling, strict=True) if top]
    ratio = f"{median(ratios):.2f}" if ratios else "n/a"
    return (
        f"{name:<16} {conns:>5} {median(run.rate for run in runs):>8.1f} {ratio:>9} "
        f"{median(run.p50_ms for run in runs):>7.1f} {median(run.p95_ms for run in runs):>7.1f} "
        f"{median(run.p99_ms for run in runs):>7.1f} {sum(run.errors for run in runs):>6}  "
        + " / ".join(f"{run.rate:.0f}" for run in runs)
    )


def _describe(root: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip()[:72] or "not a git checkout"
