#!/usr/bin/env bash
# Create the ECR repository filot-ocr-gpu-worker if it is missing, log Docker in to
# ECR, tag and push the image built by build-gpu-worker.sh, record its digest.
# Usage: deploy/scripts/aws-ecr-setup-gpu.sh [--dry-run]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_dry_run "$@"
require aws docker "$PYTHON"
push_image filot-ocr-gpu-worker
