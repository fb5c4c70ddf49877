"""An invalid setting fails a function's cold start (the import of its handler) with one line
naming the variable, instead of serving with a default."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = ["token", "authorizer", "applications", "portal", "orders", "portal_client", "stack_setup"]


def cold_start(function: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import functions.{function}.app"],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/common'}", "AWS_DEFAULT_REGION": "us-east-1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_an_invalid_setting_fails_the_cold_start_naming_the_variable(function):
    started = cold_start(function, LOCKOUT_THRESHOLD="O5")
    assert started.returncode != 0
    last = started.stderr.strip().splitlines()[-1]
    assert "LOCKOUT_THRESHOLD" in last and "O5" in last


@pytest.mark.parametrize(
    "variable,value",
    [("MAX_SESSION_SECONDS", "0"), ("TRACER_ENABLED", "1"), ("ACCESS_TOKEN_FORMAT", "jtw")],
)
def test_the_token_function_refuses_each_kind_of_invalid_setting(variable, value):
    started = cold_start("token", **{variable: value})
    assert started.returncode != 0 and variable in started.stderr.strip().splitlines()[-1]


def test_valid_settings_start_every_function():
    for function in FUNCTIONS:
        started = cold_start(function, LOCKOUT_THRESHOLD="3", TRACER_ENABLED="false")
        assert started.returncode == 0, started.stderr
