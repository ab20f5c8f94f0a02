"""Errors the tasking services raise, in the application's one family (core.errors)."""

from core.errors import Conflict, InputError


class TaskingInputError(InputError):
    """The request cannot be carried out as asked; the message says why (HTTP 400)."""


class PlanConflict(Conflict):
    """The plan changed since the caller read it, or is published and needs confirming (409)."""
