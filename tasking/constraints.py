"""What other apps ask of a week's plan (a running trial: control places unpatrolled,
crossover days off, an arm's visit length). Tasking sits below evaluation and imports none
of it; evaluation registers its provider when it starts (evaluation/apps.py)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


@dataclass
class PatrolConstraints:
    """What a week's plan must respect, by hot spot id."""

    excluded: dict[int, str] = field(default_factory=dict)       # hot spot: why (control)
    off_days: dict[int, set[date]] = field(default_factory=dict)  # crossover days off
    minutes: dict[int, int] = field(default_factory=dict)         # the arm's visit length
    notes: dict[int, str] = field(default_factory=dict)


Provider = Callable[..., PatrolConstraints]
_providers: dict[str, Provider] = {}


def provider_register(name: str, provider: Provider) -> None:
    """`provider(hotspot_ids=[...], week_start=date)` returns PatrolConstraints."""
    _providers[name] = provider


def patrol_constraints(*, hotspot_ids: list[int], week_start: date) -> PatrolConstraints:
    """Every registered provider's constraints, merged (a later provider's length or note
    for the same hot spot wins; exclusions and days off add up)."""
    out = PatrolConstraints()
    for provider in _providers.values():
        got = provider(hotspot_ids=hotspot_ids, week_start=week_start)
        out.excluded.update(got.excluded)
        for spot, days in got.off_days.items():
            out.off_days.setdefault(spot, set()).update(days)
        out.minutes.update(got.minutes)
        out.notes.update(got.notes)
    return out
