"""tokenctl: administer the token service — clients ("Generate Keys"), users and roles, the API
registry (APIs, rules, scopes), statistics.

It talks to DynamoDB like any AWS tool (AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, AWS_REGION).
Table names come from USERS_TABLE, CLIENTS_TABLE and TOKENS_TABLE, else the local defaults that
`make run` uses, or from a deployed stack's outputs with --stack NAME. Secrets are printed once,
at creation or rotation; passwords are read from stdin, never from arguments.

examples:
  tokenctl client create --name "Shop" --scopes "read update" --json
  echo 'a long passphrase' | tokenctl user create alice --roles "subscriber" --password-stdin
  tokenctl api import openapi.yaml --api a1b2c3d4e5 --name "Orders"
  tokenctl scope create orders:read --roles "subscriber admin" --description "Read orders"
  tokenctl --stack tokenservice stats --client <client_id>
"""

import argparse
import json
import os
import sys
import time

from tokenservice import admin
from tokenservice.core import config, grant_types
from tokenservice.store.dynamo import Unavailable
from tokenservice.store.models import use_table


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + error
        raise admin.AdminError(message)


def _seconds(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tokenctl", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stack", metavar="NAME", help="use the tables of this deployed CloudFormation stack"
    )
    areas = parser.add_subparsers(
        dest="area", required=True, parser_class=_Parser, metavar="{client,user,api,scope,keys,stats}"
    )
    json_flag = _Parser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print one JSON document")
    json_flag.add_argument("--stack", metavar="NAME", default=argparse.SUPPRESS, help="as tokenctl --stack")
    _client_commands(areas, json_flag)
    _user_commands(areas, json_flag)
    _api_commands(areas, json_flag)
    _scope_commands(areas, json_flag)
    _key_commands(areas, json_flag)
    stats = areas.add_parser(
        "stats",
        parents=[json_flag],
        help='"Registered Users for Application": users per client (password grant)',
    )
    stats.add_argument("--client", metavar="ID", help="only this client")
    stats.set_defaults(run=show_stats)
    return parser


def _commands(areas, name: str, text: str):
    return areas.add_parser(name, help=text).add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )


def _client_commands(areas, json_flag) -> None:
    commands = _commands(areas, "client", "OAuth clients (consumer key and secret)")
    create = commands.add_parser(
        "create", parents=[json_flag], help="create a client; prints its secret once"
    )
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", required=True, help='space-separated, e.g. "read update"')
    create.add_argument(
        "--grant-types",
        default=" ".join(grant_types.ALL),
        help=f'space-separated (default: "{" ".join(grant_types.ALL)}")',
    )
    create.add_argument(
        "--access-ttl",
        type=_seconds,
        help=f"access-token lifetime, s (default: the service's, {config.ACCESS_TTL.default})",
    )
    create.add_argument(
        "--refresh-ttl",
        type=_seconds,
        help=f"refresh-token lifetime, s (default: the service's, {config.REFRESH_TTL.default})",
    )
    create.add_argument(
        "--introspect-any",
        action="store_true",
        help="a resource server: may introspect other clients' access tokens",
    )
    create.add_argument(
        "--token-format",
        choices=config.TOKEN_FORMATS,
        help="its access tokens: opaque or jwt (RFC 9068); default: the service's ACCESS_TOKEN_FORMAT",
    )
    create.add_argument("--audience", help="the JWT aud of its access tokens (default: the issuer)")
    create.set_defaults(run=client_create)
    commands.add_parser("list", parents=[json_flag], help="list clients (never their secrets)").set_defaults(
        run=client_list
    )
    rotate = commands.add_parser("rotate-secret", parents=[json_flag], help="new secret, printed once")
    rotate.add_argument("client_id", metavar="ID")
    rotate.set_defaults(run=client_rotate)
    delete = commands.add_parser("delete", parents=[json_flag], help="delete a client and revoke its tokens")
    delete.add_argument("client_id", metavar="ID")
    delete.add_argument(
        "--no-wait",
        action="store_true",
        help=f"skip the second sweep {config.MAX_REQUEST_SECONDS + 1} s later, which catches tokens"
        " that requests in flight at the deletion wrote after the first",
    )
    delete.set_defaults(run=client_delete)


