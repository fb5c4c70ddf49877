"""`make run` started once for the e2e tests, on free ports, and read like a user would."""

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from localrun import dynamodb, launch
from localrun.launch import ROOT, LocalApi, free_port

__all__ = [
    "ROOT",
    "LocalApi",
    "free_port",
    "needs_chromium",
    "needs_dynamodb_local",
    "password_token",
    "path_without_java",
    "start_make_run",
    "tokenctl",
]


def start_make_run(extra_env: dict[str, str] | None = None, fallback_allowed: bool = False):
    """`make run` on free ports (localrun.launch), for a fixture: yields the LocalApi, stops it after.

    Where Java 17+ and npm are present, it must be on DynamoDB Local, not the moto fallback.
    """
    extra_env = extra_env or {}
    try:
        with launch.make_run(extra_env) as api:
            embedded = "AWS_ENDPOINT_URL_DYNAMODB" not in extra_env
            if embedded and not fallback_allowed and dynamodb_local_expected():
                assert api.dynamodb_local, "make run fell back to moto:\n" + api.log()
            yield api
    except launch.StartFailed as error:
        pytest.fail(str(error))


@functools.cache
def dynamodb_local_expected() -> bool:
    """Whether this machine can run DynamoDB Local (Java 17+ and npm; make installs the jar)."""
    java = dynamodb.java_executable()
    return shutil.which("npm") is not None and java is not None and (dynamodb.java_major(java) or 0) >= 17


needs_dynamodb_local = pytest.mark.skipif(
    not dynamodb_local_expected(),
    reason="needs DynamoDB Local (Java 17+ and npm): make run's moto fallback fails under concurrency",
)


def path_without_java(directory: Path) -> str:
    """A PATH holding only make and sh (no java, no npm), as on a machine without them."""
    directory.mkdir(exist_ok=True)
    for tool in ("make", "sh"):
        (directory / tool).symlink_to(shutil.which(tool))
    return str(directory)


@pytest.fixture(scope="session")
def local_api():
    yield from start_make_run()


@pytest.fixture(scope="session")
def signup_api():
    """`make run` with self sign-up switched on."""
    yield from start_make_run({"SELF_SIGNUP_ENABLED": "true"})


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


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

needs_chromium = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason="Chromium is not installed (apt-get install chromium chromium-driver): no browser test",
)


@pytest.fixture
def driver(tmp_path):
    """Debian's Chromium, headless, through Debian's chromedriver (both by path: nothing is
    downloaded), with a fresh profile and the browser's console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in HEADLESS_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium'}")
    options.add_argument("--window-size=1100,1300")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)  # no Selenium Manager
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


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
