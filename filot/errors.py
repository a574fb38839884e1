"""Errors that services raise and `filot.api` maps to HTTP, beyond Django's own."""


class Conflict(Exception):
    """The request contradicts the current state (HTTP 409); `details` (optional) is
    the error's `details` in the answer, e.g. the resource it conflicts with."""

    def __init__(self, message: str = "", *, details: object = None) -> None:
        super().__init__(message)
        self.details = details


class PayloadTooLarge(Exception):
    """The request body is larger than allowed (HTTP 413)."""


class NotAuthenticated(Exception):
    """The credentials or token presented are not (or no longer) valid (HTTP 401)."""
