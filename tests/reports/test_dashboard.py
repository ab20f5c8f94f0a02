"""The dashboard's figures and charts."""

import json
import uuid
from datetime import timedelta

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from hotspots.models import Crime, OffenceType
from patrols.models import Visit
from tests.conftest import CAMDEN
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)


def _data(page) -> dict:
    html = page.content.decode()
    start = html.index('<script id="dashboard-data" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def _burglary(reference: str, when, at, area=None) -> Crime:
    """One burglary at an instant at a point (a hot spot's centre), in an area or none."""
    return Crime.objects.create(source="t", reference=reference,
                                offence_type=OffenceType.objects.get(code="burglary"),
                                occurred_from=when, occurred_to=when, area=area,
                                location=Point(at.x, at.y, srid=27700))


def _fill(users, make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    c = spot.geom.centroid
    now = timezone.now()
    # The latest a day ago: data that stop more than a day and a half before now leave this
    # week partial, and it is left blank (test_crime_weeks_after_the_data_end_are_blank...).
    for i in range(3):
        when = now - timedelta(days=1 + i * 7)
        _burglary(f"d{i}", when, c)
    Visit.objects.create(id=uuid.uuid4(), officer=users["officer"], hotspot=spot,
                         started_at=now - timedelta(days=1),
                         ended_at=now - timedelta(days=1) + timedelta(minutes=30),
                         activities=["foot"], body_hash="z")
    return spot


def test_dashboard_figures(api, users, areas, make_hotspot):  # noqa: F811
    spot = _fill(users, make_hotspot)
    page = api(users["supervisor"]).get(reverse("dashboard"), {
        "area": areas[CAMDEN].pk, "weeks": "4"})
    assert page.status_code == 200
    data = _data(page)
    assert len(data["weeks"]) == 4 and sum(data["crimes"]) == 3
    assert data["crimes"][-1] == 1 and data["hours"][-1] == 0.5
    assert sum(data["harm"]) == 3 * OffenceType.objects.get(code="burglary").harm_weight
    one = _data(api(users["supervisor"]).get(reverse("dashboard"), {
        "area": areas[CAMDEN].pk, "weeks": "4", "hotspot": spot.pk}))
    assert sum(one["crimes"]) == 3
    bad = api(users["supervisor"]).get(reverse("dashboard"), {"area": areas[CAMDEN].pk,
                                                              "weeks": "500"})
    assert bad.status_code == 400 and b"weeks is 1 to 104" in bad.content
    assert api(users["officer"]).get(reverse("dashboard")).status_code == 403


def test_crime_weeks_after_the_data_end_are_blank_not_nothing(api, users, areas,
                                                             make_hotspot):  # noqa: F811
    """Issue 18, item 19: police.uk data arrive two months late, and the dashboard counted
    the weeks since as no crime at all. Weeks that end after the data end are blank (the
    week the data end in holds only part of its crime: a review saw it read as a fall),
    and the page says where the data end."""
    spot = make_hotspot([1.0] * 168)
    c = spot.geom.centroid
    last = timezone.now() - timedelta(days=40)
    for i in range(3):
        when = last - timedelta(days=7 * i)
        _burglary(f"late{i}", when, c, areas[CAMDEN])
    # Data that began long before the ten weeks (the start has a test of its own below).
    early = last - timedelta(days=200)
    _burglary("early", early, c, areas[CAMDEN])
    page = api(users["supervisor"]).get(reverse("dashboard"), {"area": areas[CAMDEN].pk,
                                                               "weeks": "10"})
    data = _data(page)
    end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    starts = [end - timedelta(days=7 * (10 - k)) for k in range(10)]
    grace = timedelta(hours=36)
    blank = [min(lo + timedelta(days=7), end) - grace > last for lo in starts]
    assert [n is None for n in data["crimes"]] == blank
    assert [h is None for h in data["harm"]] == blank
    # The crimes in weeks the data cover whole: the last crime's week is cut unless it fell
    # in the last day and a half of its week.
    whens = [last - timedelta(days=7 * i) for i in range(3)]
    counted = sum(1 for w in whens for lo, empty in zip(starts, blank, strict=True)
                  if lo <= w < lo + timedelta(days=7) and not empty)
    assert sum(n for n in data["crimes"] if n is not None) == counted >= 2
    assert data["crime_weeks_missing"] == sum(blank) >= 5
    day = timezone.localtime(last).date()
    assert data["crime_data_to"] == day.isoformat()
    html = page.content.decode()
    assert (f"Crime data to {day.day} {day:%b %Y}: the last {sum(blank)} weeks have no full "
            "crime figures yet and are left blank, not counted as none.") in html


def test_the_neighbourhood_summary_compares_years_that_end_where_the_data_end(
        api, users, areas, make_hotspot):  # noqa: F811
    """Counted to today, a force whose crime data ended two months ago read as -100%."""
    end = timezone.now() - timedelta(days=60)
    c = areas[CAMDEN].geom.point_on_surface
    whens = [end - timedelta(days=d) for d in (1, 30, 200)] + \
        [end - timedelta(days=d) for d in (400, 500, 720)]
    for i, when in enumerate(whens):
        _burglary(f"n{i}", when, c, areas[CAMDEN])
    from reports.selectors import neighbourhood_summary

    rows = {r["area"]: r for r in neighbourhood_summary(user=users["supervisor"])}
    camden = rows[areas[CAMDEN].name]
    assert (camden["crimes"], camden["crimes_year_before"], camden["change"]) == (3, 3, 0)
    day = timezone.localtime(whens[0]).date()
    assert camden["crime_data_to"] == day
    html = api(users["supervisor"]).get(reverse("neighbourhoods")).content.decode()
    assert f"crime data to {day.day} {day:%b %Y}" in html
    csv_text = api(users["supervisor"]).get(reverse("neighbourhoods"), {"format": "csv"}
                                            ).content.decode()
    assert f"{areas[CAMDEN].name},0,3,3,0,{day.isoformat()}" in csv_text

    # Data that begin inside the year before: no count to compare with, and the page says so.
    Crime.objects.filter(reference="n5").delete()
    camden = {r["area"]: r for r in neighbourhood_summary(user=users["supervisor"])}[
        areas[CAMDEN].name]
    assert (camden["crimes"], camden["crimes_year_before"], camden["change"]) == (3, None, None)
    first = timezone.localtime(whens[4]).date()
    assert camden["crime_data_from"] == first
    html = api(users["supervisor"]).get(reverse("neighbourhoods")).content.decode()
    assert (f"The crime data begin on {first.day} {first:%b %Y}: there is no full year "
            "before to compare with, so no change is shown.") in html
    csv_text = api(users["supervisor"]).get(reverse("neighbourhoods"), {"format": "csv"}
                                            ).content.decode()
    assert f"{areas[CAMDEN].name},0,3,,,{day.isoformat()}" in csv_text


def test_a_neighbourhoods_dashboard_uses_the_run_above_it_and_offers_its_own_hot_spots(
        api, users, areas, make_hotspot):  # noqa: F811
    """A review found Camden's concentration chart empty (runs are per BCU) and Islington's
    hot spots offered in Camden's picker."""
    from hotspots.models import HotspotRun
    from tests.conftest import ISLINGTON

    camden_spot = make_hotspot([1.0] * 168)
    islington_spot = make_hotspot([1.0] * 168, borough=ISLINGTON)
    client = api(users["analyst"])
    page = client.get(reverse("dashboard"), {"area": areas[CAMDEN].pk})
    html = page.content.decode()
    assert f'value="{camden_spot.pk}"' in html and f'value="{islington_spot.pk}"' not in html
    # make_hotspot's run is Central North's (done, with no cell layer): Camden's chart
    # comes from it and says so.
    assert _data(page)["lorenz_area"] == "Central North"
    assert 'data-testid="lorenz-area">Central North</span>' in html
    assert "No hot spot run has finished" not in html
    HotspotRun.objects.filter(area=areas["CN"]).update(status="failed")
    page = client.get(reverse("dashboard"), {"area": areas[CAMDEN].pk})
    assert (_data(page)["lorenz_area"], _data(page)["lorenz"]) == (None, [])
    assert ("No hot spot run has finished for this area or any area above it yet."
            in page.content.decode())


def test_weeks_before_the_crime_data_begin_are_blank_too(api, users, areas,
                                                         make_hotspot):  # noqa: F811
    """A review charted the weeks before the data begin as 0, and the week they begin in
    as a low week."""
    spot = make_hotspot([1.0] * 168)
    c = spot.geom.centroid
    now = timezone.now()
    first = now - timedelta(days=30)
    for i in range(5):  # weekly from 30 days ago to 2 days ago
        when = first + timedelta(days=7 * i)
        _burglary(f"s{i}", when, c, areas[CAMDEN])
    page = api(users["supervisor"]).get(reverse("dashboard"), {"area": areas[CAMDEN].pk,
                                                               "weeks": "8"})
    data = _data(page)
    end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    starts = [end - timedelta(days=7 * (8 - k)) for k in range(8)]
    grace = timedelta(hours=36)
    last = first + timedelta(days=28)
    known = [min(lo + timedelta(days=7), end) - grace <= last and first <= lo + grace
             for lo in starts]
    assert [n is not None for n in data["crimes"]] == known
    before = known.index(True)
    assert before >= 3 and data["crime_weeks_before_data"] == before
    day = timezone.localtime(first)
    assert (f"The first {before} weeks come before the crime data begin "
            f"({day.day} {day:%b %Y}) and are left blank too.") in page.content.decode()
