-- wrk script: a Kapacitor CRITICAL alert with a fresh id per request (every alert opens an
-- incident), the body Kapacitor's post handler sends. Prints one JSON line when done:
-- {"requests", "non_2xx", "socket_errors", "seconds", "rate", "p50_ms", "p99_ms", "p999_ms"}.
-- Used by bench/ingest.sh; wrk is the generator because it costs far less CPU per request than
-- the server it drives, so the ceiling measured is the server's.
local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  prefix = string.format("wrk-%d-%d-%d", os.time(), tid, math.random(1, 1000000000))
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  counter = counter + 1
  local id = prefix .. "-" .. counter
  local body = '{"id":"' .. id .. '","message":"' .. id .. ' is CRITICAL",'
    .. '"details":"cpu usage_idle below threshold","time":"2026-12-01T12:00:00.123456789Z",'
    .. '"duration":0,"level":"CRITICAL","data":{"series":[{"name":"cpu","tags":'
    .. '{"host":"web-1","cpu":"cpu-total"},"columns":["time","usage_idle"],'
    .. '"values":[["2026-12-01T12:00:00.123456789Z",3.2]]}]},"previousLevel":"OK",'
    .. '"recoverable":true}'
  return wrk.format("POST", nil, headers, body)
end

-- wrk's report (one JSON line), shared by the scripts beside this one.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
