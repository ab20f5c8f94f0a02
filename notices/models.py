"""Notices: what the product tells a person (an unpatrolled hot spot, a draft plan to
publish, crime data going stale), read in the app under the bell and, for the kinds each
person chooses, by email."""

from django.conf import settings
from django.db import models


class Notice(models.Model):
    class Kind(models.TextChoices):
        ALARM = "alarm", "A tasked hot spot has gone unpatrolled"
        PLAN_DRAFT = "plan_draft", "Next week's draft plan is ready"
        PLAN_REMINDER = "plan_reminder", "A plan is still unpublished"
        DATA_STALE = "data_stale", "Crime data are out of date"
        DIGEST = "digest", "The weekly digest"
        TRAINING = "training", "Training to take"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # A path in this application (never another site): where the notice leads.
    url = models.CharField(max_length=300, blank=True)
    # The same event told twice (a retried task, a second beat) is one notice.
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="notice_once_per_user_and_key")]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread")]

    def __str__(self) -> str:
        return self.title


class EmailChoice(models.Model):
    """A person's choice to be emailed a kind of notice (none by default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notice_emails")
    kind = models.CharField(max_length=16, choices=Notice.Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="emailchoice_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"
