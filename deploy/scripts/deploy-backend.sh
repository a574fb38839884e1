#!/usr/bin/env bash
# Deploy the web and the CPU worker (one image, filot-backend) to filot-backend-cluster:
#   build     docker image filot-backend from deploy/Dockerfile
#   push      to ECR
#   register  deploy/ecs/filot-backend-task.json and task-cpu-worker.json with that image
#   migrate   `manage.py migrate` as a one-off ECS task of the new revision; stops the
#             deploy unless it exits 0 (never at container start-up)
#   update    the services filot-backend and filot-cpu-worker, and wait until stable
# Usage: deploy/scripts/deploy-backend.sh build|push|register|migrate|update|all... [--dry-run]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_dry_run "$@"
require aws docker "$PYTHON"

CLUSTER=filot-backend-cluster
IMAGE=filot-backend

step_build() { build_image "$IMAGE" deploy/Dockerfile; }
step_push() { push_image "$IMAGE"; }
step_register() {
  register_task filot-backend-task.json "$IMAGE"
  register_task task-cpu-worker.json "$IMAGE"
}

step_migrate() {
  # Before the services update: a failed migration stops the deploy here.
  run_one_off_task "$CLUSTER" "${ECS_DIR}/run-task-migrate.json" migrations
}

step_update() {
  update_service "$CLUSTER" filot-backend filot-backend
  update_service "$CLUSTER" filot-cpu-worker filot-cpu-worker
}

run_steps "build push register migrate update" "${ARGS[@]}"
