"""`make bench`: the performance figures of the token service."""
