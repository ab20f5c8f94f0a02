"""The errors tracking's services raise, in the application's one family."""

from core.errors import Conflict, InputError, TooLarge


class TrackingInputError(InputError):
    """The request as a whole cannot be used; the message says why (HTTP 400)."""


class BatchTooLarge(TooLarge):
    """More pings than one request may carry (HTTP 413)."""


class VisitConflict(Conflict):
    """The same visit id arrived with a different body (HTTP 409)."""
