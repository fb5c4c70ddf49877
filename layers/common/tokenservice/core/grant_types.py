"""The grant types this server supports (RFC 6749 §4.1, §4.3, §4.4, §6), named once.

The grant classes (`oauth/grants/`), client registration (`oauth/clients.py`, `tokenctl`) and the
RFC 8414 metadata all use these names. A client created without a list of its own gets `DEFAULT`
(the Token API's three); the authorization code grant is given explicitly, with redirect URIs.
"""

AUTHORIZATION_CODE = "authorization_code"
PASSWORD = "password"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"

ALL = (PASSWORD, REFRESH_TOKEN, CLIENT_CREDENTIALS, AUTHORIZATION_CODE)
DEFAULT = (PASSWORD, REFRESH_TOKEN, CLIENT_CREDENTIALS)
# What a public client (no secret: a single-page or native app) may use.
PUBLIC = (AUTHORIZATION_CODE, REFRESH_TOKEN)
