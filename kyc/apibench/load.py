"""wrk, the load generator (Debian's package, `make load-generator`), and its numbers.

Two Lua scripts: reads cycle through (path, token) pairs; uploads post multipart
cards, each with a JPEG comment segment naming its round, thread and request, so
every upload is new bytes (no re-upload answered from the existing document) while
the server still validates, decodes and stores whole generated cards (the comment is
dropped like any metadata).
"""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError

_COMMON = r"""
ok, n, offset = 0, 0, 0
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function response(status, headers, body)
  if status == expected then ok = ok + 1 end
end
function done(summary, latency, requests)
  local good = 0
  for _, thread in ipairs(threads) do good = good + thread:get("ok") end
  local e = summary.errors
  io.write(string.format("FILOT requests=%d duration_us=%d ok=%d p50=%d p95=%d p99=%d socket_errors=%d\n",
    summary.requests, summary.duration, good, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout))
end
local function rows(path)
  local found = {}
  for line in io.lines(path) do
    local a, b = line:match("^(%S+)\t(%S+)$")
    if a then found[#found + 1] = {a, b} end
  end
  return found
end
"""

READS = (
    _COMMON
    + r"""
local targets = {}
function init(args)
  targets = rows(args[1])
  expected = tonumber(args[2])
  n = offset * 7919
end
function request()
  n = n + 1
  local target = targets[n % #targets + 1]
  return wrk.format("GET", target[1], {["Authorization"] = "Bearer " .. target[2]})
end
"""
)

UPLOADS = (
    _COMMON
    + r"""
local cards, tokens, tag = {}, {}, ""
local B = "filotbenchmarkboundary7MA4YWxkTrZu0gW"
function init(args)
  for _, row in ipairs(rows(args[1])) do
    local file = assert(io.open(row[1], "rb"))
    cards[#cards + 1] = {file:read("*a"), row[2]}
    file:close()
  end
  for line in io.lines(args[2]) do tokens[#tokens + 1] = "Bearer " .. line end
  expected = tonumber(args[3])
  tag = args[4]
end
function request()
  n = n + 1
  local card = cards[(n + offset) % #cards + 1]
  local note = string.format("%s-%d-%d", tag, offset, n)
  local jpeg = card[1]:sub(1, 2) .. "\255\254" .. string.char(0, #note + 2) .. note .. card[1]:sub(3)
  local body = "--" .. B .. '\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\n' .. card[2]
    .. "\r\n--" .. B .. '\r\nContent-Disposition: form-data; name="consent"\r\n\r\ntrue'
    .. "\r\n--" .. B .. '\r\nContent-Disposition: form-data; name="file"; filename="card.jpg"\r\n'
    .. "Content-Type: image/jpeg\r\n\r\n" .. jpeg .. "\r\n--" .. B .. "--\r\n"
  return wrk.format("POST", "/api/v1/documents", {
    ["Authorization"] = tokens[n % #tokens + 1],
    ["Content-Type"] = "multipart/form-data; boundary=" .. B,
  }, body)
end
"""
)

_RESULT = re.compile(
    r"FILOT requests=(\d+) duration_us=(\d+) ok=(\d+) p50=(\d+) p95=(\d+) p99=(\d+) socket_errors=(\d+)"
)


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    ok: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.requests - self.ok + self.socket_errors


def write_scripts(work_dir: Path) -> dict[str, Path]:
    scripts = {"reads": work_dir / "reads.lua", "uploads": work_dir / "uploads.lua"}
    scripts["reads"].write_text(READS)
    scripts["uploads"].write_text(UPLOADS)
    return scripts


def run_wrk(*, url: str, script: Path, args: list[str], connections: int, seconds: float) -> Result:
    threads = max(1, min(2, connections))
    command = [
        shutil.which("wrk") or "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), url, "--", *args,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    found = _RESULT.search(result.stdout)
    if result.returncode != 0 or found is None:
        raise CommandError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    requests, duration_us, ok, p50, p95, p99, socket_errors = (int(value) for value in found.groups())
    return Result(requests, duration_us / 1e6, ok, p50 / 1000, p95 / 1000, p99 / 1000, socket_errors)
