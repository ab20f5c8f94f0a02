"""The audit trail: append-only in the database, searchable by auditors."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record


def test_the_database_refuses_to_change_or_delete_an_event(users):
    event = audit_record(actor=users["analyst"], action="offence_type.update",
                         detail={"before": 1, "after": 2})
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="nothing"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(ProgrammingError, match="the audit trail is append-only"), \
                transaction.atomic():
            attempt()
    with pytest.raises(ProgrammingError, match="append-only: DELETE refused"), \
            transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent")
    event.refresh_from_db()
    assert (event.action, event.detail) == ("offence_type.update", {"before": 1, "after": 2})
    assert AuditEvent.objects.count() == 1


def test_auditors_search_the_trail(api, users):
    audit_record(actor=users["analyst"], action="export.create", detail={"recipient": "OPCC"})
    audit_record(actor=users["supervisor"], action="tracks.view")
    audit_record(actor=users["analyst"], action="plan.publish")
    client = api(users["auditor"])
    page = client.get(reverse("audit"), {"action": "export."}).content.decode()
    assert "export.create" in page and "tracks.view" not in page and "OPCC" in page
    rows = client.get(reverse("api-audit"), {"actor": "analyst"}).json()["results"]
    assert [r["action"] for r in rows] == ["plan.publish", "export.create"]
    today = timezone.localdate()
    assert client.get(reverse("api-audit"), {"start": str(today + timedelta(days=1))}
                      ).json()["count"] == 0
    assert client.get(reverse("api-audit"), {"start": "yesterday"}).status_code == 400
    assert client.get(reverse("audit"), {"end": "soon"}).status_code == 400
    assert api(users["supervisor"]).get(reverse("audit")).status_code == 403


def test_a_look_at_other_officers_visits_is_logged(api, users):
    api(users["officer"]).get(reverse("api-visits"))
    assert not AuditEvent.objects.filter(action="visits.list").exists()
    api(users["supervisor"]).get(reverse("api-visits"), {"limit": 5})
    event = AuditEvent.objects.get(action="visits.list")
    assert event.actor == users["supervisor"] and event.detail["count"] == 0
