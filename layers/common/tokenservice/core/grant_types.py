"""The grant types this server supports (RFC 6749 §4.3, §4.4, §6), named once.

The grant classes (`grants.py`), client registration (`admin.py`, `tokenctl`) and the RFC 8414
metadata all use these names.
"""

PASSWORD = "password"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"

ALL = (PASSWORD, REFRESH_TOKEN, CLIENT_CREDENTIALS)
