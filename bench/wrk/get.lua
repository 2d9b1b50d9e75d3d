-- wrk script for a plain GET (/healthz), reported as kapacitor.lua reports.
-- wrk's report (one JSON line), shared by the scripts beside this one.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
