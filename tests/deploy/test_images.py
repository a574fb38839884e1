"""The Dockerfiles, read instruction by instruction (no Docker engine here), and the compose stack."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

# onnxruntime-gpu pin -> (CUDA major, cuDNN major) its PyPI wheel is built for. The
# 1.31.1 wheel says cuda_version = '13.0' (capi/build_and_package_info.py), links
# libcudart.so.13 and asks for nvidia-cudnn-cu13~=9.0. A new pin fails here until checked.
ONNXRUNTIME_GPU_NEEDS = {"1.31.1": ("13", "9")}


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") and not current:
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip():
            keyword, _, rest = current.strip().partition(" ")
            logical.append((keyword.upper(), " ".join(rest.split())))
        current = ""
    return logical


def stages(path: Path) -> list[list[tuple[str, str]]]:
    """Instructions grouped by stage; FROM images with the ARG defaults substituted."""
    args, result = {}, []
    for keyword, rest in instructions(path):
        if keyword == "ARG" and "=" in rest and not result:
            name, _, value = rest.partition("=")
            args[name] = value
        if keyword == "FROM":
            rest = re.sub(r"\$\{(\w+)\}", lambda match: args[match.group(1)], rest)
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def last(stage: list[tuple[str, str]], keyword: str) -> str:
    found = [rest for key, rest in stage if key == keyword]
    assert found, f"no {keyword}"
    return found[-1]


def exec_form(value: str) -> list[str]:
    return json.loads(value)


def test_the_web_image_is_a_multi_stage_slim_python_311_build():
    built = stages(DEPLOY / "Dockerfile")
    assert len(built) >= 2
    for stage in built:
        assert re.match(r"python:3\.11-slim(-\w+)? AS \w+$", last(stage, "FROM")), last(stage, "FROM")
    runtime = built[-1]
    assert any("--from=build" in rest for key, rest in runtime if key == "COPY")
    installs = " ".join(rest for key, rest in runtime if key == "RUN")
    assert "tesseract-ocr-ind" in installs
    assert "useradd" in installs and " filot" in installs
    assert last(runtime, "USER") == "filot"
    assert last(runtime, "EXPOSE") == "8080"
    assert "curl -fsS http://127.0.0.1:8080/health" in last(runtime, "HEALTHCHECK")
    assert exec_form(last(runtime, "CMD"))[:3] == ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
    assert exec_form(last(runtime, "ENTRYPOINT")) == ["/app/deploy/docker-entrypoint.sh"]
    # Migrations run as a one-off task, never when a container starts.
    assert (
        "migrate" not in (DEPLOY / "Dockerfile").read_text() + (DEPLOY / "docker-entrypoint.sh").read_text()
    )


def test_the_gpu_image_base_provides_the_cuda_and_cudnn_the_pinned_onnxruntime_gpu_needs():
    pin = re.search(r"^onnxruntime-gpu==(\S+)$", (ROOT / "requirements/gpu.txt").read_text(), re.MULTILINE)
    assert pin, "requirements/gpu.txt pins no onnxruntime-gpu"
    assert pin.group(1) in ONNXRUNTIME_GPU_NEEDS, "a new onnxruntime-gpu: check its CUDA and cuDNN"
    cuda, cudnn = ONNXRUNTIME_GPU_NEEDS[pin.group(1)]
    for stage in stages(DEPLOY / "Dockerfile.gpu"):
        image = last(stage, "FROM").split()[0]
        match = re.fullmatch(r"nvidia/cuda:(\d+)\.(\d+)\.(\d+)-cudnn-runtime-ubuntu(\d+\.\d+)", image)
        assert match, image
        assert match.group(1) == cuda
    text = (DEPLOY / "Dockerfile.gpu").read_text()
    # The comment says what pairs with what, and why 12.2.0 was not kept.
    assert f"onnxruntime-gpu=={pin.group(1)}" in text
    assert f"CUDA {cuda}" in text and f"cuDNN {cudnn}" in text
    assert "12.2.0" in text


def test_the_gpu_image_runs_the_ocr_worker_as_filot_with_a_health_check():
    built = stages(DEPLOY / "Dockerfile.gpu")
    assert len(built) >= 2
    runtime = built[-1]
    installs = " ".join(rest for key, rest in [*built[0], *runtime] if key == "RUN")
    assert "python3.11" in installs
    assert "tesseract-ocr-ind" in installs
    assert "requirements/gpu.txt" in " ".join(rest for key, rest in built[0] if key in ("COPY", "RUN"))
    assert last(runtime, "USER") == "filot"
    assert last(runtime, "EXPOSE") == "8080"
    assert "http://127.0.0.1:8080/health" in last(runtime, "HEALTHCHECK")
    assert exec_form(last(runtime, "CMD")) == ["python", "manage.py", "rundramatiq", "--queues", "ocr-gpu"]
    task = json.loads((DEPLOY / "ecs/task-ocr-gpu.json").read_text())
    assert task["containerDefinitions"][0]["command"] == exec_form(last(runtime, "CMD"))


def test_each_image_has_a_dockerignore_that_keeps_secrets_and_tests_out():
    for name in ("Dockerfile", "Dockerfile.gpu"):
        ignored = (DEPLOY / f"{name}.dockerignore").read_text().splitlines()
        assert {".git", ".env", "tests", ".venv", "image-versions.json"} <= set(ignored)
        # What the image runs must stay in the context.
        for needed in ("deploy/docker-entrypoint.sh", "deploy/gunicorn.conf.py", "manage.py", "requirements"):
            assert not any(needed == rule or needed.startswith(rule + "/") for rule in ignored), needed


def test_the_gpu_image_leaves_the_synthetic_card_generator_out():
    ignored = (DEPLOY / "Dockerfile.gpu.dockerignore").read_text().splitlines()
    assert "cardgen" in ignored
    assert "ocr_gpu" not in ignored and "idnumbers" not in ignored


def test_the_web_image_collects_static_files_with_the_build_time_settings(tmp_path):
    """The Dockerfile's collectstatic step, run here: settings load in production mode
    from .env.example's example values alone (`check` stands in for `collectstatic`)."""
    step = next(rest for key, rest in stages(DEPLOY / "Dockerfile")[-1] if "collectstatic" in rest)
    script = re.search(r"bash -c '(.*)'", step).group(1).replace("collectstatic --noinput", "check --deploy")
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        ["bash", "-c", script.replace("python ", f"{sys.executable} ")],
        cwd=ROOT,
        env={**env, "FILOT_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def test_compose_runs_the_whole_stack_and_the_gpu_worker_in_its_own_profile(compose):
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "cpu-worker", "ocr-worker", "ocr-gpu-worker"} <= set(
        services
    )
    gpu = services["ocr-gpu-worker"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["runtime"] == "nvidia"
    assert gpu["build"]["dockerfile"] == "deploy/Dockerfile.gpu"
    assert services["web"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["cpu-worker"]["command"][-2:] == ["--queues", "default"]
    assert services["ocr-worker"]["command"][-2:] == ["--queues", "ocr-gpu"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("web", "cpu-worker", "ocr-worker", "ocr-gpu-worker"):
        assert {"filot-data:/data"} <= set(services[name]["volumes"]), name
    for build in (services["web"]["build"], services["ocr-gpu-worker"]["build"]):
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()


def test_compose_sets_only_variables_the_code_reads(compose):
    from tests.filot.test_env_example import variables_read_by_the_code

    read = set(variables_read_by_the_code())
    for name, service in compose["services"].items():
        if name in ("postgres", "redis"):
            continue
        assert set(service["environment"]) - read - {"NVIDIA_VISIBLE_DEVICES"} == set(), name
