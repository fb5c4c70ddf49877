"""`make sam-local`: the stack under SAM CLI's `sam local start-api` on 127.0.0.1:$PORT.

1. Docker: the daemon already running, else Debian's docker.io, started here (samlocal.docker).
2. Images made here from Debian packages, cached (samlocal.images): the Lambda python3.13 base
   image SAM CLI expects, and a services image (DynamoDB Local, moto's KMS).
3. A Docker network of its own, `tokenservice-samlocal-$PORT`, with the services container on it
   (aliases dynamodb-local and kms-local; its ports published on 127.0.0.1 only: DynamoDB Local
   on $DYNAMODB_PORT, KMS on a free port).
4. The tables, rules (under SAM CLI's API id 1234567890), demo client and user, the portal's
   client and a signing key, written from here (samlocal.seed).
5. `sam build` (of the template with its functions' architecture set to SAM_LOCAL_ARCH, x86_64 by
   default) and `sam local start-api --skip-pull-image --docker-network ...` on $PORT.
6. The demo credentials and a curl command, as make run prints them. Ctrl-C stops SAM CLI and
   removes every container and the network it made (and stops dockerd if it was started here).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from samlocal import images, seed
from samlocal.docker import (
    DOCKER_UNAVAILABLE,
    Daemon,
    Unavailable,
    connect,
    ensure_emulation,
    host_architecture,
)

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".sam-local"  # git-ignored: Docker's data, the build, the env file
# SAM CLI's venv (make creates it with the image cache: SAM_LOCAL_SAM_BIN); else on PATH.
SAM_BIN = Path(os.environ.get("SAM_LOCAL_SAM_BIN") or ROOT / ".venv-sam" / "bin")
HOST = "127.0.0.1"
ARCHITECTURES = ("x86_64", "arm64")
READY_SECONDS = 600  # arm64 under qemu starts slowly
STOP_SECONDS = 30
DYNAMODB_PORT_IN_CONTAINER, KMS_PORT_IN_CONTAINER = 8000, 4566
# The template's architecture settings: the functions' (Globals), the layer's and its build's.
TEMPLATE_ARCH = re.compile(
    r"^(\s*(?:Architectures: \[|CompatibleArchitectures: \[|BuildArchitecture: ))arm64\b", re.M
)
TEMPLATE_ARCH_SETTINGS = 3
TEMPLATE_TIMEOUT = re.compile(r"^(    Timeout: )\d+$", re.M)  # Globals.Function.Timeout
EMULATED_TIMEOUT = 180


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, "") or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{variable} must be a port number, not {value!r}")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds: TIME_WAIT is no use
        try:
            probe.bind((HOST, int(value)))
        except OSError:
            sys.exit(f"Port {value} ({variable}) is in use; set {variable} to another port.")
    return int(value)


def _architecture() -> str:
    """SAM_LOCAL_ARCH, default this machine's: x86_64 here runs the arm64 stack's functions as x86_64
    (a variant of the template for local emulation only); arm64 on x86_64 runs them under qemu."""
    value = os.environ.get("SAM_LOCAL_ARCH", "") or host_architecture()
    if value not in ARCHITECTURES:
        sys.exit(f"SAM_LOCAL_ARCH must be one of {', '.join(ARCHITECTURES)}, not {value!r}")
    return value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def local_template(arch: str, emulated: bool = False, source: Path = ROOT / "template.yaml") -> str:
    """template.yaml with the functions' and the layer's architecture set to `arch`: the same stack
    for local emulation only. `emulated` (arm64 on an x86_64 machine, under qemu): the functions'
    Timeout is also raised to EMULATED_TIMEOUT, as a cold start there takes longer than 15 s."""
    text, count = TEMPLATE_ARCH.subn(lambda match: match[1] + arch, source.read_text())
    if count != TEMPLATE_ARCH_SETTINGS:
        raise ValueError(
            f"template.yaml has {count} arm64 settings, not the {TEMPLATE_ARCH_SETTINGS} expected"
        )
    if emulated:
        text, count = TEMPLATE_TIMEOUT.subn(lambda match: f"{match[1]}{EMULATED_TIMEOUT}", text)
        if count != 1:
            raise ValueError("template.yaml's Globals no longer set one Timeout")
    return text


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


class Stack:
    def __init__(self, port: int, dynamodb_port: int, arch: str):
        self.port, self.dynamodb_port, self.kms_port, self.arch = port, dynamodb_port, _free_port(), arch
        self.network = f"tokenservice-samlocal-{port}"
        self.services = f"tokenservice-samlocal-services-{port}"
        self.daemon: Daemon | None = None
        self.sam: subprocess.Popen | None = None
        self.started_at = time.time()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- up ------------------------------------------------------------------------------------

    def up(self) -> seed.Seeded:
        timings = {}
        started = time.monotonic()
        self.daemon = connect(STATE / "docker")
        ensure_emulation(self.arch)
        print(
            f"Docker: {'dockerd started here' if self.daemon.started_here else 'the running daemon'}",
            flush=True,
        )
        python = str(SAM_BIN / "python3.13") if (SAM_BIN / "python3.13").exists() else sys.executable
        wanted = (images.image("lambda", self.arch), images.image("services", host_architecture()))
        with ThreadPoolExecutor(len(wanted)) as pool:  # two debootstraps at once on a cold machine
            for done in pool.map(lambda image: images.ensure(self.daemon, image, python), wanted):
                print(f"Image {done}", flush=True)
        timings["docker and images"] = time.monotonic() - started
        self._start_services()
        seeded = self._seed()
        timings["services and seed"] = time.monotonic() - started - sum(timings.values())
        self._build()
        timings["sam build"] = time.monotonic() - started - sum(timings.values())
        self._start_api()
        timings["sam local start-api"] = time.monotonic() - started - sum(timings.values())
        print(
            "Ready in " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()),
            flush=True,
        )
        return seeded

    def _start_services(self) -> None:
        self._remove_leftovers()
        self.daemon.docker("network", "create", "--label", "tokenservice.samlocal=1", self.network)
        image = images.image("services", host_architecture()).tag
        self.daemon.docker(
            "run", "--detach", "--name", self.services, "--label", "tokenservice.samlocal=1",
            "--network", self.network, "--network-alias", "dynamodb-local", "--network-alias", "kms-local",
            "--publish", f"{HOST}:{self.dynamodb_port}:{DYNAMODB_PORT_IN_CONTAINER}",
            "--publish", f"{HOST}:{self.kms_port}:{KMS_PORT_IN_CONTAINER}",
            image,
        )  # fmt: skip
        for port in (self.dynamodb_port, self.kms_port):
            _wait_http(f"http://{HOST}:{port}/", 60, lambda status: status in (200, 400, 404))
        print(
            f"DynamoDB Local: http://{HOST}:{self.dynamodb_port}; KMS (moto): http://{HOST}:{self.kms_port}",
            flush=True,
        )

    def _seed(self) -> seed.Seeded:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(name, None)
        os.environ.update(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL_DYNAMODB=f"http://{HOST}:{self.dynamodb_port}",
            AWS_ENDPOINT_URL_KMS=f"http://{HOST}:{self.kms_port}",
        )
        seeded = seed.prepare(self.url)
        for name in seeded.tables:
            print(f"Created table {name}")
        rules = f"{seeded.rules} rules from openapi.yaml"
        print(f"Registered API {seed.SAM_API_ID} ({rules}); signing key {seeded.signing_key}")
        seed.write_env_file(STATE / "env.json", seed.function_env(self.url))
        return seeded

    def _sam_env(self) -> dict[str, str]:
        """SAM CLI's environment: no AWS credentials or settings of the caller's (SAM hands them to
        the functions), python3.13 first on PATH (sam build needs it), no telemetry."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            self.daemon.env,
            PATH=f"{SAM_BIN}{os.pathsep}{env.get('PATH', '')}",
            SAM_CLI_TELEMETRY="0",
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
        )
        return env

    def _build(self) -> None:
        emulated = self.arch != host_architecture()
        (STATE / "template.yaml").write_text(local_template(self.arch, emulated))
        log = STATE / "sam-build.log"
        print(f"sam build ({self.arch}; log in {log.relative_to(ROOT)})", flush=True)
        command = [
            str(SAM_BIN / "sam"), "build", "--template-file", str(STATE / "template.yaml"),
            "--base-dir", str(ROOT), "--build-dir", str(STATE / "build"),
            "--cache-dir", str(STATE / "cache"), "--cached", "--parallel",
        ]  # fmt: skip
        with log.open("w") as output:
            result = subprocess.run(
                command, cwd=ROOT, env=self._sam_env(), stdout=output, stderr=output, stdin=subprocess.DEVNULL
            )
        if result.returncode != 0:
            sys.exit("sam build failed:\n" + "\n".join(log.read_text().splitlines()[-20:]))

    def _start_api(self) -> None:
        command = [
            str(SAM_BIN / "sam"), "local", "start-api", "--template", str(STATE / "build" / "template.yaml"),
            "--host", HOST, "--port", str(self.port), "--skip-pull-image", "--warm-containers", "EAGER",
            "--env-vars", str(STATE / "env.json"), "--docker-network", self.network, "--container-host", HOST,
        ]  # fmt: skip
        print(f"sam local start-api on {self.url} (its log follows on stderr)", flush=True)
        # Its own session: Ctrl-C reaches us only, and we stop it with SIGTERM (samconfig's
        # warm containers are then removed by SAM CLI itself; _remove_containers sweeps the rest).
        self.sam = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self._sam_env(),
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
            start_new_session=True,
        )
        _wait_http(
            f"{self.url}/.well-known/openid-configuration",
            READY_SECONDS,
            lambda status: status == 200,
            self.sam,
        )

    # -- down ----------------------------------------------------------------------------------

    def down(self) -> None:
        if self.sam is not None and self.sam.poll() is None:
            os.killpg(self.sam.pid, signal.SIGTERM)
            try:
                self.sam.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.sam.pid, signal.SIGKILL)
                self.sam.wait()
        if self.daemon is not None:
            self._remove_containers()
            self.daemon.docker("network", "rm", self.network, check=False)
            self.daemon.stop()
        print("Stopped: SAM CLI, its containers, the services container and the network are gone", flush=True)

    def _remove_containers(self) -> None:
        """The services container, and every function container SAM CLI made for this run (those on
        our network, and those it made but had not connected yet when it was stopped)."""
        ours = set(self._containers("--filter", f"network={self.network}"))
        ours |= set(self._containers("--filter", f"name=^{self.services}$"))
        for container in self._containers("--filter", "label=sam.cli.container.type=lambda"):
            created = self.daemon.docker(
                "inspect", "--format", "{{.Created}}", container, check=False
            ).stdout.strip()
            if self.daemon.started_here or _after(created, self.started_at):
                ours.add(container)
        if ours:
            self.daemon.docker("rm", "--force", *sorted(ours), check=False)

    def _remove_leftovers(self) -> None:
        """A previous run on this port that was killed before it could clean up."""
        leftovers = self._containers("--filter", f"network={self.network}") + self._containers(
            "--filter", f"name=^{self.services}$"
        )
        if leftovers:
            self.daemon.docker("rm", "--force", *leftovers, check=False)
        self.daemon.docker("network", "rm", self.network, check=False)

    def _containers(self, *filters: str) -> list[str]:
        return self.daemon.docker("ps", "--all", "--quiet", *filters, check=False).stdout.split()


