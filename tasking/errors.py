"""Errors the tasking services raise; config/api.py maps them to HTTP statuses."""


class TaskingInputError(ValueError):
    """The request cannot be carried out as asked; the message says why (HTTP 400)."""


class PlanConflict(Exception):
    """The plan changed since the caller read it, or is published and needs confirming (409)."""
