"""The admin imports and deletes street layers; lines are not edited one by one."""

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from accounts.selectors import actor_of
from core.forms import PlainTextModelForm

from .models import StreetLayer
from .services import StreetImportError, street_layer_delete, streets_import


class StreetLayerImportForm(PlainTextModelForm):
    """Import runs while the form is checked, so a file that cannot be read is reported on
    the form with its reason and nothing is stored."""

    file = forms.FileField(help_text="GeoPackage (.gpkg), GeoJSON, or a zipped Shapefile of "
                                     "street lines, for example OS Open Roads.")
    layer_name = forms.CharField(required=False, label="Layer in the file",
                                 help_text="Blank: road_link if there is one, else the first.")
    name_field = forms.CharField(required=False, help_text="Blank: name1, name, road_name ...")
    class_field = forms.CharField(required=False,
                                  help_text="Blank: road_classification, highway, fclass ...")

    class Meta:
        model = StreetLayer
        fields = ["name", "attribution"]

    def __init__(self, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.imported: StreetLayer | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is None or self.errors:
            return data
        limit = int(settings.STREETS_MAX_UPLOAD_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(f"The file is over {limit // 2**20:,} MB: cut it to the "
                                        "force's area first, or use manage.py import_streets.")
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".gpkg", ".geojson", ".json", ".zip"):
            raise forms.ValidationError("Upload a .gpkg, .geojson or zipped Shapefile (.zip).")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                self.imported = streets_import(
                    path=path, name=data.get("name", ""),
                    attribution=data.get("attribution", ""), actor=self.actor,
                    layer=data.get("layer_name") or None,
                    name_field=data.get("name_field") or None,
                    class_field=data.get("class_field") or None)
            except StreetImportError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(StreetLayer)
class StreetLayerAdmin(admin.ModelAdmin):
    list_display = ("name", "streets", "source_file", "imported_at", "imported_by")
    readonly_fields = ("source_file", "streets", "imported_at", "imported_by")
    form = StreetLayerImportForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        if obj is not None:  # a stored layer: its name and attribution only
            kwargs["form"] = PlainTextModelForm
            return super().get_form(request, obj, change=change, **kwargs)
        base = super().get_form(request, obj, change=change, **kwargs)

        class WithActor(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, actor=actor_of(request), **kw)

        return WithActor

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["file", "name", "attribution", "layer_name", "name_field", "class_field"]
        return ["name", "attribution", *self.readonly_fields]

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        imported = getattr(form, "imported", None)
        return imported if imported is not None else super().save_form(request, form, change)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        # A new layer was stored by the import itself.

    def save_related(self, request: HttpRequest, form: Any, formsets: Any,
                     change: bool) -> None:
        if change:  # a new layer has no related rows to save beyond its lines
            super().save_related(request, form, formsets, change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        street_layer_delete(layer=obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for layer in queryset:
            street_layer_delete(layer=layer, actor=actor_of(request))
