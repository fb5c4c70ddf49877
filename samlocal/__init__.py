"""`make sam-local`: the stack under SAM CLI's `sam local start-api`, in Docker, from Debian packages.

See docs/sam-local.md. Everything it starts (Docker's daemon where it had to start one, the
services container, the network, SAM CLI and its function containers) is stopped and removed on
Ctrl-C.
"""
