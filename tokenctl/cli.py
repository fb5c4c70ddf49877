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
  tokenctl import wso2-users users.csv --dry-run        # moving off WSO2: docs/migrating-from-wso2.md
"""

import argparse
import os
import sys

from tokenctl import commands as act
from tokenservice import admin
from tokenservice.core import config, grant_types
from tokenservice.store.dynamo import Unavailable
from tokenservice.store.models import use_table
from tokenservice.users import legacy


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
        dest="area",
        required=True,
        parser_class=_Parser,
        metavar="{client,user,api,scope,keys,tier,usage,stats,import}",
    )
    json_flag = _Parser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print one JSON document")
    json_flag.add_argument("--stack", metavar="NAME", default=argparse.SUPPRESS, help="as tokenctl --stack")
    _client_commands(areas, json_flag)
    _user_commands(areas, json_flag)
    _api_commands(areas, json_flag)
    _scope_commands(areas, json_flag)
    _key_commands(areas, json_flag)
    _import_commands(areas, json_flag)
    _store_commands(areas, json_flag)
    stats = areas.add_parser(
        "stats",
        parents=[json_flag],
        help='"Registered Users for Application": users per client (password grant)',
    )
    stats.add_argument("--client", metavar="ID", help="only this client")
    stats.set_defaults(run=act.show_stats)
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
        help=f'space-separated, of: {" ".join(grant_types.ALL)} (default: "{" ".join(grant_types.DEFAULT)}";'
        f' with --public: "{" ".join(grant_types.PUBLIC)}")',
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
    _browser_options(create)
    create.set_defaults(run=act.client_create)
    commands.add_parser("list", parents=[json_flag], help="list clients (never their secrets)").set_defaults(
        run=act.client_list
    )
    rotate = commands.add_parser("rotate-secret", parents=[json_flag], help="new secret, printed once")
    rotate.add_argument("client_id", metavar="ID")
    rotate.set_defaults(run=act.client_rotate)
    delete = commands.add_parser("delete", parents=[json_flag], help="delete a client and revoke its tokens")
    delete.add_argument("client_id", metavar="ID")
    delete.add_argument(
        "--no-wait",
        action="store_true",
        help=f"skip the second sweep {config.MAX_REQUEST_SECONDS + 1} s later, which catches tokens"
        " that requests in flight at the deletion wrote after the first",
    )
    delete.set_defaults(run=act.client_delete)


def _browser_options(create) -> None:
    """The authorization code grant's registration (RFC 6749 §4.1, OpenID Connect)."""
    create.add_argument(
        "--redirect-uris",
        default="",
        metavar='"URI ..."',
        help="where its authorization codes may be sent, matched exactly (https, http to the loopback,"
        " or a native app's com.example.app:/path); needed by the authorization_code grant",
    )
    create.add_argument(
        "--post-logout-redirect-uris",
        default="",
        metavar='"URI ..."',
        help="where its users may be sent after signing out (GET /logout), matched exactly",
    )
    create.add_argument(
        "--public",
        action="store_true",
        help="a single-page or native app: no secret (token_endpoint_auth_method none), PKCE required",
    )
    create.add_argument(
        "--require-consent",
        action="store_true",
        help="ask each user's consent, as a third party's application does (an operator's client does not)",
    )
    create.add_argument(
        "--pkce-optional",
        action="store_true",
        help="a confidential client that may leave PKCE out (by default every client must use it)",
    )
    create.add_argument(
        "--require-mfa",
        action="store_true",
        help="its users must sign in with two-step verification (TOTP); those without are sent to turn it on",
    )


def _user_commands(areas, json_flag) -> None:
    commands = _commands(areas, "user", "resource owners (password grant users) and their roles")
    create = commands.add_parser("create", parents=[json_flag], help="create a user; password from stdin")
    create.add_argument("username")
    create.add_argument("--scopes", default="", help='direct scopes, space-separated, e.g. "read update"')
    create.add_argument("--roles", default="", help="space-separated; the user may obtain their scopes")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (required)"
    )
    create.set_defaults(run=act.user_create)
    commands.add_parser("list", parents=[json_flag], help="list users").set_defaults(run=act.user_list)
    for name, run, text in (
        ("disable", act.user_disable, "disable a user and revoke their live tokens"),
        ("enable", act.user_enable, "enable a user again (and lift a lockout)"),
        ("set-password", act.user_set_password, "new password from stdin; revokes live tokens"),
    ):
        command = commands.add_parser(name, parents=[json_flag], help=text)
        command.add_argument("username")
        if name == "set-password":
            command.add_argument(
                "--password-stdin", action="store_true", help="read the password from stdin (required)"
            )
        command.set_defaults(run=run)
    listed = commands.add_parser("consents", parents=[json_flag], help="the consents a user gave clients")
    listed.add_argument("username")
    listed.set_defaults(run=act.user_consents)
    revoked = commands.add_parser(
        "revoke-consent", parents=[json_flag], help="forget a consent and revoke the user's tokens for it"
    )
    revoked.add_argument("username")
    revoked.add_argument("client_id", metavar="CLIENT_ID")
    revoked.set_defaults(run=act.user_revoke_consent)
    roles = commands.add_parser("set-roles", parents=[json_flag], help="give a user exactly these roles")
    roles.add_argument("username")
    roles.add_argument("roles", help='space-separated, e.g. "subscriber editor" ("" for none)')
    roles.set_defaults(run=act.user_set_roles)
    _mfa_commands(commands, json_flag)


