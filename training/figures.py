"""Live figures from the force's own data that lessons name with a token on a line of its
own (`[[figure:concentration]]`): the training then speaks about the reader's own streets.
Each figure is computed for the reader's area when the lesson is shown and says when.

Figures from apps above this one (the last trial, from evaluation) are registered by that
app when it starts: training sits below tasking, which asks it who is trained.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from accounts.models import Area
from hotspots.analysis.temporal import peak_text
from hotspots.selectors import APPROVED, hotspots_in_areas, latest_done_run

TOKEN = re.compile(r"^\[\[figure:([a-z_]+)\]\]$", re.M)


@dataclass(frozen=True)
class Figure:
    text: str
    computed: date | None  # None: nothing to compute it from yet


FigureFn = Callable[[Area, Any], Figure]
_FIGURES: dict[str, FigureFn] = {}


def figure_register(name: str, fn: FigureFn) -> None:
    _FIGURES[name] = fn


def figure_names() -> list[str]:
    return sorted(_FIGURES)


def reader_area(user: Any) -> Area | None:
    """The area a reader's figures are about: their own, else the force."""
    area_id = getattr(user, "area_id", None)
    if area_id is not None:
        return Area.objects.filter(pk=area_id).first()
    return Area.objects.filter(parent__isnull=True).order_by("id").first()


def figure(name: str, *, area: Area | None, user: Any) -> Figure:
    fn = _FIGURES.get(name)
    if fn is None:
        return Figure(f"(No figure called '{name}': the figures are "
                      f"{', '.join(figure_names())}.)", None)
    if area is None:
        return Figure("(This figure needs an area: yours is not set.)", None)
    return fn(area, user)


def _concentration(area: Area, user: Any) -> Figure:
    run = latest_done_run(area=area)
    share = run.metrics.get("top_5_percent") if run is not None else None
    if run is None or share is None:
        return Figure(f"No hot spots have been computed for {area.name} yet.", None)
    day = timezone.localtime(run.finished_at or run.created_at).date()
    return Figure(f"In {run.area.name}, 5% of places hold {share * 100:.0f}% of crime harm.",
                  day)


def _hotspots(area: Area, user: Any) -> Figure:
    spots = hotspots_in_areas(area=area).filter(status=APPROVED)
    n = spots.count()
    today = timezone.localdate()
    if n == 0:
        return Figure(f"{area.name} has no approved hot spots yet.", today)
    return Figure(f"{area.name} has {n} approved hot spot{'s' if n != 1 else ''}, each a "
                  "small square of streets.", today)


def _peak_hours(area: Area, user: Any) -> Figure:
    spots = list(hotspots_in_areas(area=area).filter(status=APPROVED))
    if not spots:
        return Figure(f"{area.name} has no approved hot spots yet.", None)
    top = max(spots, key=lambda s: (float(s.stats.get("harm") or 0), -s.pk))
    when = peak_text(top.profile) if len(top.profile) == 168 else "not known"
    run_day = timezone.localtime(top.updated_at).date()
    if when.startswith("no clear peak"):
        return Figure(f"The busiest hot spot in {area.name}, {top.name or top.key}, has "
                      f"{when}.", run_day)
    return Figure(f"The busiest hot spot in {area.name}, {top.name or top.key}, has most "
                  f"harm at {when}.", run_day)


figure_register("concentration", _concentration)
figure_register("hotspots", _hotspots)
figure_register("peak_hours", _peak_hours)