def _after(created: str, started_at: float) -> bool:
    """Whether a container's Created time (RFC 3339, nanoseconds) is after `started_at`."""
    from datetime import datetime

    try:
        stamp = datetime.fromisoformat(created[:26].rstrip("Z") + "+00:00") if created else None
    except ValueError:
        return False
    return stamp is not None and stamp.timestamp() >= started_at - 1


def _wait_http(url: str, seconds: float, ok, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a loopback URL
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            status = None
        if status is not None and ok(status):
            return
        if process is not None and process.poll() is not None:
            sys.exit(f"{url} was not served: SAM CLI exited with status {process.returncode}")
        if time.monotonic() > deadline:
            sys.exit(f"{url} did not answer in {seconds:.0f} s (last status {status})")
        time.sleep(0.5)


def main() -> None:
    port = _port("PORT", 3000)
    dynamodb_port = _port("DYNAMODB_PORT", 8000)
    arch = _architecture()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    stack = Stack(port, dynamodb_port, arch)
    try:
        seeded = stack.up()
        from localrun import demo

        print(demo.banner(seeded.credentials, stack.url))
        print(f"Serving on {stack.url} (Ctrl-C stops)", flush=True)
        stack.sam.wait()
        sys.exit(f"SAM CLI exited with status {stack.sam.returncode}")
    except Unavailable as error:
        print(f"make sam-local: {error}", file=sys.stderr, flush=True)
        sys.exit(DOCKER_UNAVAILABLE)
    except KeyboardInterrupt:
        pass
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        stack.down()


if __name__ == "__main__":
    main()
