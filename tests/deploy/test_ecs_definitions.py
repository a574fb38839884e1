"""The ECS, Scheduler and CloudWatch JSON under deploy/ is what the AWS CLI accepts, and
the task definitions give the code every variable it requires in production."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from tests.filot.test_env_example import variables_read_by_the_code

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ECS = DEPLOY / "ecs"
ACCOUNT, REGION = "070017891928", "ap-southeast-2"

# File -> the AWS API call it is the `--cli-input-json` of.
CALLS = {
    "task-ocr-gpu.json": ("ecs", "RegisterTaskDefinition"),
    "filot-backend-task.json": ("ecs", "RegisterTaskDefinition"),
    "task-cpu-worker.json": ("ecs", "RegisterTaskDefinition"),
    "service-ocr-gpu.json": ("ecs", "CreateService"),
    "filot-backend-service.json": ("ecs", "CreateService"),
    "service-cpu-worker.json": ("ecs", "CreateService"),
    "cluster.json": ("ecs", "CreateCluster"),
    "cluster-backend.json": ("ecs", "CreateCluster"),
    "run-task-migrate.json": ("ecs", "RunTask"),
    "schedule-reap-stuck-documents.json": ("scheduler", "CreateSchedule"),
    "schedule-purge-expired-data.json": ("scheduler", "CreateSchedule"),
    "schedule-sweep-webhook-outbox.json": ("scheduler", "CreateSchedule"),
    "target-group-backend.json": ("elbv2", "CreateTargetGroup"),
}
TASKS = ["task-ocr-gpu.json", "filot-backend-task.json", "task-cpu-worker.json"]
# Values that must never be plain environment in a task definition.
SECRET_MARKERS = ("SECRET", "KEY", "PASSWORD", "TOKEN")
SECRET_URLS = {"DATABASE_URL", "REDIS_URL"}
ROLLBACK = {"enable": True, "rollback": True}


def load(name: str) -> dict:
    return json.loads((ECS / name).read_text())


def validate(service: str, operation: str, params: dict) -> str:
    model = botocore.session.get_session().get_service_model(service)
    report = ParamValidator().validate(params, model.operation_model(operation).input_shape)
    return report.generate_report()


def container(task: dict) -> dict:
    assert len(task["containerDefinitions"]) == 1
    return task["containerDefinitions"][0]


def provided(task: dict) -> tuple[dict[str, str], set[str]]:
    definition = container(task)
    return (
        {item["name"]: item["value"] for item in definition.get("environment", [])},
        {item["name"] for item in definition.get("secrets", [])},
    )


def env_example_values() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_every_json_file_under_deploy_parses():
    files = sorted(DEPLOY.rglob("*.json"))
    assert len(files) >= len(CALLS) + 1
    for path in files:
        json.loads(path.read_text())


def test_every_ecs_file_is_covered_by_these_tests():
    assert {path.name for path in ECS.glob("*.json")} == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_file_has_the_shape_its_aws_call_accepts(name):
    service, operation = CALLS[name]
    assert validate(service, operation, load(name)) == ""


def test_the_shape_check_does_catch_a_malformed_task_definition():
    task = load("task-ocr-gpu.json")
    task["cpu"] = 2048  # a number where the API wants a string
    del task["family"]
    report = validate("ecs", "RegisterTaskDefinition", task)
    assert "cpu" in report
    assert "family" in report


def production_requirements(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Load the production settings with exactly `environment`; print the variables they require."""
    code = (
        "import json, django; django.setup(); import filot.settings as s; "
        "print(json.dumps(sorted(s.env.required)))"
    )
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "filot.settings", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", TASKS)
def test_a_task_definition_gives_the_production_settings_every_variable_they_require(name, tmp_path):
    environment, secrets = provided(load(name))
    assert environment["DJANGO_ENV"] == "production"
    # Secrets come from Secrets Manager at run time; here, .env.example's well-formed examples.
    examples = env_example_values()
    filled = {**environment, **{secret: examples[secret] for secret in secrets}}
    filled.pop("PROMETHEUS_MULTIPROC_DIR", None)  # a folder of the container, not of this machine
    result = production_requirements({**filled, "FILOT_DATA_DIR": str(tmp_path)})
    # A variable the code starts requiring fails here until the task definition has it.
    assert result.returncode == 0, result.stderr[-2000:]
    required = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert required, "the settings reported no required variable"
    assert required <= set(environment) | secrets


