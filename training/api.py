"""The training API: modules (read), a person's progress, a sitting of a knowledge check
(idempotent by the phone's id, as visits are), and the training matrix for supervisors and
admins."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import user_role
from accounts.selectors import areas_visible, teams_visible, users_visible
from core.api import (
    DateTimeField,
    JSONParser,
    ScopedId,
    ScopedSerializer,
    refuse_other_officer,
)
from core.errors import NotFound
from core.params import whole_number
from core.permissions import RolePermission

from . import selectors, services
from .models import Module
from .rendering import render_lesson


def _standing(s: selectors.Standing) -> dict[str, Any]:
    return {"state": s.state, "state_label": s.label, "current": s.current,
            "passed_at": s.passed_at, "due_at": s.due_at, "score": s.score}


class StandingOutput(serializers.Serializer):
    state = serializers.ChoiceField(choices=list(selectors.LABELS))
    state_label = serializers.CharField(help_text="The state in words: Done, Due soon, ...")
    current = serializers.BooleanField()
    passed_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)


class ModuleSummary(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    version = serializers.IntegerField()
    pass_mark = serializers.IntegerField()
    required_for_role = serializers.BooleanField()
    standing = StandingOutput()


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    m = row["module"]
    return {"id": m.pk, "slug": m.slug, "title": m.title, "summary": m.summary,
            "version": m.version, "pass_mark": m.pass_mark,
            "required_for_role": row["required"],
            "standing": _standing(row["standing"])}


class ModuleListView(APIView):
    """The modules the caller sees, with their own standing in each."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("training.view_module",)}

    @extend_schema(responses=ModuleSummary(many=True), summary="Modules and my standing")
    def get(self, request: Request) -> Response:
        return Response([_summary(r) for r in selectors.my_modules(user=request.user)])


class QuestionOutput(serializers.Serializer):
    text = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class LessonOutput(serializers.Serializer):
    title = serializers.CharField()
    html = serializers.CharField(help_text="Sanitised HTML, with the reader's local figures")


class ModuleDetailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    pass_mark = serializers.IntegerField()
    lessons = LessonOutput(many=True)
    questions = QuestionOutput(many=True, help_text="The check, without its answers")


class ModuleDetailView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"GET": ("training.view_module",)}

    @extend_schema(responses=ModuleDetailOutput, summary="A module's lessons and check")
    def get(self, request: Request, pk: int) -> Response:
        module = get_object_or_404(selectors.modules_active(), pk=pk)
        doc = selectors.module_document(module=module)
        images = selectors.module_image_ids(module=module)
        return Response({
            "id": module.pk, "slug": module.slug, "title": module.title,
            "version": module.version, "pass_mark": module.pass_mark,
            "lessons": [{"title": t, "html": render_lesson(b, image_ids=images,
                                                           user=request.user)}
                        for t, b in doc.lessons],
            "questions": [{"text": q.text, "choices": q.choices} for q in doc.questions]})


class CompletionInput(ScopedSerializer):
    id = serializers.UUIDField(help_text="Made by the phone: answers sent twice are stored once")
    module = ScopedId(scope=selectors.modules_readable)
    version = serializers.IntegerField(min_value=1, max_value=1_000_000)
    answers = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=20),
                                    max_length=20, help_text="The chosen choice's index, "
                                                             "for each question in order")
    answered_at = DateTimeField(required=False, help_text="When answered (the phone's "
                                                          "clock); now when left out")
    officer = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1,
        help_text="Who answered on the phone (shared phones): answers sent while someone "
                  "else is signed in are refused with 403, and the phone keeps them")


class SittingOutput(serializers.Serializer):
    id = serializers.UUIDField()
    module = serializers.IntegerField(source="module_id")
    module_version = serializers.IntegerField()
    correct = serializers.IntegerField()
    questions = serializers.IntegerField()
    score = serializers.IntegerField()
    passed = serializers.BooleanField()
    pass_mark = serializers.IntegerField(source="module.pass_mark")
    answered_at = serializers.DateTimeField()
    current_version = serializers.IntegerField(
        source="module.version", help_text="A pass of an older version does not count")


