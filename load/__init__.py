"""`make load`: a bounded loopback load test of the local API (see load/__main__.py)."""
