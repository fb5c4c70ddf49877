"""What every page this API shows a browser carries besides its Content-Security-Policy: no
framing (clickjacking), no Referer (an authorization request's URL holds its state), no MIME
sniffing, its own browsing-context group, and HSTS except on make run's plain http."""

from tokenservice.web.http import local_http

BROWSER_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = {"Strict-Transport-Security": "max-age=31536000"}


def policy(*directives: str) -> str:
    return "; ".join(directives)


def security_headers(content_security_policy: str) -> dict[str, str]:
    headers = {"Content-Security-Policy": content_security_policy, **BROWSER_HEADERS}
    return headers if local_http() else {**headers, **HSTS}
