"""Forms every app may use."""

from typing import Any

from django import forms

from .text import markup_problem


class PlainTextModelForm(forms.ModelForm):
    """A model form (the admin's too) whose every text value is plain text, as the pages'
    and the API's are: no HTML tags, no control or invisible characters (core.text)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in list(data.items()):  # add_error takes the field out of data
            label = str(self.fields[name].label or name).lower() if name in self.fields else name
            if isinstance(value, str) and (problem := markup_problem(f"the {label}", value)):
                self.add_error(name, problem)
        return data
