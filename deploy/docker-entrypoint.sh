#!/usr/bin/env bash
# Entry point of both images (deploy/Dockerfile, deploy/Dockerfile.gpu).
#
# 1. Empties the Prometheus multiprocess folder: files left by an earlier run of the
#    container would be merged into this run's metrics (see filot/metrics.py).
# 2. Sizes the OCR worker: `rundramatiq --queues ocr-gpu` without --processes gets
#    one process per concurrent card, OCR_GPU_CONCURRENCY, with one thread each
#    (ONNX Runtime and Tesseract each use one core per card; processes scale better
#    than threads here). An explicit --processes in the command wins.
# Then it runs the command as PID 1's only child, with signals passed on (exec).
set -euo pipefail

if [[ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]]; then
  rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"
  mkdir -p "${PROMETHEUS_MULTIPROC_DIR}"
fi

args=("$@")
if [[ "${args[*]}" == *"rundramatiq"* && " ${args[*]} " == *" ocr-gpu "* ]]; then
  if [[ " ${args[*]} " != *" --processes "* && " ${args[*]} " != *" -p "* ]]; then
    args+=(--processes "${OCR_GPU_CONCURRENCY:-1}" --threads 1)
  fi
fi

exec "${args[@]}"
