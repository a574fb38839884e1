# shellcheck shell=bash
# Shared by the deploy scripts (sourced, not run): names, dry-run, images, task definitions.
#
# Dry run: `--dry-run` on any script, or DRY_RUN=1, prints every `aws` and `docker`
# command (prefixed with "+ ") instead of running it. It writes no image-versions.json;
# the task definition it would register is left in $TMPDIR for inspection.

AWS_REGION="${AWS_REGION:-ap-southeast-2}"
AWS_ACCOUNT_ID="${AWS_ACCOUNT_ID:-070017891928}"
ECR_REGISTRY="${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ECS_DIR="${REPO_ROOT}/deploy/ecs"
IMAGE_VERSIONS_FILE="${IMAGE_VERSIONS_FILE:-${REPO_ROOT}/image-versions.json}"
DRY_RUN="${DRY_RUN:-0}"
PYTHON="${PYTHON:-python3}"

log() { printf '%s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
dry() { [[ "${DRY_RUN}" == 1 ]]; }

# Print a command the way a shell would read it back.
show() { local word out="+"; for word in "$@"; do out+=" $(printf '%q' "$word")"; done; printf '%s\n' "$out"; }

# Run an aws/docker command, or print it in a dry run.
run() { if dry; then show "$@"; else "$@"; fi; }

# Take --dry-run out of the arguments; the rest land in ARGS.
parse_dry_run() {
  ARGS=()
  local arg
  for arg in "$@"; do
    if [[ "$arg" == --dry-run ]]; then DRY_RUN=1; else ARGS+=("$arg"); fi
  done
}

require() {
  local tool
  for tool in "$@"; do
    dry || command -v "$tool" >/dev/null || die "$tool is not installed"
  done
}

# The tag of the images built from this checkout: the commit, marked when it has local changes.
image_tag() {
  if [[ -n "${IMAGE_TAG:-}" ]]; then printf '%s\n' "$IMAGE_TAG"; return; fi
  local commit
  commit="$(git -C "$REPO_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unversioned)"
  if [[ -n "$(git -C "$REPO_ROOT" status --porcelain 2>/dev/null)" ]]; then commit+="-dirty"; fi
  printf '%s\n' "$commit"
}

