"""The presence task on a real Celery worker: pings committed first, presence after."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from patrols.models import Presence
from patrols.services import ping_partitions, pings_ingest
from patrols.tasks import ping_partitions_maintain, presence_update

from .conftest import centre, track


@pytest.fixture
def clean_pings(transactional_db):
    """The ping table is outside Django's flush (it is unmanaged): empty it by hand, through
    the owner's function, as the purge does (the application's role owns no partition)."""
    yield
    with connection.cursor() as cur:
        for _, day in ping_partitions():
            cur.execute("SELECT patrols_ping_partition_drop(%s)", [day])


def test_the_worker_turns_pings_into_presence(clean_pings, celery_worker, device, spot):
    x, y = centre(spot)
    start = timezone.now() - timedelta(minutes=30)
    assert pings_ingest(device=device, pings=track(start, 600, 10, x, y)).accepted == 61
    presence_update.delay()
    deadline = time.monotonic() + 30
    while not Presence.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    stay = Presence.objects.get()
    assert (stay.started_at.replace(microsecond=0), stay.pings, stay.seconds) == (
        start.replace(microsecond=0), 61, 600.0)


def test_partitions_are_made_ahead_and_expired_ones_dropped(clean_pings):
    today = timezone.now().date()
    assert ping_partitions_maintain() == {}
    days = [day for _, day in ping_partitions()]
    assert days == [today, today + timedelta(days=1), today + timedelta(days=2)]
