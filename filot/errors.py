"""Errors that services raise and `filot.api` maps to HTTP, beyond Django's own."""


class Conflict(Exception):
    """The request contradicts the current state (HTTP 409)."""


class PayloadTooLarge(Exception):
    """The request body is larger than allowed (HTTP 413)."""


class NotAuthenticated(Exception):
    """The credentials or token presented are not (or no longer) valid (HTTP 401)."""
