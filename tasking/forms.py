"""Page input for tasking, checked by forms before any service sees it: a new shift pattern,
and the week's capacity grid (a formset: one form per shift and team)."""

import math
from collections.abc import Iterable
from typing import Any

from django import forms

from .errors import TaskingInputError
from .services import MAX_CAPACITY_MINUTES


class ShiftPatternForm(forms.Form):
    """The days come as a list (`days`), named in any case: services.days_mask reads them."""

    name = forms.CharField(max_length=40, required=False, strip=True)
    start = forms.TimeField(input_formats=["%H:%M", "%H:%M:%S"], error_messages={
        "invalid": "Start must be a time (HH:MM) and hours a number.",
        "required": "Start must be a time (HH:MM) and hours a number."})
    hours = forms.FloatField(error_messages={
        "invalid": "Start must be a time (HH:MM) and hours a number.",
        "required": "Start must be a time (HH:MM) and hours a number."})

    def clean_hours(self) -> float:
        hours = self.cleaned_data["hours"]
        if not (math.isfinite(hours) and 0 < hours <= 24):  # NaN and inf too
            raise forms.ValidationError("a shift lasts more than 0 and at most 24 hours")
        return hours

    def first_error(self) -> str:
        return str(next(iter(e for errors in self.errors.values() for e in errors)))


CAPACITY_MESSAGES = {
    "invalid": "capacity must be whole minutes",
    "min_value": "capacity is a number of minutes, 0 or more",
    "max_value": f"capacity is at most {MAX_CAPACITY_MINUTES:,} minutes"}


class CapacityCellForm(forms.Form):
    """One cell of the week's grid: a team's patrol minutes in one dated shift."""

    shift = forms.IntegerField(widget=forms.HiddenInput)
    team = forms.IntegerField(widget=forms.HiddenInput)
    minutes = forms.IntegerField(required=False, min_value=0, max_value=MAX_CAPACITY_MINUTES,
                                 error_messages=CAPACITY_MESSAGES)


# A week holds at most a few dozen shifts and a handful of teams; the bound stops a body
# claiming a million forms before any is built.
MAX_CELLS = 2000
CapacityFormSet = forms.formset_factory(CapacityCellForm, extra=0, max_num=MAX_CELLS,
                                        absolute_max=MAX_CELLS, validate_max=True)
CAPACITY_PREFIX = "cap"


def capacity_formset(*, cells: list[tuple[int, int]], minutes: dict[tuple[int, int], Any]
                     ) -> Any:
    """The grid to show: one form per (shift, team) cell, in the grid's order."""
    return CapacityFormSet(prefix=CAPACITY_PREFIX, initial=[
        {"shift": s, "team": t, "minutes": minutes.get((s, t), 0)} for s, t in cells])


def capacity_typed(data: Any) -> dict[tuple[int, int], str]:
    """What a refused grid had typed, by cell, to show it again to be put right."""
    formset = CapacityFormSet(data, prefix=CAPACITY_PREFIX)
    typed: dict[tuple[int, int], str] = {}
    try:
        forms_sent = formset.forms
    except forms.ValidationError:
        return typed
    for form in forms_sent:
        try:
            key = (int(form["shift"].value()), int(form["team"].value()))
        except (TypeError, ValueError):
            continue
        typed[key] = str(form["minutes"].value() or "")
    return typed


def capacity_minutes(data: Any, *, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The minutes sent for the grid's cells, by (shift id, team id); raises
    TaskingInputError with the first problem, or when a cell is not in the grid."""
    formset = CapacityFormSet(data, prefix=CAPACITY_PREFIX)
    if not formset.is_valid():
        if formset.non_form_errors():
            raise TaskingInputError("the capacity grid arrived damaged or incomplete: reload the "
                                    "page and enter it again")
        form = next(f for f in formset.forms if f.errors)
        field, errors = next(iter(form.errors.items()))
        first = str(errors[0])
        typed = form[field].value()
        raise TaskingInputError(first if "whole" not in first
                                else f"capacity must be whole minutes; {typed!r} is not")
    allowed = set(cells)
    out = {}
    for row in formset.cleaned_data:
        if not row:
            continue
        key = (row["shift"], row["team"])
        if key not in allowed:
            raise TaskingInputError("that shift or team is not in this area's week")
        if row["minutes"] is not None:
            out[key] = row["minutes"]
    return out
