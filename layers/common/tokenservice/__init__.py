"""Shared code of the OAuth 2.0 token service: the domain lives here, handlers stay thin."""
