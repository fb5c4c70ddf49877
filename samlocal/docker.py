"""Docker for make sam-local: the daemon already running, else Debian's `docker.io` (installed with
apt where missing, as root) started by us with its data under `.sam-local/docker/` and its own
socket, and stopped when we stop.

`Unavailable` says in one line why Docker cannot run here (not root, no apt, the daemon does not
start); the caller exits with DOCKER_UNAVAILABLE so that the e2e tests skip with that line.
"""

import json
import os
import platform
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DOCKER_UNAVAILABLE = 3  # make sam-local's exit status when Docker cannot run here
START_SECONDS = 60
STOP_SECONDS = 20
DEBIAN_PACKAGES = ("docker.io", "debootstrap")


class Unavailable(Exception):
    """Docker cannot run here; the message says why, in one line."""


@dataclass
class Daemon:
    """A Docker daemon to talk to: `env` for the docker CLI and SAM CLI (DOCKER_HOST), `process`
    when we started it (then `stop` ends it)."""

    env: dict[str, str]
    process: subprocess.Popen | None = None

    def docker(
        self, *args: str, check: bool = True, capture: bool = True, **kwargs
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", *args],
            env={**os.environ, **self.env},
            check=check,
            text=True,
            capture_output=capture,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )

    def json(self, *args: str) -> list | dict:
        return json.loads(self.docker(*args).stdout or "null")

    @property
    def started_here(self) -> bool:
        return self.process is not None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _answers(env: dict[str, str]) -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def _install() -> None:
    """Debian's docker.io (and debootstrap, for the images), as root with apt."""
    if os.geteuid() != 0:
        raise Unavailable("Docker is not running, and only root can install and start Debian's docker.io")
    _apt_install(DEBIAN_PACKAGES)


def _apt_install(packages: tuple[str, ...]) -> None:
    if shutil.which("apt-get") is None:
        raise Unavailable(f"{' and '.join(packages)} cannot be installed here (no apt-get)")
    print(f"Installing Debian's {', '.join(packages)} with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        if result.returncode != 0:
            last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["?"]
            raise Unavailable(f"apt-get could not install {packages[0]}: {last[0]}")


def host_architecture() -> str:
    """This machine's architecture as Lambda names it."""
    return "arm64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"


def ensure_emulation(arch: str) -> None:
    """Functions of another architecture than this machine's run under qemu-user-static: its
    binfmt handler (Debian's qemu-user-static, registered with the F flag: it works inside
    containers) must be enabled."""
    if arch == host_architecture():
        return
    name = {"arm64": "qemu-aarch64", "x86_64": "qemu-x86_64"}[arch]
    handler = Path("/proc/sys/fs/binfmt_misc") / name
    if handler.is_file() and handler.read_text().startswith("enabled"):
        return
    if os.geteuid() != 0:
        raise Unavailable(
            f"{arch} functions need qemu-user-static's {name} binfmt handler, which only root can enable"
        )
    if shutil.which("update-binfmts") is None or not Path("/usr/libexec/qemu-binfmt").is_dir():
        _apt_install(("qemu-user-static", "binfmt-support"))
    if not Path("/proc/sys/fs/binfmt_misc/register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", "/proc/sys/fs/binfmt_misc"], check=False)
    result = subprocess.run(["update-binfmts", "--enable", name], capture_output=True, text=True, check=False)
    if not (handler.is_file() and handler.read_text().startswith("enabled")):
        raise Unavailable(
            f"cannot enable the {name} binfmt handler: {(result.stderr or result.stdout).strip()[:200]}"
        )


def ensure_tools() -> None:
    """debootstrap (for the images) where the daemon exists but it does not."""
    if shutil.which("debootstrap") is None and shutil.which("dockerd") is not None:
        _install()


def connect(state: Path) -> Daemon:
    """The running daemon (DOCKER_HOST or the default socket), else one started here."""
    if _answers({}):
        ensure_tools()
        return Daemon({})
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        _install()
    elif os.geteuid() != 0:
        raise Unavailable("Docker is not running, and only root can start dockerd")
    ensure_tools()
    return start(state)


def start(state: Path) -> Daemon:
    """dockerd with its data, exec root, pid file and socket under `state` (git-ignored)."""
    state.mkdir(parents=True, exist_ok=True)
    socket = state / "docker.sock"
    env = {"DOCKER_HOST": f"unix://{socket}"}
    log = (state / "dockerd.log").open("ab")
    command = [
        "dockerd",
        "--data-root", str(state / "data"),
        "--exec-root", str(state / "exec"),
        "--pidfile", str(state / "docker.pid"),
        "--host", f"unix://{socket}",
    ]  # fmt: skip
    # Its own session: a Ctrl-C in the terminal reaches make sam-local, which stops it last.
    process = subprocess.Popen(
        command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + START_SECONDS
    while not _answers(env):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = (state / "dockerd.log").read_text(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise Unavailable(f"dockerd did not start: {tail[0][:200]}")
        time.sleep(0.3)
    return Daemon(env, process)