# Record one image in image-versions.json: name, field=value pairs (tag, image_id, repo_digest...).
record_image() {
  local name="$1"; shift
  if dry; then log "(dry run) would record in ${IMAGE_VERSIONS_FILE}: ${name} $*"; return; fi
  "$PYTHON" - "$IMAGE_VERSIONS_FILE" "$name" "$@" <<'PY'
import json, sys, datetime, pathlib
path, name, pairs = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
data = json.loads(path.read_text()) if path.exists() else {}
entry = data.setdefault(name, {})
for pair in pairs:
    key, _, value = pair.partition("=")
    entry[key] = value
entry["updated_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
PY
}

# One field of an image's record, or nothing.
recorded() {
  [[ -f "$IMAGE_VERSIONS_FILE" ]] || return 0
  "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], {}).get(sys.argv[3], ""))' \
    "$IMAGE_VERSIONS_FILE" "$1" "$2"
}

# build_image NAME DOCKERFILE: build for linux/amd64, tag NAME:latest and NAME:<commit>, check it exists.
build_image() {
  local name="$1" dockerfile="$2" tag
  tag="$(image_tag)"
  log "Building ${name}:${tag} from ${dockerfile}"
  run docker build --platform linux/amd64 -f "${REPO_ROOT}/${dockerfile}" \
    -t "${name}:latest" -t "${name}:${tag}" "${REPO_ROOT}"
  run docker images "${name}:latest"
  if dry; then
    record_image "$name" "tag=${tag}" "image_id=<from docker image inspect>"
    return
  fi
  local image_id
  image_id="$(docker images --no-trunc --quiet "${name}:${tag}")"
  [[ -n "$image_id" ]] || die "docker images does not list ${name}:${tag} after the build"
  record_image "$name" "tag=${tag}" "image_id=${image_id}" "repository=${ECR_REGISTRY}/${name}" "repo_digest="
}

ecr_login() {
  if dry; then
    printf '%s | %s\n' "$(show aws ecr get-login-password --region "$AWS_REGION")" \
      "$(show docker login --username AWS --password-stdin "$ECR_REGISTRY" | cut -c3-)"
    return
  fi
  aws ecr get-login-password --region "$AWS_REGION" \
    | docker login --username AWS --password-stdin "$ECR_REGISTRY"
}

ensure_repository() {
  local name="$1"
  if dry; then
    printf '%s || %s\n' "$(show aws ecr describe-repositories --region "$AWS_REGION" --repository-names "$name")" \
      "$(show aws ecr create-repository --region "$AWS_REGION" --repository-name "$name" \
        --image-scanning-configuration scanOnPush=true --encryption-configuration encryptionType=AES256 | cut -c3-)"
    return
  fi
  aws ecr describe-repositories --region "$AWS_REGION" --repository-names "$name" >/dev/null 2>&1 \
    || aws ecr create-repository --region "$AWS_REGION" --repository-name "$name" \
      --image-scanning-configuration scanOnPush=true --encryption-configuration encryptionType=AES256 >/dev/null
}

# push_image NAME: create the ECR repository if missing, log in, tag, push, record the digest.
push_image() {
  local name="$1" tag remote
  tag="$(recorded "$name" tag)"
  tag="${tag:-$(image_tag)}"
  remote="${ECR_REGISTRY}/${name}"
  ensure_repository "$name"
  ecr_login
  run docker tag "${name}:${tag}" "${remote}:${tag}"
  run docker tag "${name}:${tag}" "${remote}:latest"
  run docker push "${remote}:${tag}"
  run docker push "${remote}:latest"
  if dry; then
    record_image "$name" "repo_digest=<from docker image inspect>"
    return
  fi
  local digest
  digest="$(docker image inspect --format '{{index .RepoDigests 0}}' "${remote}:${tag}")"
  record_image "$name" "repo_digest=${digest}"
}

# The image a task definition should run: the pushed digest, else the commit tag.
image_reference() {
  local name="$1" digest tag
  digest="$(recorded "$name" repo_digest)"
  if [[ -n "$digest" && "$digest" == *@sha256:* ]]; then printf '%s\n' "$digest"; return; fi
  tag="$(recorded "$name" tag)"
  printf '%s\n' "${ECR_REGISTRY}/${name}:${tag:-$(image_tag)}"
}

# register_task FILE NAME: register deploy/ecs/FILE with its container image set to NAME's.
register_task() {
  local file="${ECS_DIR}/$1" name="$2" image rendered
  image="$(image_reference "$name")"
  if grep -q REPLACE_ME "$file"; then
    dry || die "${file} still has REPLACE_ME placeholders: fill them in first (deploy/runbook.md)"
    log "(dry run) note: ${file} still has REPLACE_ME placeholders"
  fi
  rendered="$(mktemp "${TMPDIR:-/tmp}/filot-task-XXXXXX")"
  "$PYTHON" - "$file" "$image" "$rendered" <<'PY'
import json, sys
source, image, target = sys.argv[1:]
task = json.load(open(source))
for container in task["containerDefinitions"]:
    container["image"] = image
json.dump(task, open(target, "w"), indent=2)
PY
  log "Registering $(basename "$file") with image ${image}"
  run aws ecs register-task-definition --region "$AWS_REGION" --cli-input-json "file://${rendered}" \
    --query 'taskDefinition.taskDefinitionArn' --output text
  # A dry run keeps the rendered definition for inspection.
  dry || rm -f "$rendered"
}

# update_service CLUSTER SERVICE FAMILY: roll the service onto the family's newest revision.
update_service() {
  local cluster="$1" service="$2" family="$3"
  run aws ecs update-service --region "$AWS_REGION" --cluster "$cluster" --service "$service" \
    --task-definition "$family" --force-new-deployment \
    --query 'service.deployments[0].id' --output text
  run aws ecs wait services-stable --region "$AWS_REGION" --cluster "$cluster" --services "$service"
}

# run_one_off_task CLUSTER INPUT WHAT: `aws ecs run-task` with INPUT (a run-task JSON),
# wait for the task to stop and fail unless its container exited 0.
run_one_off_task() {
  local cluster="$1" input="$2" what="$3" task exit_code
  if dry; then
    run aws ecs run-task --region "$AWS_REGION" --cli-input-json "file://${input}" \
      --query 'tasks[0].taskArn' --output text
    run aws ecs wait tasks-stopped --region "$AWS_REGION" --cluster "$cluster" --tasks TASK_ARN
    run aws ecs describe-tasks --region "$AWS_REGION" --cluster "$cluster" --tasks TASK_ARN \
      --query 'tasks[0].containers[0].exitCode' --output text
    return
  fi
  grep -q REPLACE_ME "$input" && die "${input} still has REPLACE_ME placeholders (deploy/runbook.md)"
  task="$(aws ecs run-task --region "$AWS_REGION" --cli-input-json "file://${input}" \
    --query 'tasks[0].taskArn' --output text)"
  [[ -n "$task" && "$task" != None ]] || die "the ${what} task did not start"
  log "Running ${what} as ${task}; its log is in /ecs/filot-backend"
  aws ecs wait tasks-stopped --region "$AWS_REGION" --cluster "$cluster" --tasks "$task"
  exit_code="$(aws ecs describe-tasks --region "$AWS_REGION" --cluster "$cluster" --tasks "$task" \
    --query 'tasks[0].containers[0].exitCode' --output text)"
  [[ "$exit_code" == 0 ]] || die "${what} failed (exit ${exit_code}); logs: /ecs/filot-backend"
}

# run_steps "STEP STEP..." REQUESTED...: run the requested steps in order; "all" is every step.
run_steps() {
  local known="$1"; shift
  local requested=("$@") step
  [[ ${#requested[@]} -gt 0 ]] || die "name a step: ${known} or all"
  if [[ "${requested[*]}" == all ]]; then read -r -a requested <<<"$known"; fi
  for step in "${requested[@]}"; do
    [[ " ${known} " == *" ${step} "* ]] || die "unknown step '${step}' (steps: ${known} all)"
  done
  for step in "${requested[@]}"; do
    printf '==> %s\n' "$step"
    "step_${step}"
  done
}
