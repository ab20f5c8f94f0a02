"""A run's parameters, checked before a run exists; creating and queueing runs."""

import logging
import math
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Area
from audit.services import audit_record
from core.errors import InputError
from core.resilience import enqueue_on_commit

from ..analysis import AnalysisInputError
from ..analysis.selection import SelectionRule
from ..layouts import SHAPES
from ..models import HotspotRun, OffenceType

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


DEFAULTS: dict[str, Any] = {
    "shape": "square",      # or "hex": hexagons of the same area
    "cell": 150.0,          # metres, the UK trial standard
    "bandwidth": 450.0,     # metres: three cells
    "lookback_days": 365,
    "q_max": 0.05,
    "min_count": 3,
    "top_n": 30,            # a workable rota: Southend tasked 20 hot spots
    "top_share": None,
    "include_asb": True,
    "offence_types": None,  # codes to count (say, only burglary); None: all in targeting
}


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RunInputError(InputError):
    """The run cannot be made as asked; the message says why."""


def _number(params: dict[str, Any], key: str, whole: bool = False) -> Any:
    """A parameter that must be a finite number (a whole one for counts), or None if unset."""
    value = params[key]
    if value is None:
        return None
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RunInputError(f"{key} must be {kind}, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise RunInputError(f"{key} must be {kind}, not {value!r}") from None
    if not math.isfinite(number) or (whole and not number.is_integer()):
        raise RunInputError(f"{key} must be {kind}, not {value!r}")
    return int(number) if whole else number


def _parameters(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is not None and not isinstance(given, dict):
        raise RunInputError("parameters must be an object of names and values")
    params = {**DEFAULTS, **(given or {})}
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise RunInputError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    for key in ("cell", "bandwidth", "q_max", "top_share"):
        params[key] = _number(params, key)
    for key in ("lookback_days", "min_count", "top_n"):
        params[key] = _number(params, key, whole=True)
    for key in ("cell", "bandwidth", "q_max", "lookback_days", "min_count"):
        if params[key] is None:
            raise RunInputError(f"{key} cannot be empty")
    if not isinstance(params["include_asb"], bool):
        raise RunInputError("include_asb must be true or false")
    types = params["offence_types"]
    if types is not None and (not isinstance(types, list)
                              or not all(isinstance(t, str) for t in types)):
        raise RunInputError("offence_types must be a list of offence type codes")
    if params["shape"] not in SHAPES:
        raise RunInputError(f"shape must be {' or '.join(SHAPES)}")
    if not params["cell"] > 0:
        raise RunInputError("cell size must be a positive number of metres")
    if not params["bandwidth"] > 0:
        raise RunInputError("bandwidth must be a positive number of metres")
    if not 1 <= params["lookback_days"] <= 3660:
        raise RunInputError("the lookback must be between 1 day and 10 years")
    try:
        rule = SelectionRule(q_max=params["q_max"], min_count=params["min_count"],
                             top_n=params["top_n"], top_share=params["top_share"])
    except AnalysisInputError as exc:
        raise RunInputError(str(exc)) from None
    params.update(asdict(rule))
    return params


@transaction.atomic
def hotspot_run_create(*, area: Area, trigger: str, actor: "User | None" = None,
                       parameters: dict[str, Any] | None = None,
                       window_end: datetime | None = None) -> HotspotRun:
    """Queue a run for an area; the offence weights are copied in so it can be reproduced."""
    params = _parameters(parameters)
    end = window_end or default_window_end()
    types = OffenceType.objects.filter(include_in_targeting=True)
    if params["offence_types"]:
        chosen = {str(c) for c in params["offence_types"]}
        known = set(OffenceType.objects.filter(code__in=chosen).values_list("code", flat=True))
        if chosen - known:
            raise RunInputError(f"unknown offence type(s): {', '.join(sorted(chosen - known))}")
        # An analyst's explicit choice may include types left out of targeting by default.
        types = OffenceType.objects.filter(code__in=chosen)
    if not params["include_asb"]:
        types = types.exclude(category=OffenceType.Category.ASB)
    params["weights"] = {t.code: t.harm_weight for t in types.order_by("code")}
    run = HotspotRun.objects.create(
        area=area, trigger=trigger, parameters=params,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        window_start=end - timedelta(days=params["lookback_days"]), window_end=end)
    audit_record(actor=actor, action="hotspot_run.queue", target=run,
                 detail={"area": area.code, "trigger": trigger})
    return run


def default_window_end() -> datetime:
    """Local midnight today, or the fixed date a demo or a replay of old data sets."""
    tz = ZoneInfo(settings.TIME_ZONE)
    if settings.HOTSPOTS_WINDOW_END:
        return datetime.fromisoformat(settings.HOTSPOTS_WINDOW_END).replace(tzinfo=tz)
    return timezone.now().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)


@transaction.atomic
def hotspot_run_queue(*, area: Area, actor: "User | None", trigger: str,
                      parameters: dict[str, Any] | None = None,
                      window_end: datetime | None = None) -> HotspotRun:
    """Create a run and start its Celery task once the transaction has committed."""
    from ..tasks import hotspot_run_compute

    run = hotspot_run_create(area=area, trigger=trigger, actor=actor, parameters=parameters,
                             window_end=window_end)
    enqueue_on_commit(hotspot_run_compute, run.pk)
    return run