@pytest.mark.parametrize("name", TASKS)
def test_a_task_definition_sets_nothing_the_code_does_not_read(name):
    environment, secrets = provided(load(name))
    stale = (set(environment) | secrets) - set(variables_read_by_the_code())
    assert stale == set()


@pytest.mark.parametrize("name", TASKS)
def test_secret_values_come_from_secrets_manager_never_plain_environment(name):
    environment, secrets = provided(load(name))
    plain_secrets = {
        variable
        for variable in environment
        if variable in SECRET_URLS or any(marker in variable for marker in SECRET_MARKERS)
    }
    assert plain_secrets == set()
    assert not set(environment) & secrets
    for item in container(load(name))["secrets"]:
        assert item["valueFrom"] == (
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:filot/production/{item['name']}"
        )


def test_the_gpu_task_runs_the_ocr_worker_on_one_gpu_as_specified():
    task = load("task-ocr-gpu.json")
    definition = container(task)
    environment, _ = provided(task)
    assert task["requiresCompatibilities"] == ["EC2"]
    assert (task["cpu"], task["memory"]) == ("2048", "8192")
    assert definition["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert definition["linuxParameters"]["sharedMemorySize"] == 2048
    assert definition["image"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/filot-ocr-gpu-worker:latest"
    assert definition["command"] == ["python", "manage.py", "rundramatiq", "--queues", "ocr-gpu"]
    assert {
        "OCR_GPU_ENABLED": "true",
        "OCR_GPU_CONCURRENCY": "2",
        "OCR_GPU_AUTOFALLBACK": "true",
        "OCR_GPU_MAX_RETRIES": "3",
        "OCR_GPU_PUBLISH_CHANNEL": "filot:ocr:gpu:results",
        "WORKER_HTTP_PORT": "8080",
    }.items() <= environment.items()
    # The broker settings the code reads, set explicitly rather than left to defaults.
    assert {"DRAMATIQ_HEARTBEAT_TIMEOUT_MS", "DRAMATIQ_MAINTENANCE_CHANCE"} <= set(environment)
    assert definition["logConfiguration"]["logDriver"] == "awslogs"
    assert definition["logConfiguration"]["options"]["awslogs-group"] == "/ecs/filot-ocr-gpu-worker"
    assert definition["logConfiguration"]["options"]["awslogs-region"] == REGION
    assert definition["healthCheck"]["command"] == [
        "CMD-SHELL",
        "curl -f http://localhost:8080/health || exit 1",
    ]


def test_the_gpu_service_places_one_task_on_g5_hosts_spread_across_zones_with_rollback():
    service = load("service-ocr-gpu.json")
    assert service["cluster"] == "filot-ocr-gpu-cluster"
    assert service["taskDefinition"] == load("task-ocr-gpu.json")["family"]
    assert service["launchType"] == "EC2"
    assert service["desiredCount"] == 1
    assert {"type": "memberOf", "expression": "attribute:ecs.instance-type =~ g5.*"} in service[
        "placementConstraints"
    ]
    assert {"type": "spread", "field": "attribute:ecs.availability-zone"} in service["placementStrategy"]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == ROLLBACK
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert all(value.startswith(("subnet-REPLACE_ME", "sg-REPLACE_ME")) for value in [
        *network["subnets"], *network["securityGroups"]
    ])  # fmt: skip


def test_the_clusters_have_container_insights_and_logged_ecs_exec():
    clusters = {"cluster.json": "filot-ocr-gpu-cluster", "cluster-backend.json": "filot-backend-cluster"}
    for name, cluster_name in clusters.items():
        cluster = load(name)
        assert cluster["clusterName"] == cluster_name
        assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
        execute = cluster["configuration"]["executeCommandConfiguration"]
        assert execute["logging"] == "OVERRIDE"
        assert execute["logConfiguration"]["cloudWatchLogGroupName"] == "/ecs/filot-execute-command"


def test_the_web_runs_on_fargate_behind_the_alb_on_port_8080():
    task, service = load("filot-backend-task.json"), load("filot-backend-service.json")
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert (task["cpu"], task["memory"]) == ("512", "2048")
    assert container(task)["portMappings"][0]["containerPort"] == 8080
    assert "command" not in container(task)  # the image's gunicorn
    assert service["launchType"] == "FARGATE"
    balancer = service["loadBalancers"][0]
    assert (balancer["containerName"], balancer["containerPort"]) == (container(task)["name"], 8080)
    target_group = load("target-group-backend.json")
    assert f"targetgroup/{target_group['Name']}/" in balancer["targetGroupArn"]
    assert (target_group["Port"], target_group["TargetType"]) == (8080, "ip")  # awsvpc tasks
    assert (target_group["HealthCheckPath"], target_group["Matcher"]) == ("/health", {"HttpCode": "200"})
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == ROLLBACK
    assert "/health" in container(task)["healthCheck"]["command"][1]


def test_the_cpu_worker_serves_the_default_queue_from_the_backend_image():
    task, service = load("task-cpu-worker.json"), load("service-cpu-worker.json")
    command = container(task)["command"]
    assert command[:5] == ["python", "manage.py", "rundramatiq", "--queues", "default"]
    assert container(task)["image"].endswith("/filot-backend:latest")
    assert service["taskDefinition"] == task["family"]
    assert service["cluster"] == "filot-backend-cluster"


def test_migrations_and_the_reaper_run_as_one_off_tasks_of_the_backend_definition():
    migrate = load("run-task-migrate.json")
    assert migrate["taskDefinition"] == "filot-backend"
    override = migrate["overrides"]["containerOverrides"][0]
    assert override["name"] == container(load("filot-backend-task.json"))["name"]
    assert override["command"] == ["python", "manage.py", "migrate", "--noinput"]
    schedule = load("schedule-reap-stuck-documents.json")
    assert schedule["ScheduleExpression"].startswith("rate(")
    assert schedule["Target"]["EcsParameters"]["TaskDefinitionArn"].endswith(":task-definition/filot-backend")
    command = json.loads(schedule["Target"]["Input"])["containerOverrides"][0]["command"]
    assert command == ["python", "manage.py", "reap_stuck_documents"]
    assert (ROOT / "kyc/management/commands/reap_stuck_documents.py").exists()


def test_the_retention_purge_runs_as_a_scheduled_task_of_the_backend_definition():
    schedule = load("schedule-purge-expired-data.json")
    assert schedule["ScheduleExpression"].startswith("rate(")
    assert schedule["Target"]["EcsParameters"]["TaskDefinitionArn"].endswith(":task-definition/filot-backend")
    override = json.loads(schedule["Target"]["Input"])["containerOverrides"][0]
    assert override["name"] == container(load("filot-backend-task.json"))["name"]
    assert override["command"] == ["python", "manage.py", "purge_expired_data"]
    assert (ROOT / "kyc/management/commands/purge_expired_data.py").exists()


def test_alarms_are_put_metric_alarm_inputs_with_the_agreed_thresholds():
    document = json.loads((DEPLOY / "alarms/cloudwatch-alarms.json").read_text())
    alarms = {alarm["AlarmName"]: alarm for alarm in document["alarms"]}
    for alarm in alarms.values():
        assert validate("cloudwatch", "PutMetricAlarm", alarm) == ""
        assert alarm["AlarmActions"], alarm["AlarmName"]
    queue = alarms["filot-ocr-gpu-queue-backlog"]
    assert (queue["MetricName"], queue["Threshold"], queue["ComparisonOperator"]) == (
        "filot_queue_length",
        20,
        "GreaterThanThreshold",
    )
    assert {"Name": "queue", "Value": "ocr-gpu"} in queue["Dimensions"]
    buli2 = alarms["filot-buli2-retry-depth"]
    assert (buli2["MetricName"], buli2["Threshold"]) == ("filot_buli2_retry_count_total", 10)
    errors = alarms["filot-alb-5xx-rate"]
    assert errors["Threshold"] == 2
    assert "HTTPCode_Target_5XX_Count" in json.dumps(errors["Metrics"])
    latency = alarms["filot-api-latency-p95"]
    # TargetResponseTime is in seconds: 2000 ms.
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p95", 2.0)
    gpu = alarms["filot-ocr-gpu-no-healthy-task"]
    assert (gpu["MetricName"], gpu["Threshold"], gpu["ComparisonOperator"]) == (
        "RunningTaskCount",
        1,
        "LessThanThreshold",
    )
    assert gpu["TreatMissingData"] == "breaching"


def test_every_log_group_the_tasks_write_to_is_created_with_a_retention():
    document = json.loads((DEPLOY / "alarms/cloudwatch-alarms.json").read_text())
    groups = {group["logGroupName"]: group for group in document["logGroups"]}
    for group in groups.values():
        assert validate("logs", "PutRetentionPolicy", group) == ""
    used = {container(load(name))["logConfiguration"]["options"]["awslogs-group"] for name in TASKS}
    used.add(load("cluster.json")["configuration"]["executeCommandConfiguration"]["logConfiguration"][
        "cloudWatchLogGroupName"
    ])  # fmt: skip
    assert used <= set(groups)


def test_the_cloudwatch_agent_publishes_what_the_alarms_read():
    """Alarms on filot_* series read the namespace and dimension sets the agent publishes."""
    agent = json.loads((DEPLOY / "monitoring/cwagent-config.json").read_text())
    prometheus = agent["logs"]["metrics_collected"]["prometheus"]
    emf = prometheus["emf_processor"]
    families = {item["sd_job_name"] for item in prometheus["ecs_service_discovery"]["task_definition_list"]}
    assert families == {load(name)["family"] for name in TASKS}
    document = json.loads((DEPLOY / "alarms/cloudwatch-alarms.json").read_text())
    for alarm in document["alarms"]:
        if not alarm.get("MetricName", "").startswith("filot_"):
            continue
        assert alarm["Namespace"] == emf["metric_namespace"]
        dimensions = sorted(dimension["Name"] for dimension in alarm["Dimensions"])
        published = [
            declaration
            for declaration in emf["metric_declaration"]
            if any(re.search(selector, alarm["MetricName"]) for selector in declaration["metric_selectors"])
        ]
        assert any(sorted(dims) == dimensions for item in published for dims in item["dimensions"]), alarm[
            "AlarmName"
        ]
    assert prometheus["log_group_name"] in {group["logGroupName"] for group in document["logGroups"]}


def test_the_scrape_configuration_sends_the_service_key():
    config = yaml.safe_load((DEPLOY / "monitoring/prometheus.yaml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["bearer_token_file"]


def test_the_web_sets_the_review_sla_and_the_oldest_waiting_alarm_fires_before_it():
    """The SLA clock the queue, /metrics and the alarm share: set on the web (it serves
    the back office and /metrics), as .env.example documents it, and the alarm on the
    oldest waiting review goes off before the SLA is missed."""
    environment, _ = provided(load("filot-backend-task.json"))
    examples = env_example_values()
    for name in ("REVIEW_SLA_HOURS", "REVIEW_CLAIM_MINUTES"):
        assert name in examples and name in variables_read_by_the_code()
        assert environment[name] == examples[name], name
    sla_seconds = int(environment["REVIEW_SLA_HOURS"]) * 3600
    document = json.loads((DEPLOY / "alarms/cloudwatch-alarms.json").read_text())
    alarm = {alarm["AlarmName"]: alarm for alarm in document["alarms"]}["filot-review-oldest-waiting"]
    assert (alarm["MetricName"], alarm["Statistic"], alarm["ComparisonOperator"]) == (
        "filot_review_oldest_waiting_seconds",
        "Maximum",
        "GreaterThanThreshold",
    )
    # Fires (after its evaluation periods) while the oldest applicant is still inside the SLA.
    warning = alarm["Threshold"] + alarm["Period"] * alarm["EvaluationPeriods"]
    assert sla_seconds / 2 < alarm["Threshold"] and warning < sla_seconds
