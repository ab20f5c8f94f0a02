"""API plumbing for every app: a JSON parser that bounds nesting, and pagination that
bounds its numbers (issue 15, item 4: each of these was a 500)."""

from typing import Any

from django import forms
from django_filters import filters
from django_filters.fields import IsoDateTimeField
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import get_encoding  # type: ignore[attr-defined]

from .errors import InputError
from .params import date_checked, datetime_checked, json_loads

# PostgreSQL's OFFSET is a bigint; no list here is anywhere near this long.
MAX_OFFSET = 10**9


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than MAX_JSON_DEPTH with a 400
    before the decoder sees it."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding}: {exc}") from None
        try:
            return json_loads(text, strict=bool(self.strict))
        except InputError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class LimitOffsetPage(LimitOffsetPagination):
    """`?limit=` (1 to 1,000) and `?offset=`: a number outside them is a 400 that says so,
    never a database error (a limit of 10**20 overflowed PostgreSQL's bigint)."""

    max_limit = 1000

    def get_limit(self, request: Any) -> int | None:
        text = str(request.query_params.get(self.limit_query_param, "")).strip()
        if text and (not text.isdigit() or not 1 <= int(text) <= self.max_limit):
            raise ParseError(f"limit must be a whole number from 1 to {self.max_limit:,}")
        return super().get_limit(request)

    def get_offset(self, request: Any) -> int:
        text = str(request.query_params.get(self.offset_query_param, "")).strip()
        if text and (not text.isdigit() or int(text) > MAX_OFFSET):
            raise ParseError(f"offset must be a whole number from 0 to {MAX_OFFSET:,}")
        return int(super().get_offset(request))


class _BoundedIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> Any:
        parsed = super().to_python(value)
        if parsed is not None:
            try:
                datetime_checked(parsed, "this time")
            except InputError as exc:
                raise forms.ValidationError(str(exc)) from None
        return parsed


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 filter, refusing times PostgreSQL or Python cannot convert."""

    field_class = _BoundedIsoDateTimeField


class _BoundedDateField(forms.DateField):
    def to_python(self, value: Any) -> Any:
        parsed = super().to_python(value)
        if parsed is not None:
            try:
                date_checked(parsed, "this date")
            except InputError as exc:
                raise forms.ValidationError(str(exc)) from None
        return parsed


class DateFilter(filters.DateFilter):
    field_class = _BoundedDateField


class GeoJSONRenderer(renderers.JSONRenderer):
    """GeoJSON under its own media type (RFC 7946), for clients that ask for it by name."""

    media_type = "application/geo+json"
    format = "geojson"
