"""The deploy scripts: strict bash, shellcheck-clean, and a --dry-run that runs nothing.

Real `aws` and `docker` are replaced on PATH by fakes that record their arguments, so
a dry run is proven to call neither and a real run is checked against what it asked.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([*(ROOT / "deploy").rglob("*.sh")])
ECR = "070017891928.dkr.ecr.ap-southeast-2.amazonaws.com"

IMAGE_ID = "sha256:" + "1" * 64
REPO_DIGEST = f"{ECR}/filot-ocr-gpu-worker@sha256:" + "2" * 64
FAKE = f"""#!/usr/bin/env bash
printf '%s\\n' "$(basename "$0") $*" >> "$FAKE_LOG"
case "$(basename "$0") $*" in
  "docker images --no-trunc --quiet"*) echo {IMAGE_ID} ;;
  "docker image inspect"*) echo {REPO_DIGEST} ;;
  "aws ecr get-login-password"*) echo not-a-real-password ;;
  "docker login"*) cat >/dev/null ;;
esac
exit 0
"""


@pytest.fixture
def fakes(tmp_path) -> dict[str, str]:
    """PATH with recording `aws` and `docker`; the log of their calls is FAKE_LOG."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("aws", "docker"):
        (bin_dir / tool).write_text(FAKE)
        (bin_dir / tool).chmod(0o755)
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "IMAGE_VERSIONS_FILE": str(tmp_path / "image-versions.json"),
        "IMAGE_TAG": "abc123def456",
        "TMPDIR": str(tmp_path),
        "HOME": os.environ.get("HOME", str(tmp_path)),
    }


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", f"deploy/scripts/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def calls(env: dict[str, str]) -> list[str]:
    log = Path(env["FAKE_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def commands(stdout: str) -> list[str]:
    return [line[2:] for line in stdout.splitlines() if line.startswith("+ ")]


def test_the_scripts_the_issue_asks_for_exist_and_are_executable():
    names = {str(path.relative_to(ROOT / "deploy/scripts")) for path in SCRIPTS if "scripts" in path.parts}
    assert {
        "build-gpu-worker.sh",
        "aws-ecr-setup-gpu.sh",
        "deploy-ocr-gpu.sh",
        "deploy-backend.sh",
        "ops/requeue_stuck_jobs.sh",
        "smoke/run_e2e_smoke.sh",
    } <= names
    for path in SCRIPTS:
        if path.name != "lib.sh":  # sourced, not run
            assert os.access(path, os.X_OK), path


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_each_script_is_strict_and_parses(path):
    text = path.read_text()
    if path.name != "lib.sh":
        assert text.startswith("#!/usr/bin/env bash\n")
        assert "\nset -euo pipefail\n" in text
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_script_is_shellcheck_clean():
    # `make test` installs Debian's shellcheck (Makefile SYSTEM_PACKAGES).
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed: apt-get install -y shellcheck"
    result = subprocess.run(
        [shellcheck, "--external-sources", "--severity=style", *map(str, SCRIPTS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_deploy_ocr_gpu_dry_run_prints_build_push_register_update_in_order_and_runs_nothing(fakes):
    result = run("deploy-ocr-gpu.sh", "all", "--dry-run", env=fakes)
    assert result.returncode == 0, result.stderr
    assert calls(fakes) == []  # neither aws nor docker was run
    assert re.findall(r"^==> (\w+)$", result.stdout, re.MULTILINE) == ["build", "push", "register", "update"]
    printed = commands(result.stdout)
    expected_in_order = [
        "docker build --platform linux/amd64 -f ",
        "docker images filot-ocr-gpu-worker:latest",
        "aws ecr describe-repositories --region ap-southeast-2 --repository-names filot-ocr-gpu-worker || "
        "aws ecr create-repository --region ap-southeast-2 --repository-name filot-ocr-gpu-worker",
        "aws ecr get-login-password --region ap-southeast-2 | "
        f"docker login --username AWS --password-stdin {ECR}",
        f"docker tag filot-ocr-gpu-worker:abc123def456 {ECR}/filot-ocr-gpu-worker:abc123def456",
        f"docker push {ECR}/filot-ocr-gpu-worker:abc123def456",
        f"docker push {ECR}/filot-ocr-gpu-worker:latest",
        "aws ecs register-task-definition --region ap-southeast-2 --cli-input-json file://",
        "aws ecs update-service --region ap-southeast-2 --cluster filot-ocr-gpu-cluster "
        "--service filot-ocr-gpu-worker --task-definition filot-ocr-gpu-worker --force-new-deployment",
        "aws ecs wait services-stable --region ap-southeast-2 --cluster filot-ocr-gpu-cluster "
        "--services filot-ocr-gpu-worker",
    ]
    positions = []
    for prefix in expected_in_order:
        matching = [index for index, line in enumerate(printed) if line.startswith(prefix)]
        assert matching, f"{prefix!r} not printed:\n{result.stdout}"
        positions.append(matching[0])
    assert positions == sorted(positions)
    build = next(line for line in printed if line.startswith("docker build"))
    assert (
        "deploy/Dockerfile.gpu -t filot-ocr-gpu-worker:latest -t filot-ocr-gpu-worker:abc123def456" in build
    )
    # A dry run writes no image-versions.json.
    assert not Path(fakes["IMAGE_VERSIONS_FILE"]).exists()


def test_the_dry_run_renders_the_gpu_task_definition_with_the_new_image(fakes):
    result = run("deploy-ocr-gpu.sh", "register", "--dry-run", env=fakes)
    assert result.returncode == 0, result.stderr
    register = next(line for line in commands(result.stdout) if "register-task-definition" in line)
    rendered = Path(re.search(r"file://(\S+)", register).group(1))
    task = json.loads(rendered.read_text())
    assert task["family"] == "filot-ocr-gpu-worker"
    assert task["containerDefinitions"][0]["image"] == f"{ECR}/filot-ocr-gpu-worker:abc123def456"


def test_dry_run_1_in_the_environment_works_like_the_flag(fakes):
    result = run("deploy-ocr-gpu.sh", "update", env={**fakes, "DRY_RUN": "1"})
    assert result.returncode == 0, result.stderr
    assert calls(fakes) == []
    assert commands(result.stdout)[0].startswith("aws ecs update-service")


def test_an_unknown_step_is_refused(fakes):
    result = run("deploy-ocr-gpu.sh", "deploy-everything", "--dry-run", env=fakes)
    assert result.returncode != 0
    assert "unknown step" in result.stderr
    assert run("deploy-ocr-gpu.sh", "--dry-run", env=fakes).returncode != 0


def test_a_real_build_and_push_record_tags_and_digests_in_image_versions_json(fakes):
    result = run("deploy-ocr-gpu.sh", "build", "push", env=fakes)
    assert result.returncode == 0, result.stderr
    recorded = calls(fakes)
    assert recorded[0].startswith("docker build --platform linux/amd64 -f ")
    assert "docker images filot-ocr-gpu-worker:latest" in recorded
    assert f"docker push {ECR}/filot-ocr-gpu-worker:abc123def456" in recorded
    versions = json.loads(Path(fakes["IMAGE_VERSIONS_FILE"]).read_text())["filot-ocr-gpu-worker"]
    assert versions["tag"] == "abc123def456"
    assert versions["image_id"] == IMAGE_ID
    assert versions["repo_digest"] == REPO_DIGEST


def test_a_real_register_refuses_a_task_definition_with_placeholders(fakes):
    result = run("deploy-ocr-gpu.sh", "register", env=fakes)
    assert result.returncode != 0
    assert "REPLACE_ME" in result.stderr
    assert not any("register-task-definition" in line for line in calls(fakes))


def test_deploy_backend_migrates_as_a_one_off_task_before_updating_the_services(fakes):
    result = run("deploy-backend.sh", "all", "--dry-run", env=fakes)
    assert result.returncode == 0, result.stderr
    assert calls(fakes) == []
    steps = re.findall(r"^==> (\w+)$", result.stdout, re.MULTILINE)
    assert steps == ["build", "push", "register", "migrate", "update"]
    printed = commands(result.stdout)
    build = next(line for line in printed if line.startswith("docker build"))
    assert "deploy/Dockerfile -t filot-backend:latest" in build
    registered = [line for line in printed if "register-task-definition" in line]
    assert len(registered) == 2  # the web and the CPU worker
    migrate = next(index for index, line in enumerate(printed) if "run-task" in line)
    assert "run-task-migrate.json" in printed[migrate]
    updates = [index for index, line in enumerate(printed) if "update-service" in line]
    assert len(updates) == 2
    assert migrate < min(updates)


def test_requeue_stuck_jobs_runs_the_reaper_as_a_one_off_task(fakes):
    result = run("ops/requeue_stuck_jobs.sh", "--dry-run", "--", "--verbosity", "2", env=fakes)
    assert result.returncode == 0, result.stderr
    assert calls(fakes) == []
    run_task = next(line for line in commands(result.stdout) if "run-task" in line)
    task = json.loads(Path(re.search(r"file://(\S+)", run_task).group(1)).read_text())
    assert task["overrides"]["containerOverrides"][0]["command"] == [
        "python", "manage.py", "reap_stuck_documents", "--verbosity", "2"
    ]  # fmt: skip
    assert task["taskDefinition"] == "filot-backend"


def test_the_entrypoint_empties_the_metrics_folder_and_becomes_the_command(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1234.db").write_bytes(b"stale")
    result = subprocess.run(
        [
            "bash",
            "deploy/docker-entrypoint.sh",
            "bash",
            "-c",
            'ls -A "$PROMETHEUS_MULTIPROC_DIR"; echo ran $$',
        ],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ran ")
    assert folder.is_dir() and not list(folder.iterdir())
