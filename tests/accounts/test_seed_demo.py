import pytest
from django.core.management import call_command

from accounts.models import Area, Team, User
from accounts.roles import user_role
from hotspots.models import Crime

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_the_force_and_is_safe_to_run_again(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "demo crimes: read 4,052, inserted 4,052, duplicate 0, rejected 0" in out
    assert "password for all: hotspots-demo-2026" in out
    assert "add the demo key to an app: CHFA3QFXC4THRKIBGC67EMKVW7MXMO3T" in out
    # 108 significant cells since a cell's own count must be above chance too (issue 16's
    # review: 265 before, most of them quiet cells beside busy ones).
    assert "demo hot spots: 30 selected of 108 significant cells (done)" in out

    assert Crime.objects.count() == 4_052
    assert Crime.objects.filter(area__isnull=True).count() == 0
    assert sorted(Area.objects.values_list("code", "level")) == [
        ("CN", 2), ("E09000007", 3), ("E09000019", 3), ("MET-DEMO", 1)]
    assert Team.objects.count() == 4
    assert {u.username: user_role(u) for u in User.objects.all()} == {
        "officer": "officer", "pcso": "officer", "supervisor": "supervisor",
        "analyst": "analyst", "admin": "admin", "auditor": "auditor"}
    # Every demo crime has a committed-between window inside its police.uk month.
    assert not Crime.objects.filter(occurred_to__lt=models_F("occurred_from")).exists()
    windows = {(c.occurred_to - c.occurred_from).total_seconds() <= 31 * 86400
               for c in Crime.objects.all()[:500]}
    assert windows == {True}

    from hotspots.models import Hotspot

    assert Hotspot.objects.count() == 30
    # Staff demo logins share the published key; demo_code prints a code each device takes.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert sorted(TOTPDevice.objects.filter(confirmed=True).values_list(
        "user__username", flat=True)) == ["admin", "analyst", "auditor", "supervisor"]
    call_command("demo_code")
    code = capsys.readouterr().out.split()[0]
    assert TOTPDevice.objects.get(user__username="supervisor").verify_token(code)
    assert not TOTPDevice.objects.get(user__username="supervisor").verify_token(code)  # once
    call_command("seed_demo")
    again = capsys.readouterr().out
    assert "demo crimes: read 4,052, inserted 0, duplicate 4,052, rejected 0" in again
    assert "demo hot spots: 30 selected of 108 significant cells (done)" in again
    assert Hotspot.objects.count() == 30  # the same places, the same hot spots
    assert Crime.objects.count() == 4_052
    assert User.objects.count() == 6


def test_the_demo_data_end_about_two_months_before_the_day_it_is_seeded():
    """Issue 18, item 19: the demo's crime ended in February 2025 whatever the day, so its
    dashboard showed a flat zero and its summary "-100%". It is moved forward by whole
    weeks to end about two months (police.uk's delay) before the day of the seed."""
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.db.models import Max
    from django.utils import timezone

    from demo.force import REAL_DATA_END, demo_shift
    from hotspots.models import HotspotRun

    assert demo_shift(date(2026, 12, 7)) == timedelta(weeks=83)
    assert demo_shift(date(2025, 4, 1)) == timedelta(0)  # never backwards
    for day in (date(2027, 3, 28), date(2028, 2, 29), date(2030, 10, 27)):
        shift = demo_shift(day)
        assert shift.days % 7 == 0
        lag = datetime.combine(day, datetime.min.time()) - (REAL_DATA_END + shift)
        assert timedelta(days=61) <= lag < timedelta(days=68)
    call_command("seed_demo")
    shift = demo_shift(timezone.localdate())
    end = (REAL_DATA_END + shift).replace(tzinfo=ZoneInfo("Europe/London"))
    newest = Crime.objects.aggregate(m=Max("occurred_to"))["m"]
    assert end - timedelta(days=1) < newest <= end
    assert HotspotRun.objects.get().window_end == end


def test_uploading_the_real_police_uk_month_after_the_demo_adds_nothing():
    from demo.force import CRIME_ZIP
    from hotspots.services import crime_import_paths

    call_command("seed_demo")
    job = crime_import_paths(paths=[CRIME_ZIP], format="police_uk", source="police.uk")
    assert (job.rows_inserted, job.rows_duplicate) == (0, 4_052)


def models_F(name):
    from django.db.models import F

    return F(name)
