-- wrk script of the benchmark: replays a request list written by scripts/bench.py.
--   wrk ... -s requests.lua URL -- LISTFILE MODE
-- LISTFILE: one request per line, "METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY" (TOKEN, BODY may be empty).
-- "{seq}" in PATH or BODY becomes a counter unique to this run (fresh WeChat login codes).
-- MODE "cycle" repeats the list; "once" sends each line once and then stops (submits).
local reqs = {}
local idx = 0
local seq = 0
local mode = "cycle"
local exhausted = false

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local m, p, t, b = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if m then
      local headers = {}
      if t ~= "" then headers["Authorization"] = "Bearer " .. t end
      if b ~= "" then headers["Content-Type"] = "application/json" else b = nil end
      local r = {m = m, p = p, h = headers, b = b}
      if not p:find("{seq}", 1, true) and not (b and b:find("{seq}", 1, true)) then
        r.static = wrk.format(m, p, headers, b)
      end
      reqs[#reqs + 1] = r
    end
  end
  f:close()
  mode = args[2] or "cycle"
end

local filler = nil

function request()
  if exhausted then
    -- In-flight connections after the last one-shot request: a cheap request, never a repeat.
    filler = filler or wrk.format("GET", "/healthz")
    return filler
  end
  if idx >= #reqs then
    if mode == "once" then
      exhausted = true
      filler = filler or wrk.format("GET", "/healthz")
      return filler
    end
    idx = 0
  end
  idx = idx + 1
  local r = reqs[idx]
  if r.static then return r.static end
  seq = seq + 1
  local s = tostring(seq)
  local p = r.p:gsub("{seq}", s)
  local b = r.b and r.b:gsub("{seq}", s) or nil
  return wrk.format(r.m, p, r.h, b)
end

function response(status, headers, body)
  if exhausted then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