def _user_commands(areas, json_flag) -> None:
    commands = _commands(areas, "user", "resource owners (password grant users) and their roles")
    create = commands.add_parser("create", parents=[json_flag], help="create a user; password from stdin")
    create.add_argument("username")
    create.add_argument("--scopes", default="", help='direct scopes, space-separated, e.g. "read update"')
    create.add_argument("--roles", default="", help="space-separated; the user may obtain their scopes")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (required)"
    )
    create.set_defaults(run=user_create)
    commands.add_parser("list", parents=[json_flag], help="list users").set_defaults(run=user_list)
    for name, run, text in (
        ("disable", user_disable, "disable a user and revoke their live tokens"),
        ("enable", user_enable, "enable a user again (and lift a lockout)"),
        ("set-password", user_set_password, "new password from stdin; revokes live tokens"),
    ):
        command = commands.add_parser(name, parents=[json_flag], help=text)
        command.add_argument("username")
        if name == "set-password":
            command.add_argument(
                "--password-stdin", action="store_true", help="read the password from stdin (required)"
            )
        command.set_defaults(run=run)
    roles = commands.add_parser("set-roles", parents=[json_flag], help="give a user exactly these roles")
    roles.add_argument("username")
    roles.add_argument("roles", help='space-separated, e.g. "subscriber editor" ("" for none)')
    roles.set_defaults(run=user_set_roles)


def _api_commands(areas, json_flag) -> None:
    commands = _commands(areas, "api", "the API registry: resources and the scope each needs")
    imported = commands.add_parser(
        "import", parents=[json_flag], help="an API's rules from an OpenAPI 3 document (replaces them)"
    )
    imported.add_argument("document", metavar="OPENAPI_FILE")
    imported.add_argument("--api", required=True, metavar="API_ID", help="the API Gateway REST API id")
    imported.add_argument("--name")
    imported.set_defaults(run=api_import)
    rule = commands.add_parser("rule", parents=[json_flag], help="add or replace one resource's rule")
    rule.add_argument("api_id", metavar="API_ID")
    rule.add_argument("method", metavar="METHOD", help="GET, POST, ..., or ANY")
    rule.add_argument("path", metavar="PATH", help="e.g. /orders/{id}")
    rule.add_argument("scope", metavar="SCOPE", help="the scope it needs; - for any valid token")
    rule.set_defaults(run=api_rule)
    listed = commands.add_parser("rules", parents=[json_flag], help="an API's rules")
    listed.add_argument("api_id", metavar="API_ID")
    listed.set_defaults(run=api_rules)
    deleted = commands.add_parser("delete", parents=[json_flag], help="remove an API (it is then denied)")
    deleted.add_argument("api_id", metavar="API_ID")
    deleted.set_defaults(run=api_delete)


def _key_commands(areas, json_flag) -> None:
    commands = _commands(areas, "keys", "JWT signing keys (the JWKS)")
    rotate = commands.add_parser(
        "rotate", parents=[json_flag], help="add a signing key (older ones stay published)"
    )
    rotate.add_argument(
        "--activate-in",
        type=_seconds,
        default=0,
        metavar="S",
        help="publish it now, sign with it S seconds later (for verifiers that cache the JWKS)",
    )
    rotate.set_defaults(run=keys_rotate)
    commands.add_parser("list", parents=[json_flag], help="key ids, ages and states").set_defaults(
        run=keys_list
    )


def _scope_commands(areas, json_flag) -> None:
    commands = _commands(areas, "scope", "scopes and the roles that may obtain them")
    create = commands.add_parser("create", parents=[json_flag], help="define a scope (or redefine it)")
    create.add_argument("name")
    create.add_argument(
        "--roles", required=True, help='space-separated roles that may obtain it ("" for none)'
    )
    create.add_argument("--description")
    create.set_defaults(run=scope_create)
    commands.add_parser("list", parents=[json_flag], help="list scopes").set_defaults(run=scope_list)


