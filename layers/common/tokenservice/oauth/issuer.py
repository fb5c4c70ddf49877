"""The issuer (RFC 8414 §2): the one name of this authorization server, in its metadata, in every
token it signs (`iss`) and in every authorization response (RFC 9207).

ISSUER when configured, else the one the signing keys are for (set at deployment from the Issuer
parameter or the API's own URL), else this API's own URL as API Gateway knows it (never the
client's Host header).
"""

from tokenservice.core import config
from tokenservice.web.http import Request


def of(request: Request) -> str:
    configured = config.ISSUER.value()
    if configured:
        return configured.rstrip("/")
    from tokenservice.jose import signing  # kept off the paths that never need it

    settings = signing.settings()
    return settings.issuer if settings else request.issuer()
