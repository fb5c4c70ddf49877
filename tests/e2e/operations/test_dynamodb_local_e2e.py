"""`make run`'s embedded database end to end: DynamoDB Local is stopped with the runner (even
when the runner is killed), DYNAMODB_PERSIST keeps data across restarts, and without Java the
runner says so and falls back to the moto server."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from localrun.launch import ROOT, free_port
from tests.e2e.conftest import needs_dynamodb_local, path_without_java, start_make_run, tokenctl

STOP_SECONDS = 20
STARTUP_SECONDS = 120


def _gone(pid: int) -> bool:
    """Whether the process has exited (waiting up to STOP_SECONDS for it)."""
    deadline = time.monotonic() + STOP_SECONDS
    while Path(f"/proc/{pid}").exists():
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        if status == "Z" or time.monotonic() > deadline:
            return status == "Z"
        time.sleep(0.1)  # another process's exit has no event to wait on
    return True


def _runner() -> tuple[subprocess.Popen, int]:
    """`python -m localrun` (without make) on free ports; returns it and DynamoDB Local's pid."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PORT=str(free_port()), DYNAMODB_PORT=str(free_port()), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "localrun"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    serving, lines = threading.Event(), []

    def read():
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Serving on"):
                serving.set()

    threading.Thread(target=read, daemon=True).start()
    if not serving.wait(STARTUP_SECONDS):
        process.kill()
        pytest.fail("the runner did not start:\n" + "".join(lines))
    database = next(line for line in lines if line.startswith("DynamoDB: "))
    return process, int(re.search(r"\bpid (\d+)", database).group(1))


@needs_dynamodb_local
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopping_the_runner_stops_dynamodb_local(signum):
    process, java = _runner()
    process.send_signal(signum)
    assert process.wait(timeout=STOP_SECONDS) == 0
    assert _gone(java)


@needs_dynamodb_local
def test_killing_the_runner_leaves_no_orphan_dynamodb_local():
    process, java = _runner()
    process.kill()  # no finally runs: the watchdog must do it
    process.wait()
    assert _gone(java)


@needs_dynamodb_local
def test_dynamodb_persist_keeps_clients_across_restarts(tmp_path):
    persist = {"DYNAMODB_PERSIST": str(tmp_path / "data")}
    for api in start_make_run(persist):
        assert f"data in {tmp_path / 'data'}" in api.database
        created = tokenctl(api, "client", "create", "--name", "Kept", "--scopes", "read", "--json")
        client_id = json.loads(created.stdout)["client_id"]
    for api in start_make_run(persist):
        listed = json.loads(tokenctl(api, "client", "list", "--json").stdout)
        assert client_id in {client["client_id"] for client in listed}


def test_without_java_make_run_says_so_and_falls_back_to_moto(tmp_path):
    """Only make and a shell on PATH, no JAVA_HOME: one line saying why, the moto warning, and
    the API still served."""
    env = {"PATH": path_without_java(tmp_path / "bin"), "JAVA_HOME": ""}
    for api in start_make_run(env, fallback_allowed=True):
        assert "embedded moto server, for demos only" in api.database
        reason = next(line for line in api.output if "Java 17+" in line)
        assert "no java was found: install a JDK or JRE 17+" in reason
        assert any(line.startswith("Warning: using the moto server instead") for line in api.output)
        response = requests.get(f"{api.url}/.well-known/oauth-authorization-server", timeout=10)
        assert response.status_code == 200
