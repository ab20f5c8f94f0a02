"""API for auditors: the trail, searchable."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.permissions import RolePermission

from . import selectors
from .models import AuditEvent


class AuditOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = AuditEvent
        fields = ("id", "at", "actor", "action", "target_type", "target_id", "detail")


class AuditListView(generics.ListAPIView):
    serializer_class = AuditOutput
    queryset = AuditEvent.objects.none()
    permission_classes = [RolePermission]
    required_perms = {"GET": ("audit.view_auditevent",)}

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in ("action", "actor", "target")]
                   + [OpenApiParameter("start", OpenApiTypes.DATE),
                      OpenApiParameter("end", OpenApiTypes.DATE)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AuditEvent]:
        # A bad date is an InputError, which the exception handler answers with a 400.
        return selectors.audit_search(**selectors.params(self.request.query_params))
