"""Bad input and conflicts met outside an HTTP request (provisioning, `tokenctl`, imports): each
with a message fit for one line on stderr. HTTP endpoints turn them into OAuth errors
(`errors`) where a request can cause them."""


class Invalid(ValueError):
    """Bad input, or a conflict, said in one line."""


class Exists(Invalid):
    """A name that must be unique (a client id, a username) is taken."""
