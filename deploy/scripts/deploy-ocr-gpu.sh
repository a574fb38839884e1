#!/usr/bin/env bash
# Deploy the OCR worker to the GPU cluster, step by step or all at once:
#   build     docker image filot-ocr-gpu-worker (build-gpu-worker.sh)
#   push      to ECR (aws-ecr-setup-gpu.sh)
#   register  deploy/ecs/task-ocr-gpu.json with the pushed image
#   update    the service filot-ocr-gpu-worker onto that revision, and wait until stable
# Usage: deploy/scripts/deploy-ocr-gpu.sh build|push|register|update|all... [--dry-run]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_dry_run "$@"
export DRY_RUN
require aws docker "$PYTHON"

CLUSTER=filot-ocr-gpu-cluster
SERVICE=filot-ocr-gpu-worker
FAMILY=filot-ocr-gpu-worker
IMAGE=filot-ocr-gpu-worker
SCRIPTS="$(dirname "${BASH_SOURCE[0]}")"

step_build() { "${SCRIPTS}/build-gpu-worker.sh"; }
step_push() { "${SCRIPTS}/aws-ecr-setup-gpu.sh"; }
step_register() { register_task task-ocr-gpu.json "$IMAGE"; }
step_update() { update_service "$CLUSTER" "$SERVICE" "$FAMILY"; }

run_steps "build push register update" "${ARGS[@]}"
