"""Server-rendered pages: who may open them, and what a refused or bad form leaves behind."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from hotspots.models import ImportJob, OffenceType
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

PAGES = {
    #                  officer supervisor analyst admin auditor norole
    "home":            (200, 200, 200, 200, 200, 200),
    "import-list":     (403, 403, 200, 200, 403, 403),
    "offence-types":   (403, 200, 200, 200, 403, 403),
    "hotspot-map":     (403, 200, 200, 200, 403, 403),
}
ROLES = ["officer", "supervisor", "analyst", "admin", "auditor", "norole"]


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_page_access(client, users, name, role):
    client.force_login(users[role])
    assert client.get(reverse(name)).status_code == PAGES[name][ROLES.index(role)]


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_send_anonymous_users_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_shows_the_crime_total_in_scope(client, users):
    from hotspots.services import crime_import_paths

    crime_import_paths(paths=[FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv"],
                       format="police_uk", source="police.uk")
    client.force_login(users["supervisor"])
    page = client.get(reverse("home")).content.decode()
    assert '<strong data-testid="crime-total">6</strong>' in page
    assert "Camden" in page and "Islington" not in page


def test_upload_form_queues_an_import(client, users):
    client.force_login(users["analyst"])
    upload = SimpleUploadedFile("march.csv", (FIXTURES / "policeuk" /
                                              "2024-03-metropolitan-street.csv").read_bytes())
    response = client.post(reverse("import-list"), {"file": upload, "format": "police_uk"})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import-detail", args=[job.pk])
    assert (job.status, job.source, job.created_by) == ("queued", "police.uk", users["analyst"])
    queued = AuditEvent.objects.filter(action="crime_import.queue", target_id=str(job.pk))
    assert queued.count() == 1


def test_upload_form_with_a_bad_mapping_explains_and_stores_nothing(client, users):
    client.force_login(users["analyst"])
    upload = SimpleUploadedFile("rms.csv", b"when,lon,lat\n2024-01-01,-0.1,51.5\n")
    response = client.post(reverse("import-list"), {
        "file": upload, "format": "generic", "date": "when", "lon": "lon", "lat": "lat"})
    assert response.status_code == 400
    assert "mapping: give a type column or a default_type" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_supervisor_cannot_post_an_upload(client, users):
    client.force_login(users["supervisor"])
    upload = SimpleUploadedFile("x.csv", b"a\n")
    assert client.post(reverse("import-list"), {"file": upload}).status_code == 403
    assert ImportJob.objects.count() == 0


def test_import_detail_fragment_for_htmx_polling(client, users):
    job = ImportJob.objects.create(format="police_uk", source="police.uk",
                                   original_name="x.csv", status="running",
                                   bytes_total=200, bytes_read=50, rows_read=1234)
    client.force_login(users["analyst"])
    fragment = client.get(reverse("import-detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert not text.lstrip().startswith("<!doctype")
    assert 'data-status="running"' in text and "1,234 rows read" in text and "25%" in text
    assert 'hx-trigger="every 1s"' in text
    assert "saving" not in text

    # Every byte read: the set-based insert runs, which reports no progress of its own.
    ImportJob.objects.filter(pk=job.pk).update(bytes_read=200, rows_read=1_000_000)
    text = client.get(reverse("import-detail", args=[job.pk]),
                      HTTP_HX_REQUEST="true").content.decode()
    assert "all 1,000,000 rows read; saving them" in text and "99%" in text
    assert 'hx-trigger="every 1s"' in text
    api = client.get(reverse("api-import", args=[job.pk])).json()
    assert (api["status"], api["phase"], api["progress_percent"]) == ("running", "saving", 99)

    # Stopped: no bar left at a red "99%", and the reason once (issue 18, item 18).
    ImportJob.objects.filter(pk=job.pk).update(status="failed",
                                               error="x.csv: not a police.uk street file")
    text = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert 'role="progressbar"' not in text and "99%" not in text
    assert text.count("x.csv: not a police.uk street file") == 1
    ImportJob.objects.filter(pk=job.pk).update(status="done", error="", rows_inserted=7)
    text = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert '<div class="progress-bar bg-success" style="width: 100%">100%</div>' in text


def test_analyst_changes_a_weight_on_the_page(client, users):
    robbery = OffenceType.objects.get(code="robbery")
    client.force_login(users["analyst"])
    response = client.post(reverse("offence-types"), {
        "id": robbery.pk, "harm_weight": "650", "include_in_targeting": "on",
        "weight_source": "Force analysis 2026"})
    assert response.status_code == 302
    robbery.refresh_from_db()
    assert (robbery.harm_weight, robbery.weight_source) == (650.0, "Force analysis 2026")


def test_supervisor_sees_weights_but_cannot_change_them(client, users):
    robbery = OffenceType.objects.get(code="robbery")
    client.force_login(users["supervisor"])
    page = client.get(reverse("offence-types")).content.decode()
    assert "disabled" in page and ">Save<" not in page
    response = client.post(reverse("offence-types"), {"id": robbery.pk, "harm_weight": "1"})
    assert response.status_code == 403
    robbery.refresh_from_db()
    assert robbery.harm_weight == 700.0


def test_bad_weight_on_the_page_is_400_and_nothing_changes(client, users):
    robbery = OffenceType.objects.get(code="robbery")
    client.force_login(users["analyst"])
    response = client.post(reverse("offence-types"), {"id": robbery.pk, "harm_weight": "-5"})
    assert response.status_code == 400
    assert "greater than or equal to 0" in response.content.decode()
    robbery.refresh_from_db()
    assert robbery.harm_weight == 700.0
    assert AuditEvent.objects.count() == 0


def test_compute_now_queues_a_run_for_the_chosen_area(client, users, areas,
                                                      django_capture_on_commit_callbacks):
    from django.utils.timezone import localtime

    from hotspots.models import HotspotRun

    client.force_login(users["analyst"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("hotspot-run-now"), {"area": areas["CN"].pk})
    run = HotspotRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('hotspot-map')}?run={run.pk}"
    assert (run.area, run.trigger, run.created_by) == (areas["CN"], "analyst", users["analyst"])
    assert len(callbacks) == 1
    page = client.get(response["Location"]).content.decode()
    assert f"Run {run.pk} is queued." in page and 'http-equiv="refresh"' in page
    # The run picker lists it while it computes (issue 18, item 18), selected.
    assert (f'<option value="{run.pk}" selected>{areas["CN"].name} · '
            f'{localtime(run.window_end):%-d %b %Y} · run {run.pk} · still computing</option>'
            ) in page


def test_supervisor_cannot_compute_now(client, users, areas):
    from hotspots.models import HotspotRun

    client.force_login(users["supervisor"])
    assert client.post(reverse("hotspot-run-now"), {"area": areas["CN"].pk}).status_code == 403
    assert HotspotRun.objects.count() == 0


def test_not_found_and_not_allowed_pages_keep_the_sites_layout(client, users):
    """Issue 18, item 17: 403 and 404 pages were bare text, with no way back."""
    client.force_login(users["officer"])
    missing = client.get("/no-such-page/")
    refused = client.get("/imports/")  # officers may not import
    assert (missing.status_code, refused.status_code) == (404, 403)
    for response, heading in ((missing, "Not found"), (refused, "Not allowed")):
        html = response.content.decode()
        assert f'<h1 class="h3">{heading}</h1>' in html
        assert 'data-testid="whoami"' in html and "Back to the overview" in html


def test_officers_menu_has_no_api_link_and_dosage_no_api_pointer(client, users):
    """Issue 18, items 6 and 13: officers were offered the API reference, and the Dosage
    page pointed supervisors at an API call."""
    api_link = '<a class="nav-link" href="/api/docs/">API</a>'
    client.force_login(users["officer"])
    assert api_link not in client.get("/").content.decode()
    client.force_login(users["supervisor"])
    assert api_link in client.get("/").content.decode()
    dosage = client.get("/dosage/").content.decode()
    assert "Every minute counted once" in dosage and "/api/v1/live/" not in dosage


@pytest.mark.parametrize(("who", "says", "not_said"), [
    ("auditor", "Open the audit log", "patrol tasks"),
    ("norole", "Your account has no role yet", "patrol tasks"),
    ("officer", "Open my patrol page", "audit log"),
])
def test_the_overview_speaks_to_each_role_without_crime(client, users, who, says, not_said):
    """The auditor's first page talked about patrol tasks (issue 18, item 18)."""
    client.force_login(users[who])
    page = client.get("/").content.decode()
    assert says in page and not_said not in page


