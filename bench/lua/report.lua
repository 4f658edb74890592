-- Prepended to every target's script by bench/http.py: one JSON line with wrk's own figures
-- (and the per-thread status counts of scripts that define a response() counting them).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local created, other = 0, 0
  for _, thread in ipairs(threads) do
    created = created + (thread:get("created") or 0)
    other = other + (thread:get("other") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "created": %d, "other": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), created, other))
end
