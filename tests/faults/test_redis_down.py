"""With Redis unreachable (a port nobody listens on), the supervisor map still answers from
PostgreSQL and a committed export stays queued for the resume task (issue 7, "Faults")."""

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from redis import Redis

from config.celery_app import app
from patrols.models import Visit
from reports.models import ExportJob
from reports.services import export_create, exports_resume
from tests.faults.procs import free_port
from tests.tasking.conftest import WEEK, make_hotspot, night_profile, patterns, teams  # noqa: F401
from tests.tasking.test_api import generate

pytestmark = pytest.mark.django_db(transaction=True)


def _reconnect() -> None:
    """Drop Celery's pooled broker connections, so the next send uses broker_url as it is."""
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


def _dead_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def test_the_map_answers_the_same_without_its_cache(api, users, areas, patterns, make_hotspot,  # noqa: F811
                                                    settings, caplog):
    make_hotspot(night_profile(5.0))
    client = api(users["supervisor"])
    plan = generate(client, areas, seed=5).json()
    shift = client.get(reverse("api-shifts"), {"area": plan["area"],
                                               "week": WEEK.isoformat()}).json()["results"][0]
    url = reverse("api-plan-map", args=[plan["id"]])
    with_cache = client.get(url, {"shift": shift["id"]})
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": _dead_redis()}}
    with caplog.at_level(logging.WARNING, logger="core.resilience"):
        without = client.get(url, {"shift": shift["id"]})
    assert without.status_code == 200
    assert without.json() == with_cache.json()
    assert "cache unreachable; building planmap afresh" in caplog.text


def test_an_export_made_while_the_broker_is_down_is_kept_and_sent_later(users, areas, caplog,
                                                                        make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    c = spot.geom.centroid
    started = datetime.now(UTC) - timedelta(days=1)
    Visit.objects.create(id=uuid.uuid4(), officer=users["officer"], hotspot=spot,
                         started_at=started, ended_at=started + timedelta(minutes=15),
                         start_point=Point(c.x, c.y, srid=27700), start_inside=True,
                         activities=["stop"], notes="", body_hash="x")
    live_url = app.conf.broker_url
    app.conf.update(broker_url=_dead_redis())
    _reconnect()  # the next send opens a connection to the dead address
    try:
        with caplog.at_level(logging.WARNING, logger="core.resilience"):
            job = export_create(actor=users["analyst"], kind="visits", fmt="csv",
                                start=datetime(2026, 1, 1, tzinfo=UTC),
                                end=datetime.now(UTC) + timedelta(days=1),
                                recipient="Funder", purpose="Quarterly return")
    finally:
        app.conf.update(broker_url=live_url)
        _reconnect()
    assert "broker unreachable: reports.tasks.export_run" in caplog.text
    job.refresh_from_db()
    assert (job.status, Visit.objects.count()) == ("queued", 1)
    # Once the broker is back, the resume task sends it: one message waits in the queue.
    app.control.purge()
    assert exports_resume(stale_after=timedelta(0)) == [job.pk]
    waiting = Redis.from_url(app.conf.broker_url).lrange("celery", 0, -1)
    assert [json.loads(m)["headers"]["argsrepr"] for m in waiting] == [f"({job.pk},)"]
    assert ExportJob.objects.get(pk=job.pk).status == "queued"
    app.control.purge()
