"""`make sam-local` started once for these tests (`make test-sam-local` sets SAM_LOCAL_TESTS=1;
`make test` does not collect them: they need Docker and take minutes)."""

import os

import pytest

from localrun import launch
from samlocal.docker import DOCKER_UNAVAILABLE

if os.environ.get("SAM_LOCAL_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]

STARTUP_SECONDS = 1500  # a cold machine: docker.io, debootstrap, sam build, warm containers


@pytest.fixture(scope="session")
def sam_api():
    """make sam-local on free ports; the rules cache off, so a rule change shows at once. Skipped,
    with make sam-local's one-line reason, where Docker cannot run."""
    try:
        with launch.make_run(
            {"RULES_CACHE_SECONDS": "0"}, target="sam-local", startup_seconds=STARTUP_SECONDS
        ) as api:
            yield api
    except launch.StartFailed as error:
        if error.returncode == DOCKER_UNAVAILABLE:
            reason = next(
                (line for line in reversed(str(error).splitlines()) if "make sam-local:" in line), ""
            )
            pytest.skip(reason or "Docker cannot run here")
        pytest.fail(str(error))
