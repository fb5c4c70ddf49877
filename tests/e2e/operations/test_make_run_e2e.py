"""`make run` as a newcomer meets it: an invalid setting stops it with one line naming the
variable; the banner says how to run tokenctl against this very run; each request prints one
readable line (no JSON logs, no metrics) unless LOG_FORMAT=json."""

import json
import os
import re
import subprocess

import pytest
import requests

from tests.e2e.conftest import ROOT, free_port, tokenctl


def stopped_make_run(**env: str) -> list[str]:
    """`make run` with these settings, expected to stop by itself: its output lines (make's own
    closing "Error" line left out)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(PORT=str(free_port()), DYNAMODB_PORT=str(free_port()), **env)
    done = subprocess.run(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    return [line for line in (done.stdout + done.stderr).splitlines() if line and not line.startswith("make")]


@pytest.mark.parametrize(
    "variable,value",
    [
        ("MAX_SESSION_SECONDS", "0"),
        ("LOCKOUT_THRESHOLD", "O5"),
        ("TRACER_ENABLED", "1"),
        ("ACCESS_TOKEN_FORMAT", "jtw"),
        ("REFRESH_RETRY_GRACE_SECONDS", "61"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_an_invalid_setting_stops_make_run_with_one_line_naming_it(variable, value):
    lines = stopped_make_run(**{variable: value})
    assert lines[-1].startswith(variable + " ") and not any("Serving on" in line for line in lines)
    assert not any("Traceback" in line for line in lines)


def test_the_banner_gives_the_exact_commands_to_run_tokenctl_against_this_run(local_api):
    exports = [line.strip() for line in local_api.output if line.strip().startswith("export ")]
    assert exports[0] == f"export AWS_ENDPOINT_URL_DYNAMODB={local_api.dynamodb_url}"
    assert "  .venv/bin/tokenctl client list" in local_api.output
    listed = tokenctl(local_api, "client", "list", "--json")
    assert listed.returncode == 0 and "demo-client" in {c["client_id"] for c in json.loads(listed.stdout)}


def test_each_request_prints_one_readable_line_and_no_json(local_api):
    requests.get(f"{local_api.url}/.well-known/oauth-authorization-server", timeout=10)
    requests.post(f"{local_api.url}/token", data={"grant_type": "password"}, timeout=10)
    lines = list(local_api.output)
    assert any(re.fullmatch(r"GET /\.well-known/oauth-authorization-server 200 [0-9.]+ ms", x) for x in lines)
    assert any(re.fullmatch(r"POST /token 401 [0-9.]+ ms", line) for line in lines)
    assert not [line for line in lines if '"_aws"' in line or '"level":"INFO"' in line]
