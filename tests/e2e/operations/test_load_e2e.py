"""`make load`, short: it starts `make run`, drives it, checks nothing was lost, exits 0; and the
same against an already running server (BASE_URL)."""

import os
import re
import subprocess
import sys

import pytest

from load.__main__ import main
from localrun.launch import ROOT
from tests.e2e.conftest import needs_dynamodb_local, path_without_java

ROUTES = ("POST /token (password)", "POST /token (refresh_token)", "GET /orders", "POST /revoke")
ROUTES += (  # the code-flow mix
    "GET /authorize (login page)",
    "POST /login",
    "GET /authorize (login session)",
    "POST /token (authorization_code)",
    "GET /userinfo",
)


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    return env


@needs_dynamodb_local
def test_make_load_for_five_seconds_passes_and_reports_every_route():
    result = subprocess.run(
        ["make", "--no-print-directory", "load"],
        cwd=ROOT,
        env=_environment(LOAD_SECONDS="5"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("make load: 16 clients for 5 s") for line in lines)
    for route in ROUTES:
        assert any(line.startswith(route) for line in lines), route
    assert "tokens missing from the tokens table: 0 of" in result.stdout
    assert "revoked tokens still accepted: 0 of" in result.stdout
    assert "DynamoDB server resident memory (pid " in result.stdout
    throttled = next(line for line in lines if line.startswith("Throttled traffic (tier 2/s"))
    found = re.search(
        r"(\d+) admitted .* (\d+) throttled \(429, not errors\), usage counted: (\d+)", throttled
    )
    admitted, refused, counted = (int(number) for number in found.groups())
    assert admitted > 0 and refused > 0 and counted == admitted, throttled
    assert lines[-1].startswith("PASS")


@needs_dynamodb_local
def test_load_against_a_running_server_with_base_url(local_api):
    result = subprocess.run(
        [sys.executable, "-m", "load"],
        cwd=ROOT,
        env=_environment(
            BASE_URL=local_api.url,
            AWS_ENDPOINT_URL_DYNAMODB=local_api.dynamodb_url,
            LOAD_SECONDS="2",
            LOAD_CLIENTS="4",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "registered users: 4 counted, 4 got a password grant, 0 differ" in result.stdout
    assert "pid unknown: BASE_URL was given" in result.stdout


def test_make_load_refuses_to_run_on_the_moto_fallback(tmp_path):
    result = subprocess.run(
        ["make", "--no-print-directory", "load"],
        cwd=ROOT,
        env=_environment(PATH=path_without_java(tmp_path / "bin"), JAVA_HOME="", LOAD_SECONDS="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "make load: it needs DynamoDB Local, and make run fell back:" in result.stderr
    assert "no java was found" in result.stderr


@pytest.mark.parametrize(
    "env,message",
    [
        ({"BASE_URL": "http://example.com"}, "BASE_URL must be an http:// URL on this machine"),
        ({"BASE_URL": "http://127.0.0.1:3000"}, "set AWS_ENDPOINT_URL_DYNAMODB"),
        (
            {
                "BASE_URL": "http://127.0.0.1:3000",
                "AWS_ENDPOINT_URL_DYNAMODB": "https://dynamodb.us-east-1.amazonaws.com",
            },
            "AWS_ENDPOINT_URL_DYNAMODB must be an http:// URL on this machine",
        ),
        ({"LOAD_SECONDS": "0"}, "LOAD_SECONDS must be a whole number from 1 to 3600"),
        ({"LOAD_CLIENTS": "many"}, "LOAD_CLIENTS must be a whole number from 1 to 256"),
    ],
)
def test_load_refuses_what_is_not_loopback_or_bounded(monkeypatch, capsys, env, message):
    for name in ("BASE_URL", "AWS_ENDPOINT_URL_DYNAMODB", "LOAD_SECONDS", "LOAD_CLIENTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main() == 2
    assert message in capsys.readouterr().err
