"""The audit trail: append-only in the database, searchable by auditors."""

from datetime import timedelta

import psycopg
import psycopg.errors
import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record


@pytest.mark.django_db(transaction=True)  # committed: the owner's connection must see it
def test_the_database_refuses_to_change_or_delete_an_event(users):
    """Two locks: the application's role has no UPDATE or DELETE on the trail, and the
    trigger refuses them even to the owner (tests/security/test_db_roles.py has the rest)."""
    event = audit_record(actor=users["analyst"], action="offence_type.update",
                         detail={"before": 1, "after": 2})
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="nothing"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(ProgrammingError, match="permission denied for table audit_"), \
                transaction.atomic():
            attempt()
    with _as_owner() as owner, owner.transaction():
        for statement, refused in (("UPDATE audit_auditevent SET action = 'x'", "UPDATE"),
                                   ("DELETE FROM audit_auditevent", "DELETE")):
            with pytest.raises(psycopg.errors.InsufficientPrivilege,
                               match=f"append-only: {refused} refused"), owner.transaction():
                owner.execute(statement)
    event.refresh_from_db()
    assert (event.action, event.detail) == ("offence_type.update", {"before": 1, "after": 2})
    assert AuditEvent.objects.count() == 1


def _as_owner() -> psycopg.Connection:
    from core.db_roles import owner_settings

    owner = owner_settings()
    assert owner is not None
    return psycopg.connect(dbname=connection.settings_dict["NAME"], host=owner["HOST"],
                           port=owner["PORT"], user=owner["USER"],
                           password=owner["PASSWORD"] or None)


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


def test_the_audit_page_shows_changes_as_before_and_after(api, users):
    audit_record(actor=users["supervisor"], action="task.update",
                 detail={"plan": 4, "before": {"user": None, "team": 3},
                         "after": {"user": 12, "team": None}})
    page = api(users["auditor"]).get(reverse("audit"), {"action": "task."}).content.decode()
    # PostgreSQL's jsonb keeps keys in its own order (shorter first, then alphabetical).
    assert "<div>team: 3 → (none)</div><div>user: (none) → 12</div><div>plan: 4</div>" in page
    assert "{&#x27;" not in page and "{'" not in page
