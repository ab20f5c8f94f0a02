"""Page input for tasking, checked by forms before any service sees it: a new shift pattern,
and the week's capacity grid (a field per shift and team, named cap-<shift>-<team>)."""

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


class CapacityGridForm(forms.Form):
    """One whole-minutes field per (shift, team) of the week shown."""

    def __init__(self, data: Any, *, cells: Iterable[tuple[int, int]]) -> None:
        super().__init__(data)
        for shift_id, team_id in cells:
            self.fields[f"cap-{shift_id}-{team_id}"] = forms.IntegerField(
                required=False, min_value=0, max_value=MAX_CAPACITY_MINUTES,
                error_messages={
                    "invalid": "capacity must be whole minutes",
                    "min_value": "capacity is a number of minutes, 0 or more",
                    "max_value": f"capacity is at most {MAX_CAPACITY_MINUTES:,} minutes"})

    def minutes(self) -> dict[tuple[int, int], int]:
        """The cells given, by (shift id, team id); raises with the first problem."""
        if not self.is_valid():
            field, errors = next(iter(self.errors.items()))
            typed = self.data.get(field, "")
            first = str(errors[0])
            raise TaskingInputError(first if "whole" not in first
                                    else f"capacity must be whole minutes; {typed!r} is not")
        unknown = sorted(k for k in self.data if k.startswith("cap-") and k not in self.fields)
        if unknown:
            raise TaskingInputError("that shift or team is not in this area's week")
        out = {}
        for name, value in self.cleaned_data.items():
            if value is not None:
                _, shift_id, team_id = name.split("-")
                out[(int(shift_id), int(team_id))] = value
        return out
