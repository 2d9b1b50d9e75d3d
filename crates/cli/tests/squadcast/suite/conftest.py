"""A test suite that reports to Squadcast through the PyPI plugin pytest-squadcast, pointed at
Tocsin: the plugin posts to its hard-coded https://api.squadcast.com/v2/incidents/api/<key>;
only the host is changed here (as a team moving off Squadcast changes it), never the path or
the body the plugin sends. Run by crates/cli/tests/squadcast/main.rs with:
  TOCSIN_URL            Tocsin's base URL (http://127.0.0.1:<port>)
  TOCSIN_SERVICE_KEY    the service's key (its Incident Webhook key)
  TOCSIN_ANSWER_FILE    where Tocsin's answer is written (status line, then the body)
  TOCSIN_SUITE_FAILS    "1" makes the suite fail (a trigger), anything else pass (a resolve)
"""

import os
import types

import pytest_squadcast.squadcast as plugin

SQUADCAST = "https://api.squadcast.com"


def pytest_configure(config):
    real = plugin.requests

    def post(url, **kwargs):
        assert url.startswith(SQUADCAST + "/v2/incidents/api/"), url
        answer = real.post(os.environ["TOCSIN_URL"] + url[len(SQUADCAST):], timeout=30, **kwargs)
        with open(os.environ["TOCSIN_ANSWER_FILE"], "w", encoding="utf-8") as f:
            f.write(f"{answer.status_code}\n{answer.text}")
        return answer

    plugin.requests = types.SimpleNamespace(post=post)


def pytest_squadcast_send_alert(exitstatus):
    # Every run reports: a failing one triggers, a passing one resolves.
    return True


def pytest_squadcast_create_payload(session):
    key = os.environ["TOCSIN_SERVICE_KEY"]
    event_id = "pytest:nightly"
    if session.testsfailed:
        data = {
            "message": f"{session.testsfailed} of {session.testscollected} tests failed in the nightly suite",
            "description": "pytest reported failures; see the CI log.",
            "tags": {
                "suite": "nightly",
                "failed": {"color": "#FF0A49", "value": str(session.testsfailed)},
            },
            "priority": "P2",
            "status": "trigger",
            "event_id": event_id,
        }
    else:
        data = {"message": "the nightly suite passes again", "status": "resolve", "event_id": event_id}
    return {"service": key, "data": data}
