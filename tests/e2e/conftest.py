"""`make run` started once for the e2e tests, on free ports, and read like a user would."""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalApi:
    url: str
    dynamodb_url: str
    output: list[str] = field(default_factory=list)
    demo: dict[str, str] = field(default_factory=dict)
    curl: str = ""

    def log(self) -> str:
        return "\n".join(self.output)


def _value(lines: list[str], label: str) -> str:
    for line in lines:
        match = re.match(rf"\s*{label}:\s+(\S+)", line)
        if match:
            return match.group(1)
    raise AssertionError(f"make run did not print {label}")


def start_make_run(extra_env: dict[str, str] | None = None):
    """`make run` on free ports, read like a user would; yields the LocalApi, stops it after."""
    if shutil.which("make") is None:
        pytest.fail("make is required")
    port, dynamodb_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PORT=str(port), DYNAMODB_PORT=str(dynamodb_port), **(extra_env or {}))
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    dynamodb_url = env.get("AWS_ENDPOINT_URL_DYNAMODB") or f"http://127.0.0.1:{dynamodb_port}"
    api = LocalApi(f"http://127.0.0.1:{port}", dynamodb_url)
    ready = threading.Event()

    def read():
        for line in process.stdout:
            api.output.append(line.rstrip("\n"))
            if line.startswith("Serving on"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("make run did not start:\n" + api.log())
    lines = list(api.output)
    api.demo = {key: _value(lines, key) for key in ("client_id", "client_secret", "username", "password")}
    api.curl = next(line.strip() for line in lines if line.strip().startswith("curl -k"))
    yield api
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def local_api():
    yield from start_make_run()


def tokenctl(api: LocalApi, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The installed tokenctl against the server's DynamoDB, with no AWS configuration at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_ENDPOINT_URL_DYNAMODB"] = api.dynamodb_url
    return subprocess.run(
        [str(ROOT / ".venv/bin/tokenctl"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def password_token(api: LocalApi, scope: str | None = None, **overrides: str) -> requests.Response:
    """POST /token with the demo client (Basic) and the demo user's password grant."""
    demo = api.demo
    form = {"grant_type": "password", "username": demo["username"], "password": demo["password"]}
    if scope:
        form["scope"] = scope
    form.update(overrides)
    return requests.post(
        f"{api.url}/token", data=form, auth=(demo["client_id"], demo["client_secret"]), timeout=30
    )
