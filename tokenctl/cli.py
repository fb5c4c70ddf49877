"""tokenctl: provision clients ("Generate Keys") and users of the token service.

It talks to DynamoDB like any AWS tool (AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, AWS_REGION);
table names come from USERS_TABLE, CLIENTS_TABLE and TOKENS_TABLE, else the local defaults
that `make run` uses. Secrets are printed once, at creation; passwords are read from stdin.
"""

import argparse
import json
import sys

from tokenservice import admin
from tokenservice.errors import TemporarilyUnavailable


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + error
        raise admin.AdminError(message)


def _ttl(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tokenctl", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    areas = parser.add_subparsers(dest="area", required=True, parser_class=_Parser)

    client = areas.add_parser("client", help="OAuth clients (consumer key and secret)")
    client_cmds = client.add_subparsers(dest="command", required=True, parser_class=_Parser)
    create = client_cmds.add_parser("create", help="create a client and print its secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", required=True, help='space-separated, e.g. "read update"')
    create.add_argument(
        "--grant-types",
        default=" ".join(admin.GRANT_TYPES),
        help=f'space-separated (default: "{" ".join(admin.GRANT_TYPES)}")',
    )
    create.add_argument(
        "--access-ttl", type=_ttl, help="access-token lifetime in seconds (default: the service's, 3600)"
    )
    create.add_argument(
        "--refresh-ttl", type=_ttl, help="refresh-token lifetime in seconds (default: the service's, 86400)"
    )
    create.add_argument(
        "--introspect-any",
        action="store_true",
        help="a resource server: may introspect access tokens issued to other clients",
    )
    create.add_argument("--json", action="store_true", help="print one JSON document")
    create.set_defaults(run=client_create)

    user = areas.add_parser("user", help="resource owners (password grant users)")
    user_cmds = user.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ucreate = user_cmds.add_parser("create", help="create a user; the password is read from stdin")
    ucreate.add_argument("username")
    ucreate.add_argument("--scopes", required=True, help='space-separated, e.g. "read update"')
    ucreate.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (required)"
    )
    ucreate.add_argument("--json", action="store_true", help="print one JSON document")
    ucreate.set_defaults(run=user_create)
    return parser


def _client_document(new: admin.NewClient) -> dict:
    client = new.client
    return {
        "client_id": client.client_id,
        "client_secret": new.client_secret,
        "name": client.name,
        "scope": client.scope,
        "grant_types": client.grant_types.split(),
        "introspect_any": bool(client.introspect_any),
        "access_ttl": None if client.access_ttl is None else int(client.access_ttl),  # None: service default
        "refresh_ttl": None if client.refresh_ttl is None else int(client.refresh_ttl),
    }


def client_create(args) -> None:
    new = admin.create_client(
        args.name,
        args.scopes,
        args.grant_types,
        args.access_ttl,
        args.refresh_ttl,
        introspect_any=args.introspect_any,
    )
    document = _client_document(new)
    if args.json:
        print(json.dumps(document))
        return
    print(f"client_id:     {document['client_id']}")
    print(f"client_secret: {document['client_secret']}")
    print(f"name:          {document['name']}")
    print(f"scopes:        {document['scope']}")
    print(f"grant types:   {' '.join(document['grant_types'])}")
    for kind in ("access", "refresh"):
        ttl = document[f"{kind}_ttl"]
        print(f"{kind + ' ttl:':<15}{f'{ttl} s' if ttl else 'service default'}")
    print("The secret is shown only now: store it safely.", file=sys.stderr)


def read_password() -> str:
    password = sys.stdin.readline()
    if password.endswith("\n"):
        password = password[:-1]
    if password.endswith("\r"):
        password = password[:-1]
    return password


def user_create(args) -> None:
    if not args.password_stdin:
        raise admin.AdminError("--password-stdin is required: passwords are never taken from arguments")
    user = admin.create_user(args.username, read_password(), args.scopes)
    if args.json:
        print(json.dumps({"username": user.username, "scope": user.scope, "disabled": False}))
    else:
        print(f"Created user {user.username} with scopes: {user.scope or '(none)'}")


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except admin.AdminError as error:
        print(f"tokenctl: error: {error}", file=sys.stderr)
        return 2
    except TemporarilyUnavailable as error:
        cause = error.__cause__
        print(f"tokenctl: error: DynamoDB unavailable: {cause or error}".splitlines()[0], file=sys.stderr)
        return 1
    except Exception as error:  # never a traceback
        print(f"tokenctl: error: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
