#!/usr/bin/env python3
"""Turn bench/run.sh's JSON results into the Markdown tables of docs/PERFORMANCE.md.

usage: report.py RESULTS_DIR [--no-doc] DOC
Prints the tables; unless --no-doc, replaces the text between the bench markers in DOC:
the ingest tables between `bench:begin`/`bench:end`, the paging ones (step 5) between
`bench-paging:begin`/`bench-paging:end`, each only when the run measured it (BENCH_ONLY).
"""
import json
import os
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PAGING_BEGIN, PAGING_END = "<!-- bench-paging:begin -->", "<!-- bench-paging:end -->"


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


def run_line(meta):
    return (
        f"Run {meta.get('started', '?')} at commit `{meta.get('commit', '?')}` on "
        f"{meta.get('cpus', '?')} × {meta.get('cpu_model', '?')}; load average "
        f"{meta.get('loadavg_before', '?')} before, {meta.get('loadavg_after', '?')} after "
        "(other builds shared the machine; the generator shares it too). "
    )


def lat(l):
    return f"{ms(l['p50'])} | {ms(l['p99'])} | {ms(l['p999'])} | {ms(l['max'])}"


def paging(d, meta):
    """Step 5's tables, or None when it did not run."""
    rates = sorted(
        int(f[len("page-latency-"):-len(".json")])
        for f in os.listdir(d)
        if f.startswith("page-latency-") and f[len("page-latency-"):-len(".json")].isdigit()
    )
    offs = sorted(f[:-5] for f in os.listdir(d) if f.startswith("page-ingest-off-") and f.endswith(".json") and ".run" not in f)
    ons = sorted(f[:-5] for f in os.listdir(d) if f.startswith("page-ingest-on-") and f.endswith(".json") and ".run" not in f)
    pending = load(d, "page-pending")
    cost = page_cost(d)
    if not (rates or offs or ons or pending or cost):
        return None
    out = [run_line(meta) + f"{meta.get('concurrency', '?')} connections.\n"]
    if rates:
        out.append(
            "**Page latency**: new incidents (each alert its own key, CRITICAL) at a fixed rate "
            "(open loop) on a service whose policy pages a user at once on a webhook to the "
            "generator's loopback receiver (answers 204); latency from the 202 being read to the "
            "webhook being received (a page that arrives first counts 0), and from the alert "
            "being due to be sent.\n"
        )
        out.append("| new incidents/s | opened | paged | missing | duplicates | 202 → page p50 ms | p99 ms | p99.9 ms | max ms | alert → page p99 ms |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rates:
            x = load(d, f"page-latency-{r}")
            p = x["page"]
            out.append(
                f"| {r:,} | {p['opened']} | {p['paged']} | {p['missing']} | {p['duplicates']} | "
                f"{lat(p['latency_us'])} | {ms(p['from_due_us']['p99'])} |"
            )
    if offs or ons:
        out.append(
            f"\n**Ingest with the engine on**: the ingest load of the tables above "
            f"({meta.get('duration', '?')} s after a 1 s warm-up, {meta.get('keys', '?')} ids, "
            f"{meta.get('ok_fraction', '?')} recoveries) on a new service with no policy, and on "
            "one whose policy pages a user on a webhook (receiver answers 204), alternately on "
            "one server; server CPU includes sending the pages (the generator waits for the last "
            "page before it ends).\n"
        )
        out.append("| run | alerts/s | server CPU µs/alert | 202 p99 ms | incidents opened | paged | never paged | 202 → page p50 ms | p99 ms | other webhooks | errors |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        rows = {}
        for name in sorted(offs + ons, key=lambda n: (n.rsplit("-", 1)[1], "-on-" in n)):
            x = load(d, name)
            p = x["page"]
            label = ("policy" if "-on-" in name else "no policy") + f", round {name.rsplit('-', 1)[1]}"
            errs = ", ".join(f"{k}: {v}" for k, v in x["errors"].items()) or "0"
            out.append(
                f"| {label} | {x['alerts_per_sec']:.0f} | {x['server_cpu_us_per_alert'] or 0:.0f} | "
                f"{ms(x['latency_us']['p99'])} | {p['opened']} | {p['paged']} | "
                + (f"{p['missing']} | {ms(p['latency_us']['p50'])} | {ms(p['latency_us']['p99'])} | " if p["policy_delay_minutes"] is not None else "— | — | — | ")
                + f"{p['other_events']} | {errs} |"
            )
            rows.setdefault("-on-" in name, []).append(x)
        if rows.get(True) and rows.get(False):
            def mean(xs, k):
                v = [x[k] for x in xs if x.get(k)]
                return sum(v) / len(v) if v else None
            on_r, off_r = mean(rows[True], "alerts_per_sec"), mean(rows[False], "alerts_per_sec")
            on_c, off_c = mean(rows[True], "server_cpu_us_per_alert"), mean(rows[False], "server_cpu_us_per_alert")
            out.append(
                f"| **policy ÷ no policy** (means) | **{ratio(on_r, off_r)}** | **{ratio(on_c, off_c)}** | | | | | | | | |"
            )
    if pending:
        n = pending["pending"]
        i0, i1 = load(d, "page-idle-0") or {}, load(d, "page-idle-pending") or {}
        b, a, fill = load(d, "page-pending-0"), load(d, "page-pending-n"), load(d, "page-pending-fill")
        out.append(
            f"\n**{n:,} incidents waiting**: on one server, page latency at 100 new incidents/s "
            f"and then {i0.get('seconds', '?')} s idle; then {n:,} new incidents on another service "
            "whose policy's only step waits 60 minutes (each leaves a pending escalation row); "
            "idle again, then page latency at 100/s on a third service (delay 0).\n"
        )
        out.append("| pending steps | idle server CPU ms per s | RSS MiB | 202 → page p50 ms | p99 ms | p99.9 ms | max ms | paged / opened |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---|")
        for k, idle, x in ((0, i0, b), (n, i1, a)):
            p = x["page"] if x else None
            out.append(
                f"| {k:,} | {idle.get('cpu_ms', 0) / max(idle.get('seconds', 1), 1):.1f} | "
                f"{idle.get('rss_kib', 0) / 1024:.1f} | "
                + (f"{lat(p['latency_us'])} | {p['paged']} / {p['opened']} |" if p else "— | — | — | — | — |")
            )
        if fill:
            fp = fill["page"]
            out.append(
                f"\nFilling: {fp['opened']:,} incidents opened at {fill['alerts_per_sec']:.0f}/s "
                f"(202 p99 {ms(fill['latency_us']['p99'])} ms), {fp['webhooks']} webhooks during it."
            )
    if cost:
        out.extend(cost)
    return "\n".join(out) + "\n"


def page_cost(d):
    """Step 5d's table: 100 new incidents/s paged or not, alone and beside full-speed ingest."""
    rounds = sorted({
        int(f.rsplit("-", 1)[1][:-len(".json")])
        for f in os.listdir(d)
        if f.startswith("page-alone-") and f.endswith(".json") and not f.endswith(".cpu.json")
    })
    if not rounds:
        return None
    out = [
        "\n**What a page costs**: 100 new incidents/s for 10 s, each on a fresh server, on a "
        "service whose policy pages a user at once on a webhook (policy) or on one with none "
        "(no policy), alternately: the server's CPU per incident, alone; and the same 100/s "
        "beside the ingest load of the table above on another service with no policy: that "
        "load's rate and the server's CPU per alert (all alerts, the pages' work included).\n",
        "| run | alone: server CPU ms per incident | paged / opened | beside ingest: alerts/s | server CPU µs/alert | 202 p99 ms | paged / opened |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    sums = {}
    for r in rounds:
        for mode in ("off", "on"):
            alone, cpu = load(d, f"page-alone-{mode}-{r}"), load(d, f"page-alone-{mode}-{r}.cpu")
            beside, trickle = load(d, f"page-beside-{mode}-{r}"), load(d, f"page-beside-trickle-{mode}-{r}")
            if not (alone and cpu and beside and trickle):
                continue
            per = cpu["server_cpu_ms"] / alone["accepted"] if alone["accepted"] else None
            s = sums.setdefault(mode, {"alone": [], "rate": [], "cpu": []})
            s["alone"].append(per or 0)
            s["rate"].append(beside["alerts_per_sec"])
            s["cpu"].append(beside["server_cpu_us_per_alert"] or 0)
            pa, pt = alone["page"], trickle["page"]
            out.append(
                f"| {'policy' if mode == 'on' else 'no policy'}, round {r} | {per or 0:.2f} | "
                f"{pa['paged']} / {pa['opened']} | {beside['alerts_per_sec']:.0f} | "
                f"{beside['server_cpu_us_per_alert'] or 0:.0f} | {ms(beside['latency_us']['p99'])} | "
                f"{pt['paged']} / {pt['opened']} |"
            )
    if "on" in sums and "off" in sums:
        mean = lambda xs: sum(xs) / len(xs) if xs else None
        on, off = sums["on"], sums["off"]
        page_ms = mean(on["alone"]) - mean(off["alone"])
        out.append(
            f"| **policy ÷ no policy** (means) | **{ratio(mean(on['alone']), mean(off['alone']))}** "
            f"(a page: {page_ms:.2f} ms) | | **{ratio(mean(on['rate']), mean(off['rate']))}** | "
            f"**{ratio(mean(on['cpu']), mean(off['cpu']))}** | | |"
        )
    return out


def replace_block(existing, begin, end, text):
    if begin not in existing or end not in existing:
        existing += f"\n{begin}\n{end}\n"
    head, rest = existing.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{text}{end}{tail}"


def main():
    args = [a for a in sys.argv[1:] if a != "--no-doc"]
    write_doc = "--no-doc" not in sys.argv
    d, doc = args[0], args[1]
    meta = load(d, "meta") or {}
    meta.update(load(d, "meta-after") or {})
    page_text = paging(d, meta)
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
        run_line(meta) + f"{meta.get('concurrency', '?')} connections, {meta.get('duration', '?')} s per target after "
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
    # The ingest tables only when the run measured ingest (BENCH_ONLY may have skipped it).
    ingest = any(load(d, n) for n in ("noop", "tocsin-sqlite", "alertmanager")) or scale_rows
    if ingest:
        print(text)
    if page_text:
        print(page_text)
    if not write_doc:
        return
    existing = open(doc).read() if os.path.exists(doc) else f"# Performance\n\n{BEGIN}\n{END}\n"
    if ingest:
        existing = replace_block(existing, BEGIN, END, text)
    if page_text:
        existing = replace_block(existing, PAGING_BEGIN, PAGING_END, page_text)
    os.makedirs(os.path.dirname(os.path.abspath(doc)), exist_ok=True)
    with open(doc, "w") as f:
        f.write(existing)


if __name__ == "__main__":
    main()
