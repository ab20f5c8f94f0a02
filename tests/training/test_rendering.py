"""Lessons are rendered safe, with only the module's own pictures and the reader's figures."""

from datetime import UTC, datetime

import pytest

from hotspots.models import HotspotRun
from training.rendering import render_lesson

pytestmark = pytest.mark.django_db


def test_markup_that_could_run_is_removed(users):
    html = render_lesson(
        "Hello <script>alert(1)</script> [x](javascript:alert(1)) "
        "<img src=x onerror=alert(1)> [ok](https://www.college.police.uk/)",
        image_ids=set(), user=users["officer"])
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert '<a href="https://www.college.police.uk/" rel="noopener noreferrer">ok</a>' in html


def test_only_the_modules_own_pictures_are_shown(users):
    html = render_lesson("![a map](image:7) ![other](image:8)", image_ids={7},
                         user=users["officer"])
    assert '<img alt="a map" src="/learn/images/7/">' in html
    assert 'src="/learn/images/8/"' not in html


def test_a_figure_speaks_of_the_readers_area_and_says_when(users, areas):
    run = HotspotRun.objects.create(
        area=areas["CN"], trigger="command", status="done",
        window_start=datetime(2024, 3, 1, tzinfo=UTC), window_end=datetime(2025, 3, 1, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 3, tzinfo=UTC), metrics={"top_5_percent": 0.4612})
    assert run.area.name == "Central North"
    html = render_lesson("Where you work:\n\n[[figure:concentration]]\n\nMore.",
                         image_ids=set(), user=users["officer"])
    assert ('<p class="local-figure" data-figure="concentration">In Central North, 5% of '
            'places hold 46% of crime harm. <span class="text-secondary small">(computed '
            '1 Dec 2026)</span></p>') in html
    none = render_lesson("[[figure:hotspots]]", image_ids=set(), user=users["officer"])
    assert "Camden has no approved hot spots yet." in none
    unknown = render_lesson("[[figure:nonsense]]", image_ids=set(), user=users["officer"])
    assert "(No figure called &#x27;nonsense&#x27;: the figures are concentration, " \
        "hotspots, last_trial, peak_hours.)" in unknown
