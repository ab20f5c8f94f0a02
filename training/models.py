"""Learning modules (lessons and a knowledge check, written as one Markdown document),
their saved revisions, pictures uploaded beside them, and the completions people record."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Module(models.Model):
    """A module people take: ordered lessons, then a short knowledge check with a pass mark.

    `version` counts material changes: a completion of an older version asks its person to
    take the module again. `revision` counts every saved edit, typo fixes included.
    """

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=100)
    # The document: "# Lesson: ..." sections, then "# Check" with "## Q: ..." questions
    # (training.content.parse_module says the grammar; the shipped defaults use it too).
    body = models.TextField()
    pass_mark = models.PositiveSmallIntegerField(default=75, help_text="Percent to pass")
    # Role names (accounts.roles) that must hold a current completion.
    required_roles = models.JSONField(default=list, blank=True)
    refresher_months = models.PositiveSmallIntegerField(default=12)
    version = models.PositiveIntegerField(default=1)
    revision = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["order", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__gte=1, pass_mark__lte=100),
                                   name="module_pass_mark_percent"),
            models.CheckConstraint(condition=Q(refresher_months__gte=1,
                                               refresher_months__lte=60),
                                   name="module_refresher_range"),
        ]
        permissions = [("view_training_matrix",
                        "Can see who in their areas is trained (the training matrix)")]

    def __str__(self) -> str:
        return self.title


class ModuleRevision(models.Model):
    """Every saved state of a module: the answers people gave offline to an older version
    are marked against the questions they saw."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    pass_mark = models.PositiveSmallIntegerField()
    material = models.BooleanField()
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["module", "-revision"]
        constraints = [models.UniqueConstraint(fields=["module", "revision"],
                                               name="modulerevision_unique")]

    def __str__(self) -> str:
        return f"{self.module_id} r{self.revision} (v{self.version})"


class ModuleImage(models.Model):
    """A picture for a module's lessons, shown to signed-in people only."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(upload_to="training/%Y/%m/", max_length=300)
    content_type = models.CharField(max_length=40)
    alt = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["module", "id"]

    def __str__(self) -> str:
        return self.alt


class Completion(models.Model):
    """One sitting of a module's knowledge check: who, which version, the score, when.

    Never changed and never deleted (a database trigger refuses both): a later sitting
    supersedes it. The phone makes the id, so answers sent twice are stored once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="training_completions")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="completions")
    module_version = models.PositiveIntegerField()
    module_revision = models.PositiveIntegerField()
    answers = models.JSONField()
    correct = models.PositiveSmallIntegerField()
    questions = models.PositiveSmallIntegerField()
    score = models.PositiveSmallIntegerField(help_text="Percent correct")
    passed = models.BooleanField()
    # When the person answered (the phone's clock, checked); received_at is the server's.
    answered_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    body_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-answered_at"]
        indexes = [models.Index(fields=["user", "module", "-answered_at"],
                                name="completion_user_module")]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="completion_score_pct"),
            models.CheckConstraint(condition=Q(correct__lte=models.F("questions")),
                                   name="completion_correct_le_questions"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.module_id} v{self.module_version} {self.score}%"
