-- wrk script: the same alert as kapacitor.lua, as Prometheus Alertmanager takes it
-- (POST /api/v2/alerts, a list of one alert), with a fresh id label per request. Prints the
-- same JSON line.
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  counter = 0
  prefix = string.format("wrk-%d-%d-%d", os.time(), tid, math.random(1, 1000000000))
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  counter = counter + 1
  local id = prefix .. "-" .. counter
  local body = '[{"labels":{"alertname":"cpu","host":"web-1","cpu":"cpu-total","id":"' .. id
    .. '","severity":"critical"},"annotations":{"summary":"' .. id .. ' is CRITICAL",'
    .. '"description":"cpu usage_idle below threshold"},'
    .. '"startsAt":"2026-12-01T12:00:00.123456789Z"}]'
  return wrk.format("POST", nil, headers, body)
end

-- wrk's report (one JSON line), shared by the scripts beside this one.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
