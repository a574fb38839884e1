#!/usr/bin/env bash
# Entry point of both images (deploy/Dockerfile, deploy/Dockerfile.gpu).
#
# Empties the Prometheus multiprocess folder: files left by an earlier run of the
# container would be merged into this run's metrics (see filot/metrics.py). Then it
# becomes the command (exec), so signals reach it directly. The OCR worker's size
# (OCR_GPU_CONCURRENCY processes of one thread) is set by `manage.py rundramatiq`.
set -euo pipefail

if [[ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]]; then
  rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"
  mkdir -p "${PROMETHEUS_MULTIPROC_DIR}"
fi

exec "$@"
