"""The 50 rules bench/noise.sh puts on the benchmarked service: `python3 bench/rules.py ROUTE_ID`.

A mix a busy team might have, written so that an ordinary alert is tested against every rule
(none of the first 49 match the bench's alerts, so no rule's early exit helps) and the last one
matches every alert (so the alert is changed, as a real tag rule would): 10 suppress rules on
the title, 10 routes on a tag, 10 tag rules with a regex capture, 10 severity rules on a
payload field (which makes the payload parsed once per alert), 9 dedup windows on the key, and
a tag rule on the source.
"""
import json
import sys

route = sys.argv[1]
rules = []
for i in range(10):
    rules.append({"action": "suppress",
                  "conditions": [{"field": "title", "op": "contains", "value": f"planned-work-{i}"}]})
for i in range(10):
    rules.append({"action": "route", "service_id": route,
                  "conditions": [{"field": "tags.host", "op": "==", "value": f"db-{i}"}]})
for i in range(10):
    rules.append({"action": "tag", "tags": {"disk": "$1"},
                  "conditions": [{"field": "title", "op": "matches", "value": f"^disk-{i}-(\\d+) full"}]})
for i in range(10):
    rules.append({"action": "set_severity", "severity": "info",
                  "conditions": [{"field": "payload.data.series[0].name", "op": "==", "value": f"batch-{i}"}]})
for i in range(9):
    rules.append({"action": "dedup_window", "minutes": 30 + i,
                  "conditions": [{"field": "dedup_key", "op": "contains", "value": f"flappy-{i}:"}]})
rules.append({"action": "tag", "tags": {"pipeline": "bench"},
              "conditions": [{"field": "source", "op": "==", "value": "kapacitor"}]})
assert len(rules) == 50
json.dump(rules, sys.stdout)
