"""One family of application errors. Each carries the HTTP status it means and a message
written for the person who sent the request; the API's exception handler and the pages map
them, and nothing else. A bare ValueError or any other exception is a bug: a logged 500 whose
text is never shown (docs/adr/0011)."""


class AppError(Exception):
    """An error the person can act on; `str(error)` is shown to them."""

    status = 400


class InputError(AppError):
    """The request asks for something invalid: a bad value, a date out of range."""

    status = 400


class PermissionRefused(AppError):
    """The person may not do this, though they may see the thing."""

    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    """The request clashes with the current state: a stale version, a duplicate."""

    status = 409


class TooLarge(AppError):
    status = 413


class Unavailable(AppError):
    """A service the request needs is down for now; trying later may work."""

    status = 503
