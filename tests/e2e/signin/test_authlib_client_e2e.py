"""A strict third-party client runs the flow unmodified: Authlib (OAuth2Session with PKCE S256,
its OpenID Connect ID-token validation, its metadata validators) against `make run`; only the
hosted login page is filled in by hand, as a user would."""

import warnings

import pytest
import requests

from tests.e2e.signin.conftest import Browser, fields, make_client


@pytest.fixture(scope="module")
def metadata(local_api) -> dict:
    from authlib.oauth2 import rfc9207
    from authlib.oidc import rpinitiated
    from authlib.oidc.discovery import OpenIDProviderMetadata

    class ES256Provider(OpenIDProviderMetadata):
        """OpenID Connect Discovery §3 wants RS256 listed; the stack's keys are ES256 (P-256) alone,
        and the document names only what is served (docs/browser-sign-in.md)."""

        def validate_id_token_signing_alg_values_supported(self):
            assert self["id_token_signing_alg_values_supported"] == ["ES256"]

    document = requests.get(f"{local_api.url}/.well-known/openid-configuration", timeout=10).json()
    extensions = [rfc9207.AuthorizationServerMetadata, rpinitiated.OpenIDProviderMetadata]
    ES256Provider(document).validate(metadata_classes=extensions)
    return document


def id_token_claims(metadata: dict, token: dict, client_id: str, nonce: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # authlib.jose's deprecation notice
        from authlib.jose import JsonWebKey, jwt
        from authlib.oidc.core import CodeIDToken

    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": metadata["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=30)  # iss, aud, exp, iat, nonce, at_hash, auth_time
    return claims


@pytest.mark.parametrize("public", [False, True])
def test_authlib_runs_the_code_flow_and_validates_the_id_token(local_api, callback, metadata, public):
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    client = make_client(local_api, callback.url, *(["--public"] if public else []))
    session = OAuth2Session(
        client["client_id"],
        client.get("client_secret"),
        scope="openid read",
        redirect_uri=callback.url,
        code_challenge_method="S256",
        token_endpoint_auth_method="none" if public else "client_secret_basic",
    )
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )

    browser = Browser(local_api)  # the user, at the hosted login page
    page = browser.get(url)
    assert page.status_code == 200 and fields(page)
    landing = browser.log_in(page, local_api.demo["username"], local_api.demo["password"]).headers["Location"]

    token = session.fetch_token(
        metadata["token_endpoint"], authorization_response=landing, code_verifier=verifier, state=state
    )
    from urllib.parse import parse_qs, urlsplit

    assert parse_qs(urlsplit(landing).query)["iss"] == [metadata["issuer"]]  # RFC 9207, as a client checks it
    claims = id_token_claims(metadata, token, client["client_id"], nonce)
    assert claims["sub"] == local_api.demo["username"]
    info = session.get(metadata["userinfo_endpoint"])
    assert info.json()["sub"] == claims["sub"]
    refreshed = session.refresh_token(metadata["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"] and "id_token" in refreshed
