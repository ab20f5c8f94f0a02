"""API for exports: queue one (202), follow its progress, download it (audited)."""

from pathlib import Path
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import actor_of, areas_visible
from core.api import DateTimeField, ScopedId, ScopedSerializer
from core.permissions import RolePermission

from . import services
from .models import ExportJob

if TYPE_CHECKING:
    pass


class ExportOutput(serializers.ModelSerializer):
    class Meta:
        model = ExportJob
        fields = ("id", "kind", "format", "area", "period_start", "period_end", "recipient",
                  "purpose", "status", "rows_expected", "rows_written", "error", "created_at",
                  "finished_at")


class ExportInput(ScopedSerializer):
    kind = serializers.ChoiceField(choices=ExportJob.Kind.choices)
    format = serializers.ChoiceField(choices=ExportJob.Format.choices)
    start = DateTimeField()
    end = DateTimeField()
    area = ScopedId(scope=areas_visible, required=False, allow_null=True)
    recipient = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=300)


class ExportListView(generics.ListAPIView):
    """Your exports, newest first."""

    serializer_class = ExportOutput
    queryset = ExportJob.objects.none()
    permission_classes = [RolePermission]
    required_perms = {"GET": ("reports.view_exportjob",), "POST": ("reports.add_exportjob",)}

    def get_queryset(self) -> QuerySet[ExportJob]:
        return ExportJob.objects.filter(created_by_id=self.request.user.pk)

    @extend_schema(request=ExportInput, responses={202: ExportOutput},
                   summary="Queue an export (written by a Celery task)")
    def post(self, request: Request) -> Response:
        data = ExportInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        area = v.get("area")
        actor = actor_of(request)
        if actor is None:  # RolePermission refuses anonymous callers before this
            raise PermissionDenied("sign in to export")
        job = services.export_create(actor=actor, kind=v["kind"], fmt=v["format"],
                                     start=v["start"], end=v["end"], area=area,
                                     recipient=v["recipient"], purpose=v["purpose"])
        return Response(ExportOutput(job).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailView(generics.RetrieveAPIView):
    serializer_class = ExportOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("reports.view_exportjob",)}

    def get_queryset(self) -> QuerySet[ExportJob]:
        return ExportJob.objects.filter(created_by_id=self.request.user.pk)


class ExportDownloadView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"GET": ("reports.view_exportjob",)}

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   summary="Download a finished export (audited)")
    def get(self, request: Request, pk: int) -> FileResponse:
        job = get_object_or_404(ExportJob, pk=pk, created_by_id=request.user.pk, status="done")
        services.export_downloaded(job=job, actor=actor_of(request))
        return FileResponse(job.file.open("rb"), as_attachment=True,
                            filename=Path(job.file.name).name)
