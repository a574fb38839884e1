#!/usr/bin/env bash
# End-to-end smoke test of a running FiLot stack, through its public API.
#
#   health    GET /health and /health/ready answer 200
#   register  a new applicant account (a throw-away smoke-*@example.com address)
#   login     POST /api/v1/auth/token gives an access token
#   profile   the applicant declares the identity printed on the test card
#   upload    a synthetic KTP made by `manage.py make_sample_cards` (no real person's data)
#   decision  the document reaches a decision (auto_approved, auto_rejected, needs_review)
#   results   a message about the document arrived on the OCR results channel
#
# Prints PASS or FAIL per step and exits non-zero when any step fails.
# Usage: deploy/scripts/smoke/run_e2e_smoke.sh BASE_URL
# Environment: SMOKE_REDIS_URL (default REDIS_URL) to listen on the results channel;
#   OCR_GPU_PUBLISH_CHANNEL (default filot:ocr:gpu:results); SMOKE_TIMEOUT seconds to
#   wait for the decision (default 180); PYTHON, the project's interpreter (python3).
set -euo pipefail

BASE_URL="${1:?usage: run_e2e_smoke.sh BASE_URL}"
BASE_URL="${BASE_URL%/}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PYTHON="${PYTHON:-python3}"
REDIS_FOR_RESULTS="${SMOKE_REDIS_URL:-${REDIS_URL:-}}"
CHANNEL="${OCR_GPU_PUBLISH_CHANNEL:-filot:ocr:gpu:results}"
TIMEOUT="${SMOKE_TIMEOUT:-180}"
DECIDED="auto_approved auto_rejected needs_review approved rejected"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/filot-smoke-XXXXXX")"
LISTENER=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  if [[ -n "$LISTENER" ]]; then kill "$LISTENER" 2>/dev/null || true; wait "$LISTENER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=0
pass() { printf 'PASS %-9s %s\n' "$1" "${2:-}"; }
fail() { printf 'FAIL %-9s %s\n' "$1" "${2:-}"; FAILED=1; }
finish() {
  if [[ "$FAILED" == 0 ]]; then echo "SMOKE PASS"; exit 0; fi
  echo "SMOKE FAIL"; exit 1
}

# http METHOD PATH [curl args...]: the status code; the body lands in $WORK/body.
http() {
  local method="$1" path="$2"; shift 2
  curl -sS -o "$WORK/body" -w '%{http_code}' --max-time 30 -X "$method" "$@" "${BASE_URL}${path}" || echo 000
}
# field NAME: a top-level field of the last JSON body, or nothing.
field() {
  "$PYTHON" -c 'import json, sys
try:
    print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))
except Exception:
    print("")' "$WORK/body" "$1"
}
json_body() { "$PYTHON" -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' "$@"; }

# --- health ------------------------------------------------------------------------
live="$(http GET /health)"
ready="$(http GET /health/ready)"
if [[ "$live" == 200 && "$ready" == 200 ]]; then pass health; else
  fail health "/health ${live}, /health/ready ${ready}: $(head -c 300 "$WORK/body")"
  finish
fi

# --- listen on the results channel before anything is uploaded -----------------------
if [[ -n "$REDIS_FOR_RESULTS" ]]; then
  "$PYTHON" - "$REDIS_FOR_RESULTS" "$CHANNEL" "$WORK/results" "$((TIMEOUT + 30))" <<'PY' &
import sys, time
import redis
url, channel, out, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
pubsub = redis.Redis.from_url(url, socket_connect_timeout=5).pubsub()
pubsub.subscribe(channel)
deadline = time.monotonic() + seconds
with open(out, "a", encoding="utf-8") as lines:
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1.0)
        if message and message["type"] == "subscribe":
            lines.write("#subscribed\n")
        elif message and message["type"] == "message":
            lines.write(message["data"].decode() + "\n")
        lines.flush()
PY
  LISTENER=$!
  for _ in $(seq 50); do grep -q '^#subscribed' "$WORK/results" 2>/dev/null && break; sleep 0.2; done