def test_the_overview_counts_only_the_users_areas_and_maps_squares(client, users, areas):
    """Issue 18, item 14: after crimes outside every area were imported the overview said
    "51,266 records in your areas" while its table totalled 4,052, and its map sent 10,000
    points (4.4 MB). The total is the table's; those outside are said apart; the map is
    counts in squares from one bounded query, which add up to the same total."""
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from hotspots.models import Crime
    from hotspots.selectors import crime_density
    from hotspots.services import crime_import_paths

    crime_import_paths(paths=[FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv",
                              FIXTURES / "policeuk" / "2024-04-metropolitan-street.csv"],
                       format="police_uk", source="police.uk")
    burglary = OffenceType.objects.get(code="burglary")
    now = timezone.now()
    Crime.objects.bulk_create([Crime(source="test", reference=f"far-{i}", occurred_from=now,
                                     occurred_to=now, offence_type=burglary, area=None,
                                     location=Point(400000 + i, 100000, srid=27700))
                               for i in range(3)])
    # One of the fixture's Camden crimes recorded against Islington: not the supervisor's.
    Crime.objects.filter(pk=Crime.objects.filter(area__isnull=False).order_by("id")
                         .values("id")[:1]).update(area=areas["E09000019"])
    in_areas = Crime.objects.filter(area__isnull=False).count()
    client.force_login(users["analyst"])
    page = client.get(reverse("home")).content.decode()
    assert f'<strong data-testid="crime-total">{in_areas}</strong>' in page
    assert ('<span data-testid="crime-outside">3 more imported records lie outside every '
            'area') in page
    force_row = page.split('data-testid="area-table"')[1].split("</tr>")[1]
    assert f'<td class="num">{in_areas}</td>' in force_row

    density = client.get(reverse("api-crime-density")).json()
    assert density["crimes"] == in_areas == sum(n for _, _, n in density["cells"])
    assert density["shown"] == density["squares"] == len(density["cells"])
    assert all(-0.3 < lon < 0.0 and 51.4 < lat < 51.7 for lon, lat, _ in density["cells"])
    counts = [n for _, _, n in density["cells"]]
    assert counts == sorted(counts, reverse=True)
    # Bounded: the densest squares only, and the page says how many there were.
    top = crime_density(user=users["analyst"], limit=2)
    assert (top["shown"], top["squares"], top["cells"]) == (2, density["squares"],
                                                            density["cells"][:2])
    # The supervisor's squares hold only Camden's crimes.
    client.force_login(users["supervisor"])
    mine = client.get(reverse("api-crime-density")).json()
    camden = Crime.objects.filter(area__code="E09000007").count()
    assert mine["crimes"] == camden < in_areas
    assert "crime-outside" not in client.get(reverse("home")).content.decode()
