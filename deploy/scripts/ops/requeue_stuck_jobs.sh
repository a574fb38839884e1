#!/usr/bin/env bash
# Re-send documents stuck in `processing` now, instead of waiting for the scheduled
# reaper: runs `manage.py reap_stuck_documents` as a one-off task of the backend task
# definition (it has the database; GPU hosts do not) and waits for its exit code.
# Documents past their maximum attempts move to `failed` with a reason, as on schedule.
# Extra arguments after `--` go to the management command.
# Usage: deploy/scripts/ops/requeue_stuck_jobs.sh [--dry-run] [-- ARGS...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
parse_dry_run "$@"
require aws "$PYTHON"

CLUSTER=filot-backend-cluster
extra=()
if [[ ${#ARGS[@]} -gt 0 && "${ARGS[0]}" == -- ]]; then extra=("${ARGS[@]:1}"); fi

# The migration task's network placement, with the reaper's command instead.
input="$(mktemp "${TMPDIR:-/tmp}/filot-requeue-XXXXXX")"
dry || trap 'rm -f "$input"' EXIT
"$PYTHON" - "${ECS_DIR}/run-task-migrate.json" "$input" "${extra[@]}" <<'PY'
import json, sys
source, target, *extra = sys.argv[1:]
task = json.load(open(source))
task["startedBy"] = "ops-requeue-stuck-jobs"
task["overrides"]["containerOverrides"][0]["command"] = ["python", "manage.py", "reap_stuck_documents", *extra]
json.dump(task, open(target, "w"), indent=2)
PY

run_one_off_task "$CLUSTER" "$input" reap_stuck_documents
log "Done."
