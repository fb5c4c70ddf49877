"""`make run` started by another program (the e2e tests, `make load`) on free ports, and read
the way a user reads it: the "DynamoDB:" line, the demo credentials, the curl command."""

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 120
STOP_SECONDS = 20


def free_port() -> int:
    """A loopback port nothing listens on: the kernel's pick for an IPv4 bind, unless a server on
    every interface over IPv6 (another run's DynamoDB Local) accepts connections there."""
    for _ in range(20):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not accepting(port):
            return port
    raise OSError("no free loopback port found")


def accepting(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class StartFailed(Exception):
    """`make run` exited or did not serve in time; the message holds its output, `returncode` its
    exit status (None while it was still running)."""

    def __init__(self, message: str, returncode: int | None = None):
        super().__init__(message)
        self.returncode = returncode


@dataclass
class LocalApi:
    url: str
    dynamodb_url: str
    output: list[str] = field(default_factory=list)
    demo: dict[str, str] = field(default_factory=dict)
    curl: str = ""
    database: str = ""  # what the "DynamoDB:" line says in parentheses
    dynamodb_pid: int | None = None  # DynamoDB Local's JVM, when make run started one
    session: int | None = None  # the session (make's pid) of make run's processes, for their CPU

    def log(self) -> str:
        return "\n".join(self.output)

    @property
    def dynamodb_local(self) -> bool:
        return self.database.startswith("DynamoDB Local")


def _value(lines: list[str], label: str) -> str:
    for line in lines:
        match = re.match(rf"\s*{label}:\s+(\S+)", line)
        if match:
            return match.group(1)
    raise StartFailed(f"make run did not print {label}:\n" + "\n".join(lines))


def _read(process: subprocess.Popen, api: LocalApi, ready: threading.Event) -> None:
    for line in process.stdout:
        api.output.append(line.rstrip("\n"))
        if line.startswith("Serving on"):
            ready.set()


@contextmanager
def make_run(
    extra_env: dict[str, str] | None = None, target: str = "run", startup_seconds: float = STARTUP_SECONDS
) -> Iterator[LocalApi]:
    """`make run` (or `make sam-local`: `target`) on free ports, without the caller's AWS
    configuration; stopped (SIGINT to its process group, as a Ctrl-C would) when the block ends."""
    port, dynamodb_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PORT=str(port), DYNAMODB_PORT=str(dynamodb_port), **(extra_env or {}))
    process = subprocess.Popen(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    dynamodb_url = env.get("AWS_ENDPOINT_URL_DYNAMODB") or f"http://127.0.0.1:{dynamodb_port}"
    api = LocalApi(f"http://127.0.0.1:{port}", dynamodb_url, session=process.pid)
    ready = threading.Event()
    threading.Thread(target=_read, args=(process, api, ready), daemon=True).start()
    try:
        deadline = time.monotonic() + startup_seconds
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.5)  # the reader thread's last lines
                raise StartFailed(f"make {target} did not start:\n" + api.log(), process.poll())
        lines = list(api.output)
        keys = ("client_id", "client_secret", "username", "password")
        api.demo = {key: _value(lines, key) for key in keys}
        api.curl = next(line.strip() for line in lines if line.strip().startswith("curl -k"))
        database = next((line for line in lines if line.startswith("DynamoDB: ")), "")
        api.database = database.partition(" (")[2].removesuffix(")")
        pid = re.search(r"\bpid (\d+)", api.database)
        api.dynamodb_pid = int(pid.group(1)) if pid else None
        yield api
    finally:
        _stop(process, api.dynamodb_pid, STOP_SECONDS if target == "run" else 3 * STOP_SECONDS)


def _stop(process: subprocess.Popen, dynamodb_pid: int | None, stop_seconds: float = STOP_SECONDS) -> None:
    """Ctrl-C, as a user would; then make sure DynamoDB Local is gone too (the runner stops it,
    its watchdog kills it if the runner could not)."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=stop_seconds)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + STOP_SECONDS
    while dynamodb_pid and Path(f"/proc/{dynamodb_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # no readiness signal for another process's exit: poll
