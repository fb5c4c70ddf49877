"""`make run`: serve the API on 127.0.0.1:$PORT with an embedded DynamoDB on $DYNAMODB_PORT.

With AWS_ENDPOINT_URL_DYNAMODB set, that endpoint is used instead of the embedded server.
`--setup-only` creates the tables and seeds the demo data, then exits (for DynamoDB Local with
`sam local start-api`).
"""

import argparse
import logging
import os
import signal
import socket
import sys

from localrun import demo, template
from localrun.gateway import Gateway, apply_environment

DEFAULT_PORT = 3000
DEFAULT_DYNAMODB_PORT = 8000
HOST = "127.0.0.1"


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, "")
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{variable} must be a port number, not {value!r}")
    return int(value)


def _check_free(port: int, what: str) -> None:
    with socket.socket() as probe:
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


def _start_embedded_dynamodb(port: int) -> object:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per DynamoDB call
    _check_free(port, "DYNAMODB_PORT")
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    return server


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--setup-only", action="store_true", help="create tables, seed demo data, exit")
    args = parser.parse_args(argv)

    port = _port("PORT", DEFAULT_PORT)
    dynamodb_port = _port("DYNAMODB_PORT", DEFAULT_DYNAMODB_PORT)
    _aws_defaults()
    embedded = None
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        if not args.setup_only:
            _check_free(port, "PORT")
        embedded = _start_embedded_dynamodb(dynamodb_port)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://{HOST}:{dynamodb_port}"
    endpoint = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]

    tmpl = template.load()
    if not os.environ.get("ISSUER"):  # the issuer is this server's base URL, unless configured
        os.environ["ISSUER"] = f"http://{HOST}:{port}"
    apply_environment(tmpl, {})
    from localrun.tables import ensure_tables
    from tokenservice import storage  # after the environment is in place

    try:
        created = ensure_tables(storage.dynamodb(), tmpl)
        credentials = demo.seed()
    except Exception as error:
        sys.exit(f"Cannot prepare DynamoDB at {endpoint}: {type(error).__name__}: {error}")
    for name in created:
        print(f"Created table {name}")
    if args.setup_only:
        print(demo.banner(credentials, None))
        return

    from localrun.server import make_server

    gateway = Gateway(tmpl)
    server = make_server(gateway, HOST, port)
    print(f"DynamoDB: {endpoint}" + (" (embedded moto server)" if embedded else ""))
    for route in gateway.routes:
        guard = "authorizer" if route.authorizer else "public"
        print(f"  {route.method:<6} http://{HOST}:{port}{route.resource}  ({guard})")
    print(demo.banner(credentials, f"http://{HOST}:{port}"))
    print(f"Serving on http://{HOST}:{port} (Ctrl-C stops)", flush=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