fi

# --- register and log in -----------------------------------------------------------
EMAIL="smoke-$(date +%s)-${RANDOM}@example.com"
# Random and sharing nothing with the email (the password validators refuse similar ones).
PASSWORD="pw-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
code="$(http POST /api/v1/auth/register -H 'Content-Type: application/json' \
  -d "$(json_body email "$EMAIL" password "$PASSWORD")")"
if [[ "$code" == 201 ]]; then pass register "$EMAIL"; else fail register "HTTP ${code}: $(head -c 300 "$WORK/body")"; finish; fi

code="$(http POST /api/v1/auth/token -H 'Content-Type: application/json' \
  -d "$(json_body email "$EMAIL" password "$PASSWORD")")"
TOKEN="$(field access)"
if [[ "$code" == 200 && -n "$TOKEN" ]]; then pass login; else fail login "HTTP ${code}"; finish; fi
AUTH=(-H "Authorization: Bearer ${TOKEN}")

# --- a synthetic KTP and the identity printed on it ------------------------------------
(cd "$REPO_ROOT" && "$PYTHON" manage.py make_sample_cards --out "$WORK/cards" --count 12 --seed "$RANDOM" >/dev/null)
"$PYTHON" - "$WORK/cards" >"$WORK/card.env" <<'PY'
import json, shlex, sys
from pathlib import Path
cards = Path(sys.argv[1])
rows = [json.loads(line) for line in (cards / "truth.jsonl").read_text().splitlines()]
ktp = next((r for r in rows if r["doc_type"] == "KTP" and r["difficulty"] == "clean"), None)
ktp = ktp or next(r for r in rows if r["doc_type"] == "KTP")
fields = ktp["fields"]
print(f"CARD={shlex.quote(str(cards / ktp['file']))}")
print(f"PROFILE={shlex.quote(json.dumps({'full_name': fields.get('name', ''), 'date_of_birth': fields.get('birth_date'), 'nik': fields.get('nik', ''), 'phone': '+6281200000000'}))}")
PY
# shellcheck source=/dev/null
source "$WORK/card.env"

code="$(http PUT /api/v1/profile "${AUTH[@]}" -H 'Content-Type: application/json' -d "$PROFILE")"
if [[ "$code" == 200 ]]; then pass profile; else fail profile "HTTP ${code}: $(head -c 300 "$WORK/body")"; fi

code="$(http POST /api/v1/documents "${AUTH[@]}" -F doc_type=KTP -F consent=true -F "file=@${CARD};type=image/jpeg")"
DOCUMENT="$(field id)"
if [[ "$code" == 201 && -n "$DOCUMENT" ]]; then pass upload "document ${DOCUMENT}"; else
  fail upload "HTTP ${code}: $(head -c 300 "$WORK/body")"
  finish
fi

# --- poll until a decision ------------------------------------------------------------
status=""
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  code="$(http GET "/api/v1/documents/${DOCUMENT}" "${AUTH[@]}")"
  status="$(field status)"
  if [[ " $DECIDED " == *" ${status} "* || "$status" == failed ]]; then break; fi
  sleep 1
done
if [[ " $DECIDED " == *" ${status} "* ]]; then pass decision "${status} (score $(field score))"; else
  fail decision "status '${status:-none}' after ${TIMEOUT}s (last HTTP ${code}) $(field failure_reason)"
fi

# --- the results channel ----------------------------------------------------------------
if [[ -z "$REDIS_FOR_RESULTS" ]]; then
  fail results "set SMOKE_REDIS_URL to listen on ${CHANNEL}"
else
  for _ in $(seq 20); do grep -q "\"${DOCUMENT}\"" "$WORK/results" 2>/dev/null && break; sleep 0.5; done
  if grep -q "\"${DOCUMENT}\"" "$WORK/results" 2>/dev/null; then pass results "message on ${CHANNEL}"; else
    fail results "no message about ${DOCUMENT} on ${CHANNEL}"
  fi
fi

finish
