#!/usr/bin/env python3
"""The table of bench/ingest.sh: one row per (what, build), medians over the pairs, then the
issue-16 ratios computed within this one run."""
import json
import statistics
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
groups = {}
for r in rows:
    what = r["row"].split("-sqlite-")[0] + ("-sqlite" if "-sqlite-" in r["row"] else "")
    groups.setdefault((what, r["build"]), []).append(r)


def med(rs, k):
    vals = [r[k] for r in rs if r.get(k) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


print("| what | build | runs | requests/s | p99 ms | p99.9 ms | server CPU µs/request | errors |")
print("|---|---|---|---|---|---|---|---|")
summary = {}
for (what, build), rs in sorted(groups.items()):
    s = {k: med(rs, k) for k in ("rate", "p99_ms", "p999_ms", "cpu_us_per_request")}
    summary[(what, build)] = s
    errs = sum(r["non_2xx"] + r["socket_errors"] for r in rs)
    print(f"| {what} | {build} | {len(rs)} | {fmt(s['rate'], ',.0f')} | {fmt(s['p99_ms'], '.1f')} "
          f"| {fmt(s['p999_ms'], '.1f')} | {fmt(s['cpu_us_per_request'], '.0f')} | {errs} |")


def get(what, build, k):
    return (summary.get((what, build)) or {}).get(k)


print()
for build in ("A", "B"):
    ing, hz = get("ingest-sqlite", build, "rate"), get("healthz", build, "rate")
    am = get("ingest", "alertmanager", "rate")
    cpu = get("ingest-sqlite", build, "cpu_us_per_request")
    hz_cpu, bare = get("healthz", build, "cpu_us_per_request"), get("healthz", "bare-axum", "cpu_us_per_request")
    p99, hz_p99 = get("ingest-sqlite", build, "p99_ms"), get("healthz", build, "p99_ms")
    parts = [f"build {build}: CPU/alert {fmt(cpu, '.0f')} µs (target ≤ 40)"]
    if ing and hz:
        parts.append(f"ingest/healthz rate {ing / hz:.2f}× (≥ 0.6)")
    if ing and am:
        parts.append(f"ingest/Alertmanager {ing / am:.2f}× (≥ 2.5)")
    if p99 and hz_p99:
        parts.append(f"p99 ingest/healthz {p99 / hz_p99:.1f}× (≤ 3)")
    if hz_cpu and bare:
        parts.append(f"healthz CPU/bare axum {hz_cpu / bare:.1f}× (≤ 1.5)")
    pg = get("ingest-pg", build, "rate")
    if pg:
        parts.append(f"PostgreSQL {pg:,.0f}/s")
    print("; ".join(parts))
gen = get("healthz", "bare-axum", "rate")
ing_b = get("ingest-sqlite", "B", "rate")
if gen and ing_b:
    print(f"generator check: wrk drove a bare handler at {gen / ing_b:.1f}× build B's ingest rate (≥ 2 wanted)")
