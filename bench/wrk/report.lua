-- The one report of bench/wrk's scripts, loaded by each: when wrk is done, one JSON line
-- {"requests", "non_2xx", "socket_errors", "seconds", "rate", "p50_ms", "p99_ms", "p999_ms"}.
function done(summary, latency, requests)
  local e = summary.errors
  local sock = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    '{"requests":%d,"non_2xx":%d,"socket_errors":%d,"seconds":%.3f,"rate":%.1f,'
      .. '"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f}\n',
    summary.requests, e.status, sock, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000))
end
