#!/usr/bin/env python3
"""Turn bench/run.sh's JSON results into the Markdown tables of docs/PERFORMANCE.md.

usage: report.py RESULTS_DIR [--no-doc] DOC
Prints the tables; unless --no-doc, replaces the text between the bench markers in DOC.
"""
import json
import os
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def load(d, name):
    p = os.path.join(d, name + ".json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def ms(us):
    return f"{us / 1000:.2f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


def main():
    args = [a for a in sys.argv[1:] if a != "--no-doc"]
    write_doc = "--no-doc" not in sys.argv
    d, doc = args[0], args[1]
    meta = load(d, "meta") or {}
    meta.update(load(d, "meta-after") or {})
    noop, am = load(d, "noop"), load(d, "alertmanager")
    ceil = noop["alerts_per_sec"] if noop else None
    ceil_p99 = noop["latency_us"]["p99"] if noop else None
    amr = am["alerts_per_sec"] if am else None

    rows = [
        ("no-op ceiling (axum + Kapacitor decode, nothing stored)", "noop"),
        ("**Tocsin, SQLite, durable** (synchronous=FULL)", "tocsin-sqlite"),
        ("Tocsin, PostgreSQL", "tocsin-postgres"),
        ("Prometheus Alertmanager (in memory)", "alertmanager"),
    ]
    out = []
    out.append(
        f"Run {meta.get('started', '?')} at commit `{meta.get('commit', '?')}` on "
        f"{meta.get('cpus', '?')} × {meta.get('cpu_model', '?')}; load average "
        f"{meta.get('loadavg_before', '?')} before, {meta.get('loadavg_after', '?')} after "
        "(other builds shared the machine; the generator shares it too). "
        f"{meta.get('concurrency', '?')} connections, {meta.get('duration', '?')} s per target after "
        f"a 1 s warm-up, {meta.get('keys', '?')} alert ids, {meta.get('ok_fraction', '?')} of alerts "
        "are recoveries (OK).\n"
    )
    out.append("| target | alerts/s | × ceiling | × Alertmanager | p50 ms | p99 ms | p99.9 ms | p99 × ceiling | errors |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, name in rows:
        r = load(d, name)
        if r is None:
            continue
        if "error" in r:
            out.append(f"| {label} | — | | | | | | | {r['error']} |")
            continue
        l = r["latency_us"]
        errs = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
        out.append(
            f"| {label} | {r['alerts_per_sec']:.0f} | {ratio(r['alerts_per_sec'], ceil)} | "
            f"{ratio(r['alerts_per_sec'], amr)} | {ms(l['p50'])} | {ms(l['p99'])} | {ms(l['p999'])} | "
            f"{ratio(l['p99'], ceil_p99)} | {errs} |"
        )
    c1 = load(d, "tocsin-sqlite-c1")
    if c1:
        out.append(
            f"\nOne connection (each alert alone in its commit, one fsync each): "
            f"{c1['alerts_per_sec']:.0f} alerts/s, p50 {ms(c1['latency_us']['p50'])} ms, "
            f"p99 {ms(c1['latency_us']['p99'])} ms."
        )

    base = load(d, "tocsin-sqlite")
    scale_rows = []
    for n in sorted(
        int(f[len("tocsin-sqlite-"):-len(".mem.json")])
        for f in os.listdir(d)
        if f.startswith("tocsin-sqlite-") and f.endswith(".mem.json") and f[14:-9].isdigit()
    ):
        r, mem, db = load(d, f"tocsin-sqlite-{n}"), load(d, f"tocsin-sqlite-{n}.mem"), load(d, f"tocsin-sqlite-{n}.db")
        scale_rows.append((n, r, mem, db))
    out.append("\n| incidents stored | alerts/s | × rate at 0 | p99 ms | RSS idle MiB | RSS peak MiB | database MiB |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|")
    if base:
        mem = load(d, "tocsin-sqlite.mem") or {}
        out.append(
            f"| 0 | {base['alerts_per_sec']:.0f} | 1.00× | {ms(base['latency_us']['p99'])} | "
            f"{mem.get('idle_rss_kib', 0) / 1024:.1f} | {mem.get('peak_rss_kib', 0) / 1024:.1f} | — |"
        )
    for n, r, mem, db in scale_rows:
        mem = mem or {}
        out.append(
            f"| {n:,} | {r['alerts_per_sec']:.0f} | {ratio(r['alerts_per_sec'], base and base['alerts_per_sec'])} | "
            f"{ms(r['latency_us']['p99'])} | {mem.get('idle_rss_kib', 0) / 1024:.1f} | "
            f"{mem.get('peak_rss_kib', 0) / 1024:.1f} | {(db or {}).get('db_kib', 0) / 1024:.0f} |"
        )
    for name, label in (("noop", "no-op server"), ("alertmanager", "Alertmanager")):
        mem = load(d, name + ".mem")
        if mem:
            out.append(f"\nPeak RSS of the {label} under the same load: {mem['peak_rss_kib'] / 1024:.1f} MiB.")
    for f in sorted(os.listdir(d)):
        if f.startswith("seed-"):
            with open(os.path.join(d, f)) as s:
                out.append(f"\nSeeding: {s.read().strip()}")

    text = "\n".join(out) + "\n"
    print(text)
    if not write_doc:
        return
    existing = open(doc).read() if os.path.exists(doc) else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in existing or END not in existing:
        existing += f"\n{BEGIN}\n{END}\n"
    head, rest = existing.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    os.makedirs(os.path.dirname(os.path.abspath(doc)), exist_ok=True)
    with open(doc, "w") as f:
        f.write(f"{head}{BEGIN}\n{text}{END}{tail}")


if __name__ == "__main__":
    main()