def _mfa_commands(user_commands, json_flag) -> None:
    """`tokenctl user mfa status|reset NAME`: a user's second factor (TOTP)."""
    commands = user_commands.add_parser("mfa", help="a user's two-step verification (TOTP)").add_subparsers(
        dest="mfa_command", required=True, parser_class=_Parser
    )
    status = commands.add_parser("status", parents=[json_flag], help="whether TOTP is on; codes left")
    status.add_argument("username")
    status.set_defaults(run=act.user_mfa_status)
    reset = commands.add_parser(
        "reset", parents=[json_flag], help="turn TOTP off (a lost phone); ends their sessions and tokens"
    )
    reset.add_argument("username")
    reset.set_defaults(run=act.user_mfa_reset)


def _api_commands(areas, json_flag) -> None:
    commands = _commands(areas, "api", "the API registry: resources and the scope each needs")
    imported = commands.add_parser(
        "import", parents=[json_flag], help="an API's rules from an OpenAPI 3 document (replaces them)"
    )
    imported.add_argument("document", metavar="OPENAPI_FILE")
    imported.add_argument("--api", required=True, metavar="API_ID", help="the API Gateway REST API id")
    imported.add_argument("--name")
    imported.add_argument(
        "--subscriptions",
        choices=("required", "none"),
        default="none",
        help="required: only applications subscribed to it may call it (default none)",
    )
    imported.set_defaults(run=act.api_import)
    rule = commands.add_parser("rule", parents=[json_flag], help="add or replace one resource's rule")
    rule.add_argument("api_id", metavar="API_ID")
    rule.add_argument("method", metavar="METHOD", help="GET, POST, ..., or ANY")
    rule.add_argument("path", metavar="PATH", help="e.g. /orders/{id}")
    rule.add_argument("scope", metavar="SCOPE", help="the scope it needs; - for any valid token")
    rule.set_defaults(run=act.api_rule)
    listed = commands.add_parser("rules", parents=[json_flag], help="an API's rules")
    listed.add_argument("api_id", metavar="API_ID")
    listed.set_defaults(run=act.api_rules)
    deleted = commands.add_parser("delete", parents=[json_flag], help="remove an API (it is then denied)")
    deleted.add_argument("api_id", metavar="API_ID")
    deleted.set_defaults(run=act.api_delete)


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
    rotate.set_defaults(run=act.keys_rotate)
    commands.add_parser("list", parents=[json_flag], help="key ids, ages and states").set_defaults(
        run=act.keys_list
    )


def _scope_commands(areas, json_flag) -> None:
    commands = _commands(areas, "scope", "scopes and the roles that may obtain them")
    create = commands.add_parser("create", parents=[json_flag], help="define a scope (or redefine it)")
    create.add_argument("name")
    create.add_argument(
        "--roles", required=True, help='space-separated roles that may obtain it ("" for none)'
    )
    create.add_argument("--description")
    create.set_defaults(run=act.scope_create)
    commands.add_parser("list", parents=[json_flag], help="list scopes").set_defaults(run=act.scope_list)


def _store_commands(areas, json_flag) -> None:
    commands = _commands(areas, "tier", "throttling tiers for subscriptions (usage plans on AWS)")
    create = commands.add_parser("create", parents=[json_flag], help="a new tier")
    create.add_argument("name")
    create.add_argument("--rate", type=float, required=True, help="requests per second")
    create.add_argument("--burst", type=int, required=True, help="requests at once")
    create.add_argument("--quota", type=int, help="requests per --quota-period")
    create.add_argument("--quota-period", type=str.upper, choices=("DAY", "WEEK", "MONTH"))
    create.set_defaults(run=act.tier_create)
    commands.add_parser("list", parents=[json_flag], help="every tier").set_defaults(run=act.tier_list)
    delete = commands.add_parser("delete", parents=[json_flag], help="delete a tier nobody uses")
    delete.add_argument("name")
    delete.set_defaults(run=act.tier_delete)
    usage = areas.add_parser("usage", parents=[json_flag], help="calls per application, API and day")
    usage.add_argument("--application", metavar="ID", help="only this application")
    usage.add_argument("--days", type=int, default=30, help="the last N days (1 to 90, default 30)")
    usage.set_defaults(run=act.show_usage)


def _import_commands(areas, json_flag) -> None:
    commands = _commands(areas, "import", "move users and applications off WSO2 API Manager")
    dry_run = _Parser(add_help=False)
    dry_run.add_argument("--dry-run", action="store_true", help="report what would happen; change nothing")
    tenant_help = "a WSO2 tenant id to import (repeatable; default -1234, carbon.super); e.g. --tenant=1"
    users = commands.add_parser(
        "wso2-users", parents=[json_flag, dry_run], help="users from WSO2's user store (a CSV of UM_USER)"
    )
    users.add_argument("file", metavar="FILE.csv")
    users.add_argument("--tenant", action="append", metavar="ID", help=tenant_help)
    users.add_argument(
        "--digest", default="SHA-256", choices=sorted(legacy.WSO2_DIGESTS), help="WSO2's PasswordDigest"
    )
    users.set_defaults(run=act.import_users)
    apps = commands.add_parser(
        "wso2-apps", parents=[json_flag, dry_run], help="applications: consumer keys and secrets kept"
    )
    apps.add_argument("files", nargs="+", metavar="FILE", help="CSVs of IDN_OAUTH_CONSUMER_APPS, apictl zips")
    apps.add_argument("--scopes", help="the scopes their keys may request (default: every defined scope)")
    apps.add_argument("--tenant", action="append", metavar="ID", help=tenant_help)
    apps.add_argument("--secrets", choices=("plain", "sha256"), default="plain", help="how WSO2 stored them")
    apps.add_argument("--new-secrets", action="store_true", help="new secrets where one cannot be imported")
    apps.add_argument("--unowned", action="store_true", help="operator's clients, in nobody's portal")
    apps.set_defaults(run=act.import_apps)


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