class CompletionOutput(SittingOutput):
    wrong = serializers.SerializerMethodField(help_text="The numbers (from 1) of the "
                                                        "questions answered wrongly")

    def get_wrong(self, done: Any) -> list[int]:
        return selectors.questions_missed(completion=done)


class CompletionListView(APIView):
    """A person's sittings of knowledge checks: their own, never anyone else's."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("training.view_module",), "POST": ("training.add_completion",)}
    parser_classes = [JSONParser]

    @extend_schema(responses=SittingOutput(many=True), summary="My sittings, newest first")
    def get(self, request: Request) -> Response:
        mine = (request.user.training_completions.select_related("module")  # type: ignore[union-attr]
                .order_by("-answered_at")[:200])
        return Response(SittingOutput(mine, many=True).data)

    @extend_schema(request=CompletionInput, responses={201: CompletionOutput,
                                                       200: CompletionOutput},
                   summary="Send a sitting's answers (201; 200 if this id was already "
                           "stored; 409 if it was stored with other answers)")
    def post(self, request: Request) -> Response:
        data = CompletionInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        refuse_other_officer(request, v)
        module: Module = v["module"]
        body = {"id": str(v["id"]), "module": module.pk, "version": v["version"],
                "answers": v["answers"]}
        done, created = services.completion_record(
            user=request.user, module=module, completion_id=v["id"],  # type: ignore[arg-type]
            version=v["version"], answers=v["answers"],
            answered_at=v.get("answered_at") or timezone.now(), body=body)
        return Response(CompletionOutput(done).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ProgressOutput(serializers.Serializer):
    user = serializers.IntegerField()
    role = serializers.CharField(allow_null=True)
    modules = ModuleSummary(many=True)


class ProgressView(APIView):
    """A person's standing in every module: the caller's own; with `?user=`, someone in
    the caller's areas, for those who see the training matrix."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("training.view_module",)}

    @extend_schema(parameters=[OpenApiParameter("user", int)], responses=ProgressOutput,
                   summary="A person's training progress")
    def get(self, request: Request) -> Response:
        person: Any = request.user
        if request.query_params.get("user"):
            if not request.user.has_perm("training.view_training_matrix"):
                raise NotFound("No such person.")
            pk = whole_number(request.query_params["user"])
            person = users_visible(user=request.user).filter(pk=pk).first() \
                if pk is not None else None
            if person is None:
                raise NotFound("No such person.")
        return Response({"user": person.pk, "role": user_role(person),
                         "modules": [_summary(r) for r in selectors.my_modules(user=person)]})


class MatrixRowOutput(serializers.Serializer):
    user = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    ready = serializers.BooleanField()
    standings = StandingOutput(many=True)


class MatrixOutput(serializers.Serializer):
    modules = serializers.ListField(child=serializers.CharField())
    people = serializers.IntegerField()
    ready = serializers.IntegerField()
    rows = MatrixRowOutput(many=True)


class MatrixView(APIView):
    """People against modules in the caller's areas (one area and team with ?area=&team=)."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("training.view_training_matrix",)}

    @extend_schema(parameters=[OpenApiParameter("area", int), OpenApiParameter("team", int)],
                   responses=MatrixOutput, summary="The training matrix")
    def get(self, request: Request) -> Response:
        area = team = None
        params = request.query_params
        if params.get("area"):
            pk = whole_number(params["area"])
            area = areas_visible(user=request.user).filter(pk=pk).first() \
                if pk is not None else None
            if area is None:
                raise NotFound("No such area.")
        if params.get("team"):
            pk = whole_number(params["team"])
            team = teams_visible(user=request.user).filter(pk=pk).first() \
                if pk is not None else None
            if team is None:
                raise NotFound("No such team.")
        data = selectors.matrix(viewer=request.user, area=area,
                                team_id=team.pk if team else None)
        return Response({
            "modules": [m.title for m in data["modules"]], "people": data["people"],
            "ready": data["ready"],
            "rows": [{"user": r["person"].pk,
                      "name": r["person"].get_full_name() or r["person"].username,
                      "role": r["role"], "team": r["person"].team.name
                      if r["person"].team else None, "ready": r["ready"],
                      "standings": [_standing(c) for c in r["cells"]]} for r in data["rows"]]})
