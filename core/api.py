"""API plumbing for every app: the one exception handler, a JSON parser that bounds nesting,
and pagination and fields that bound their numbers (issue 15, item 4: each was a 500)."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, ProtectedError, QuerySet
from django.http import Http404
from django_filters import filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import parsers, renderers, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.fields import empty
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import get_encoding  # type: ignore[attr-defined]
from rest_framework.response import Response

from .errors import AppError, InputError, PermissionRefused
from .params import date_checked, datetime_checked, json_loads, whole_number


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The application's errors (core.errors) become their status with their message;
    everything else as DRF does. A bare ValueError or any other exception is a bug: DRF
    leaves it to Django, which logs it and answers a 500 that shows none of its text."""
    # Imported here: rest_framework.views reads the API settings, which name this module's
    # parser and pagination, so a module-level import would be circular.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, AppError):
        return Response({"detail": str(exc)}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        return Response({"detail": "this record is still in use and cannot be deleted"},
                        status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


# PostgreSQL's OFFSET is a bigint; no list here is anywhere near this long.
MAX_OFFSET = 10**9


def refuse_other_officer(request: Any, data: dict[str, Any]) -> None:
    """Work queued on a shared phone names who made it; sent while another person is
    signed in (a tab left open after its session ran out), it is refused and the phone
    keeps it for its maker, rather than being stored as someone else's."""
    made_by = data.get("officer")
    if made_by is not None and made_by != getattr(request.user, "pk", None):
        raise PermissionRefused("this was made on this phone by someone else who was "
                                "signed in: it waits for them to sign in again")


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
        number = whole_number(text)
        if text and (number is None or not 1 <= number <= self.max_limit):
            raise ParseError(f"limit must be a whole number from 1 to {self.max_limit:,}")
        return super().get_limit(request)

    def get_offset(self, request: Any) -> int:
        text = str(request.query_params.get(self.offset_query_param, "")).strip()
        number = whole_number(text)
        if text and (number is None or number > MAX_OFFSET):
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


class _InRange:
    """Refuses a parsed date or time outside the years the product handles (core.params)."""

    def check(self, value: Any) -> Any:
        try:
            if isinstance(value, datetime):
                datetime_checked(value, "this time")
            elif isinstance(value, date):
                date_checked(value, "this date")
        except InputError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


class DateField(_InRange, serializers.DateField):
    """DRF's date field, 1900 to 2200: year 1 overflowed when a service moved it to UTC."""

    def to_internal_value(self, value: Any) -> Any:
        return self.check(super().to_internal_value(value))


class DateTimeField(_InRange, serializers.DateTimeField):
    """DRF's time field, 1900 to 2200 and with an offset PostgreSQL accepts."""

    def to_internal_value(self, value: Any) -> Any:
        return self.check(super().to_internal_value(value))


class JSONField(serializers.JSONField):
    """DRF's JSON field, but text sent in a form goes through the bounded parser: DRF's own
    json.loads took a 3,000-deep geometry in a multipart form to RecursionError."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str | bytes) and (self.binary or getattr(data, "is_json_string",
                                                                      False)):
            try:
                return json_loads(data, name="this field")
            except InputError as exc:
                raise serializers.ValidationError(str(exc)) from None
        return super().to_internal_value(data)


Scope = Callable[..., QuerySet[Any]]
# PostgreSQL's bigint: a larger id is refused as a field error, never sent to a query.
BIGINT = 2**63


def _scoped(field: serializers.Field, scope: Scope) -> QuerySet[Any]:
    request = field.context.get("request")
    if request is None:  # a programming error: the view must pass its request
        raise RuntimeError(f"{type(field.root).__name__} needs context={{'request': ...}}")
    return scope(user=request.user)


class _Pending(NamedTuple):
    """An id that passed its field's checks, looked up once the whole body has."""

    field: "ScopedId | ScopedIds"
    ids: Any


@extend_schema_field(OpenApiTypes.INT)
class ScopedId(serializers.PrimaryKeyRelatedField):
    """An id in a request body, resolved through a selector of what the request's user may
    see (`scope(user=...)`): a view gets the object, never an id to look up itself. An id
    outside the scope reads exactly as one that does not exist: `missing(id)` is raised (an
    application error, for an id that is one part of a request), or a 404 when there is
    none. Text, "" or a number beyond bigint is a 400 field error, as DRF's IntegerField
    gives. The lookup waits for ScopedSerializer.validate: every field's own error is
    reported first, as when views looked ids up after validation."""

    def __init__(self, *, scope: Scope, missing: Callable[[int], AppError] | None = None,
                 **kwargs: Any) -> None:
        self.scope, self.missing = scope, missing
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return _scoped(self, self.scope)

    def run_validation(self, data: Any = empty) -> Any:
        # DRF's related fields read "" as null: an empty id would have unassigned a visit.
        if data == "":
            raise serializers.ValidationError("A valid integer is required.")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> _Pending:
        number = serializers.IntegerField(min_value=-BIGINT, max_value=BIGINT - 1)
        return _Pending(self, number.run_validation(data))

    def resolve(self, pk: int) -> Model:
        queryset = self.get_queryset()
        found = queryset.filter(pk=pk).first()
        if found is None:
            if self.missing is not None:
                raise self.missing(pk)
            # As django.shortcuts.get_object_or_404 says it.
            raise Http404(f"No {queryset.model._meta.object_name} matches the given query.")
        return found

    def to_representation(self, value: Any) -> Any:
        return value.pk


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class ScopedIds(serializers.ListField):
    """A list of ids resolved in one query through the same kind of selector as ScopedId,
    returned in id order without repeats; `missing(ids)` is raised when any is outside
    the scope (or does not exist)."""

    child = serializers.IntegerField(min_value=-BIGINT, max_value=BIGINT - 1)

    def __init__(self, *, scope: Scope, missing: Callable[[list[int]], AppError],
                 **kwargs: Any) -> None:
        self.scope, self.missing = scope, missing
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:  # a _Pending, resolved in validate
        return _Pending(self, sorted(set(super().to_internal_value(data))))

    def resolve(self, wanted: list[int]) -> list[Model]:
        found = list(_scoped(self, self.scope).filter(pk__in=wanted).order_by("pk"))
        if len(found) != len(wanted):
            have = {m.pk for m in found}
            raise self.missing([pk for pk in wanted if pk not in have])
        return found


def _resolved(value: Any) -> Any:
    if isinstance(value, _Pending):
        return value.field.resolve(value.ids)
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v) for v in value]
    return value


class ScopedSerializer(serializers.Serializer):
    """An input serializer whose ScopedId and ScopedIds fields (its own and its nested
    serializers') are looked up after every field has passed its own checks, in the order
    the fields are declared: a bad value anywhere is a 400 before any id reads as missing."""

    def validate(self, attrs: Any) -> Any:
        return _resolved(attrs) if self.root is self else attrs
