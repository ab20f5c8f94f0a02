"""The notice centre (issue 20, part 2): notices once per event, read and unread under the
bell, leading only within the application; email for the kinds a person chose, sent through
a real SMTP server the suite runs (aiosmtpd), with a line and a link and nothing more."""

import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from notices.models import EmailChoice, Notice
from notices.services import email_choices_set, notices_email_send, notify

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8")))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free port, and Django's SMTP backend pointed at it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.SITE_URL = "https://hotspots.example.police.uk"
    yield inbox
    controller.stop()


def test_a_notice_is_made_once_per_event_and_emailed_only_to_those_who_chose(users, smtp):
    sup, admin = users["supervisor"], users["admin"]
    sup.email, admin.email = "sup@example.police.uk", "admin@example.police.uk"
    sup.save(), admin.save()
    email_choices_set(user=sup, kinds=["alarm"])
    made = notify(users=[sup, admin], kind="alarm", title="Neal Street has had no patrol "
                  "for 3 hours of its tasked shift", url="/live/", key="alarm:1:2")
    again = notify(users=[sup, admin], kind="alarm", title="x", url="/live/", key="alarm:1:2")
    assert len(made) == 2 and again == [] and Notice.objects.count() == 2
    assert notices_email_send(notice_ids=[n.pk for n in made]) == 1
    assert notices_email_send(notice_ids=[n.pk for n in made]) == 0  # never twice
    [(to, message)] = smtp.messages
    assert to == ["sup@example.police.uk"]
    assert "Subject: [Hot spots] Neal Street has had no patrol for 3 hours" in message
    assert "https://hotspots.example.police.uk/live/" in message
    assert Notice.objects.get(user=sup).emailed_at is not None
    assert Notice.objects.get(user=admin).emailed_at is None


def test_notices_lead_only_within_the_application(users):
    for url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            notify(users=[users["officer"]], kind="training", title="t", url=url, key=url)
    assert Notice.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_email_goes_by_a_real_worker_after_the_commit(users, smtp, celery_worker):
    sup = users["supervisor"]
    sup.email = "sup@example.police.uk"
    sup.save()
    EmailChoice.objects.create(user=sup, kind="plan_draft")
    with transaction.atomic():
        notify(users=[sup], kind="plan_draft", title="Camden's draft plan for w/c 14 Dec "
               "is ready", url="/tasking/", key="plan:1")
    for _ in range(100):
        if smtp.messages:
            break
        time.sleep(0.1)
    assert [to for to, _ in smtp.messages] == [["sup@example.police.uk"]]


def test_the_bell_counts_unread_and_opening_marks_read(api, users):
    officer = users["officer"]
    notice = notify(users=[officer], kind="training", title="Training to take: Why hot spots",
                    url="/learn/", key="training:1")[0]
    client = api(officer)
    page = client.get("/notices/").content.decode()
    assert 'data-testid="bell-count">1<' in page
    opened = client.post(f"/notices/{notice.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/learn/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-testid="bell-count"' not in client.get("/notices/").content.decode()
    # Someone else's notice is not found, and opening it changes nothing.
    other = notify(users=[users["supervisor"]], kind="training", title="t", url="/learn/",
                   key="training:2")[0]
    assert client.post(f"/notices/{other.pk}/open/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_email_choices_are_saved_and_unknown_kinds_refused(api, users):
    client = api(users["officer"])
    assert client.post("/notices/", {"email": ["alarm", "digest"]}).status_code == 302
    assert set(EmailChoice.objects.values_list("kind", flat=True)) == {"alarm", "digest"}
    refused = client.post("/notices/", {"email": ["alarm", "nonsense"]})
    assert refused.status_code == 400
    assert set(EmailChoice.objects.values_list("kind", flat=True)) == {"alarm", "digest"}
