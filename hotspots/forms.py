from typing import Any

from django import forms

from .importers.errors import ImportInputError
from .importers.layouts import mapping_from_json
from .models import ImportJob, OffenceType


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="police.uk CSV or zip archive, or any CSV/TSV (also .gz)")
    format = forms.ChoiceField(
        choices=[(ImportJob.Format.POLICE_UK, "police.uk (CSV or zip)"),
                 (ImportJob.Format.GENERIC, "Other CSV/TSV (map the columns)")],
        initial=ImportJob.Format.POLICE_UK)
    source = forms.CharField(max_length=64, required=False,
                             help_text="Where the records come from (default police.uk or force)")
    # Column mapping for the generic format: the columns of the file that hold each field.
    date = forms.CharField(required=False, label="Date column")
    from_ = forms.CharField(required=False, label="Committed from column")
    to = forms.CharField(required=False, label="Committed to column")
    lon = forms.CharField(required=False, label="Longitude column")
    lat = forms.CharField(required=False, label="Latitude column")
    x = forms.CharField(required=False, label="X (easting) column")
    y = forms.CharField(required=False, label="Y (northing) column")
    srid = forms.IntegerField(required=False, label="SRID of X/Y", min_value=1, max_value=999999)
    type = forms.CharField(required=False, label="Offence type column")
    reference = forms.CharField(required=False, label="Reference (crime number) column")
    default_type = forms.ModelChoiceField(
        queryset=OffenceType.objects.order_by("name"), required=False, to_field_name="code",
        label="Offence type when the file has none")
    date_precision = forms.ChoiceField(
        choices=[("auto", "As written"), ("month", "Month only (police.uk style)"),
                 ("day", "Day only")], initial="auto", required=False)
    timezone = forms.CharField(required=False, label="Time zone of the dates",
                               help_text="Default: the deployment's time zone")
    mapping = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              label="Advanced: full mapping as JSON (overrides the fields above)")

    COLUMN_FIELDS = ("date", "from_", "to", "lon", "lat", "x", "y", "type", "reference")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("format") != ImportJob.Format.GENERIC:
            data["mapping_dict"] = {}
            return data
        text = (data.get("mapping") or "").strip()
        if text:
            try:
                data["mapping_dict"] = mapping_from_json(text)
            except ImportInputError as exc:
                raise forms.ValidationError(str(exc)) from None
            return data
        columns = {f.rstrip("_"): data[f].strip() for f in self.COLUMN_FIELDS if data.get(f)}
        mapping: dict[str, Any] = {"columns": columns}
        if data.get("srid"):
            mapping["srid"] = data["srid"]
        if data.get("default_type"):
            mapping["default_type"] = data["default_type"].code
        if data.get("date_precision") and data["date_precision"] != "auto":
            mapping["date_precision"] = data["date_precision"]
        if data.get("timezone"):
            mapping["timezone"] = data["timezone"].strip()
        data["mapping_dict"] = mapping
        return data


class OffenceTypeForm(forms.Form):
    harm_weight = forms.FloatField(min_value=0, max_value=1_000_000)
    include_in_targeting = forms.BooleanField(required=False)
    weight_source = forms.CharField(max_length=300, required=False)
