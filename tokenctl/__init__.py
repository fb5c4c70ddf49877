"""tokenctl: the administration command line of the token service."""
