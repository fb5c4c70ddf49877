"""tokenctl's commands: each runs one call of the administration façade (`tokenservice.admin`)
with the parsed arguments and prints its answer (`output`)."""

import sys

from tokenctl.output import emit_json, read_password, table, when
from tokenservice import admin
from tokenservice.core import config


def _new_client_document(new: admin.NewClient) -> dict:
    secret = {} if new.client_secret is None else {"client_secret": new.client_secret}
    return {"client_id": new.client.client_id, **secret} | admin.client_document(new.client)


def client_create(args) -> None:
    browser = admin.ClientBrowser(
        redirect_uris=tuple(args.redirect_uris.split()),
        post_logout_redirect_uris=tuple(args.post_logout_redirect_uris.split()),
        public=args.public,
        require_consent=args.require_consent,
        pkce_optional=args.pkce_optional,
        require_mfa=args.require_mfa,
    )
    new = admin.create_client(
        args.name,
        args.scopes,
        args.grant_types,
        args.access_ttl,
        args.refresh_ttl,
        introspect_any=args.introspect_any,
        token_format=args.token_format,
        audience=args.audience,
        browser=browser,
    )
    document = _new_client_document(new)
    if args.json:
        return emit_json(document)
    print(f"client_id:     {document['client_id']}")
    print(f"client_secret: {document.get('client_secret') or '(none: a public client)'}")
    print(f"name:          {document['name']}")
    print(f"scopes:        {document['scope'] or '(none)'}")
    print(f"grant types:   {' '.join(document['grant_types'])}")
    print(f"token format:  {document['token_format']}")
    for kind in ("access", "refresh"):
        ttl = document[f"{kind}_ttl"]
        print(f"{kind + ' ttl:':<15}{f'{ttl} s' if ttl else 'service default'}")
    if document["redirect_uris"]:
        print(f"redirect URIs: {' '.join(document['redirect_uris'])}")
        print(f"auth method:   {document['token_endpoint_auth_method']}")
        print(f"consent:       {'asked' if document['require_consent'] else 'not asked (first-party)'}")
        print(f"two-step:      {'required (TOTP)' if document['require_mfa'] else 'if the user has it'}")
    if new.client_secret is not None:
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


def user_consents(args) -> None:
    documents = admin.consents(args.username)
    if args.json:
        return emit_json(documents)
    table(documents, ["client_id", "scope", "updated_at"])


def user_revoke_consent(args) -> None:
    revoked = admin.revoke_consent(args.username, args.client_id)
    if args.json:
        return emit_json({"client_id": args.client_id, "revoked_tokens": revoked})
    print(
        f"Revoked the consent to {args.client_id}; revoked {revoked} token(s). The next sign-in asks again."
    )


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


def user_mfa_status(args) -> None:
    document = admin.mfa_status(args.username)
    if args.json:
        return emit_json(document)
    if not document["totp"]:
        print(f"{document['username']}: two-step verification is off")
        return
    print(
        f"{document['username']}: two-step verification (TOTP) is on since {when(document['enabled_at'])};"
        f" {document['recovery_codes_left']} recovery code(s) left"
    )


def user_mfa_reset(args) -> None:
    revoked = admin.reset_mfa(args.username)
    if args.json:
        return emit_json({"username": args.username, "totp": False, "revoked_tokens": revoked})
    print(
        f"Turned two-step verification off for {args.username}; their sessions ended and"
        f" {revoked} token(s) were revoked. They can turn it on again in the portal."
    )


def user_set_roles(args) -> None:
    user = admin.set_roles(args.username, args.roles)
    if args.json:
        return emit_json(admin.user_document(user))
    print(f"{user.username} now has roles: {' '.join(sorted(user.roles or ())) or '(none)'}")
    print(
        "Their tokens from before no longer count: they get new scopes at their next login.", file=sys.stderr
    )


def _show_api(args, api, notes: list[str] | None = None) -> None:
    document = admin.api_document(api)
    if notes is not None:
        document["notes"] = notes
    if args.json:
        return emit_json(document)
    required = " — subscriptions required" if document["subscriptions"] == "required" else ""
    print(f"API {document['api_id']} ({document['name']}){required}:")
    table(document["rules"], ["method", "path", "scope"])
    for note in notes or ():
        print(f"note: {note}", file=sys.stderr)


def api_import(args) -> None:
    _show_api(args, *admin.import_api(args.document, args.api, args.name, args.subscriptions))


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


def _show_report(args, report) -> None:
    if args.json:
        return emit_json(report.document())
    for line in report.lines():
        print(line)
    if any("client_secret" in entry for entry in report.created):
        print("The new secrets are shown only now: store them safely.", file=sys.stderr)


def import_users(args) -> None:
    tenants = tuple(args.tenant or ("-1234",))
    report = admin.import_wso2_users(args.file, tenants=tenants, digest=args.digest, dry_run=args.dry_run)
    _show_report(args, report)


def import_apps(args) -> None:
    report = admin.import_wso2_apps(
        args.files,
        scope=args.scopes,
        tenants=tuple(args.tenant or ("-1234",)),
        secrets=args.secrets,
        new_secrets=args.new_secrets,
        unowned=args.unowned,
        dry_run=args.dry_run,
    )
    _show_report(args, report)


# -- the store -------------------------------------------------------------------------------------

TIER_COLUMNS = ["name", "rate", "burst", "quota", "quota_period", "description"]


def tier_create(args) -> None:
    tier = admin.create_tier(args.name, args.rate, args.burst, args.quota, args.quota_period)
    if args.json:
        return emit_json(tier.document())
    quota = f", quota {tier.quota} per {tier.quota_period.lower()}" if tier.quota else ""
    print(f"Tier {tier.name}: {tier.rate:g} requests per second, burst {tier.burst}{quota}")


def tier_list(args) -> None:
    documents = [tier.document() for tier in admin.list_tiers()]
    if args.json:
        return emit_json(documents)
    table(documents, TIER_COLUMNS)


def tier_delete(args) -> None:
    tier = admin.delete_tier(args.name)
    if args.json:
        return emit_json({"name": tier.name, "deleted": True})
    print(f"Deleted tier {tier.name}.")


def show_usage(args) -> None:
    if not 1 <= args.days <= 90:
        raise admin.AdminError("--days is 1 to 90")
    rows = admin.usage(args.application, args.days)
    if args.json:
        return emit_json({"usage": rows})
    table(rows, ["application_id", "application", "api", "tier", "date", "calls"])
