#!/usr/bin/env bash
# Build the OCR worker image for linux/amd64 and tag it filot-ocr-gpu-worker:latest and
# :<commit>; checks `docker images` lists it and records it in image-versions.json.
# Usage: deploy/scripts/build-gpu-worker.sh [--dry-run]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_dry_run "$@"
require docker "$PYTHON"
build_image filot-ocr-gpu-worker deploy/Dockerfile.gpu