# -- output -----------------------------------------------------------------------------------


def emit_json(document) -> None:
    print(json.dumps(document, indent=None))


def table(rows: list[dict], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    print(
        "  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)).rstrip()
    )
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def when(epoch: int | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def read_password(args) -> str:
    """The password from stdin: typed without echo at a terminal, else the first line of input."""
    if not args.password_stdin:
        raise admin.AdminError("--password-stdin is required: passwords are never taken from arguments")
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Password: ")
    password = sys.stdin.readline()
    return password.removesuffix("\n").removesuffix("\r")


# -- commands ---------------------------------------------------------------------------------


def _new_client_document(new: admin.NewClient) -> dict:
    return {"client_id": new.client.client_id, "client_secret": new.client_secret} | admin.client_document(
        new.client
    )


def client_create(args) -> None:
    new = admin.create_client(
        args.name,
        args.scopes,
        args.grant_types,
        args.access_ttl,
        args.refresh_ttl,
        introspect_any=args.introspect_any,
        token_format=args.token_format,
        audience=args.audience,
    )
    document = _new_client_document(new)
    if args.json:
        return emit_json(document)
    print(f"client_id:     {document['client_id']}")
    print(f"client_secret: {document['client_secret']}")
    print(f"name:          {document['name']}")
    print(f"scopes:        {document['scope'] or '(none)'}")
    print(f"grant types:   {' '.join(document['grant_types'])}")
    print(f"token format:  {document['token_format']}")
    for kind in ("access", "refresh"):
        ttl = document[f"{kind}_ttl"]
        print(f"{kind + ' ttl:':<15}{f'{ttl} s' if ttl else 'service default'}")
    print("The secret is shown only now: store it safely.", file=sys.stderr)


def client_list(args) -> None:
    documents = [admin.client_document(client) for client in admin.list_clients()]
    if args.json:
        return emit_json(documents)
    table(documents, ["client_id", "name", "scope", "grant_types", "access_ttl", "refresh_ttl"])


def client_rotate(args) -> None:
    new = admin.rotate_secret(args.client_id)
    if args.json:
        return emit_json({"client_id": new.client.client_id, "client_secret": new.client_secret})
    print(f"client_id:     {new.client.client_id}")
    print(f"client_secret: {new.client_secret}")
    print("The old secret no longer works; the new one is shown only now.", file=sys.stderr)


def client_delete(args) -> None:
    revoked = admin.delete_client(args.client_id)
    if not args.no_wait:
        print(
            f"Deleted; a second sweep in {config.MAX_REQUEST_SECONDS + 1} s revokes what requests in flight"
            " wrote (--no-wait skips it).",
            file=sys.stderr,
        )
        revoked += admin.settle_deleted_client(args.client_id)
    if args.json:
        return emit_json({"client_id": args.client_id, "deleted": True, "revoked_tokens": revoked})
    print(f"Deleted client {args.client_id}; revoked {revoked} token(s).")


def user_create(args) -> None:
    password = read_password(args)
    user = admin.create_user(args.username, password, args.scopes, roles=args.roles)
    if args.json:
        return emit_json(admin.user_document(user))
    roles = " ".join(sorted(user.roles or ())) or "(none)"
    print(f"Created user {user.username} with scopes: {user.scope or '(none)'}; roles: {roles}")


def user_list(args) -> None:
    documents = [admin.user_document(user) for user in admin.list_users()]
    if args.json:
        return emit_json(documents)
    for document in documents:
        document["locked_until"] = when(document["locked_until"])
    table(documents, ["username", "scope", "roles", "disabled", "locked_until"])


def user_disable(args) -> None:
    revoked = admin.disable_user(args.username)
    if args.json:
        return emit_json({"username": args.username, "disabled": True, "revoked_tokens": revoked})
    print(f"Disabled user {args.username}; revoked {revoked} token(s).")


def user_enable(args) -> None:
    user = admin.enable_user(args.username)
    if args.json:
        return emit_json(admin.user_document(user))
    print(f"Enabled user {user.username}.")


def user_set_password(args) -> None:
    password = read_password(args)
    revoked = admin.set_password(args.username, password)
    if args.json:
        return emit_json({"username": args.username, "password_changed": True, "revoked_tokens": revoked})
    print(f"Changed the password of {args.username}; revoked {revoked} token(s).")


def user_set_roles(args) -> None:
    user = admin.set_roles(args.username, args.roles)
    if args.json:
        return emit_json(admin.user_document(user))
    print(f"{user.username} now has roles: {' '.join(sorted(user.roles or ())) or '(none)'}")
    print(
        "Their tokens from before no longer count: they get new scopes at their next login.", file=sys.stderr
    )


def _show_api(args, api) -> None:
    document = admin.api_document(api)
    if args.json:
        return emit_json(document)
    print(f"API {document['api_id']} ({document['name']}):")
    table(document["rules"], ["method", "path", "scope"])


def api_import(args) -> None:
    _show_api(args, admin.import_api(args.document, args.api, args.name))


def api_rule(args) -> None:
    _show_api(args, admin.set_rule(args.api_id, args.method, args.path, args.scope))


def api_rules(args) -> None:
    _show_api(args, admin.api_rules(args.api_id))


def api_delete(args) -> None:
    admin.delete_api(args.api_id)
    if args.json:
        return emit_json({"api_id": args.api_id, "deleted": True})
    print(f"Deleted API {args.api_id}; calls to it are now denied.")


def scope_create(args) -> None:
    document = admin.scope_document(admin.define_scope(args.name, args.roles, args.description))
    if args.json:
        return emit_json(document)
    print(f"Scope {document['name']}: roles {' '.join(document['roles']) or '(none)'}")


def scope_list(args) -> None:
    documents = [admin.scope_document(scope) for scope in admin.list_scopes()]
    if args.json:
        return emit_json(documents)
    table(documents, ["name", "roles", "description"])


def keys_rotate(args) -> None:
    document = admin.rotate_keys(args.activate_in)
    if args.json:
        return emit_json(document)
    print(f"New signing key {document['kid']} ({document['state']}).")
    print("Older keys stay published until every token they signed has expired.", file=sys.stderr)


def keys_list(args) -> None:
    documents = admin.key_documents()
    if args.json:
        return emit_json(documents)
    rows = [
        {**d, "created_at": when(d["created_at"]), "activates_at": when(d["activates_at"])} for d in documents
    ]
    table(rows, ["kid", "state", "created_at", "activates_at", "age_seconds"])


def show_stats(args) -> None:
    documents = admin.stats(args.client)
    if args.json:
        return emit_json(documents[0] if args.client else documents)
    rows = [
        {**d, "first_token_at": when(d["first_token_at"]), "last_token_at": when(d["last_token_at"])}
        for d in documents
    ]
    table(rows, ["client_id", "name", "registered_users", "first_token_at", "last_token_at"])


# -- main -------------------------------------------------------------------------------------


def use_stack(stack: str) -> None:
    """Point every model at the tables a deployed stack's outputs name."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        raise admin.AdminError(
            f"stack {stack}: {error.response['Error'].get('Message', 'not found')}"
        ) from error
    except BotoCoreError as error:
        raise admin.AdminError(f"stack {stack}: {error}") from error
    outputs = {output["OutputKey"]: output["OutputValue"] for output in found.get("Outputs", [])}
    for variable, output in config.STACK_OUTPUTS.items():
        if output not in outputs:
            raise admin.AdminError(f"stack {stack} has no output {output}")
        os.environ[variable] = outputs[output]
        use_table(variable, outputs[output])


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.stack:
            use_stack(args.stack)
        args.run(args)
    except admin.AdminError as error:
        print(f"tokenctl: error: {error}", file=sys.stderr)
        return 2
    except Unavailable as error:
        cause = error.__cause__
        print(f"tokenctl: error: DynamoDB unavailable: {cause or error}".splitlines()[0], file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # never a traceback
        print(f"tokenctl: error: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
