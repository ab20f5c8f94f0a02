"""Who may do what: every route of the site (API operations and pages) x every method it
answers x every role, against objects in the caller's area and in another area, or made by
the caller and by someone else. Issue 7, "Access".

Each request runs in a transaction that is rolled back, so a permitted write does not change
what the next role sees; a refused one (401, 403, 404, 405, or a page's redirect to sign in)
must also leave every table of the application as it was. A route added without a row here
fails test_every_route_is_in_the_matrix."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import WEEK, build_world, fingerprint
from tests.tasking.conftest import capacity_body

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "officer", "supervisor", "analyst", "admin", "auditor", "norole")
REFUSED = {401, 403, 404, 405}

# Which stored object each id-taking route is called with: (kwarg, kind, places).
TARGETS: dict[str, list[tuple[str, dict[str, tuple[str, str]]]]] = {}


def _targets(kind: str, places: tuple[str, ...], extra: dict[str, str] | None = None):
    return [(place, {"pk": (kind, place), **{k: (v, place) for k, v in (extra or {}).items()}})
            for place in places]


AREAS = ("camden", "islington")
BY_WHOM = ("supervisor", "analyst")
TARGETS.update({
    "api-offence-type": _targets("offence_type", ("any",)),
    "api-import": _targets("import", ("analyst", "admin")),
    "import-detail": _targets("import", ("analyst", "admin")),
    "api-hotspot-review": _targets("hotspot", AREAS),
    "api-hotspot-name": _targets("hotspot", AREAS),
    "api-exclusion": _targets("exclusion", AREAS),
    "exclusion-change": _targets("exclusion", AREAS),
    "api-problem-solving": _targets("hotspot", AREAS),
    "problem-solving": _targets("hotspot", AREAS),
    "api-run": _targets("run", AREAS),
    "api-run-cells": _targets("run", AREAS),
    "api-run-cells-gpkg": _targets("run", AREAS),
    "api-run-cells-geojson": _targets("run", AREAS),
    "api-shift-capacity": _targets("shift", AREAS),
    "api-plan": _targets("plan", AREAS),
    "api-plan-publish": _targets("plan", AREAS),
    "api-plan-map": _targets("plan", AREAS),
    "api-plan-tasks": _targets("plan", AREAS),
    "plan-detail": _targets("plan", AREAS),
    "briefing": _targets("plan", AREAS, {"shift_id": "shift"}),
    "briefing-pdf": _targets("plan", AREAS, {"shift_id": "shift"}),
    "api-task": _targets("task", AREAS),
    "api-device": _targets("device", AREAS),
    "api-device-track": _targets("device", AREAS),
    "api-trial": _targets("trial", AREAS),
    "api-trial-start": _targets("trial", AREAS),
    "api-trial-outcome": _targets("trial", AREAS),
    "trial-detail": _targets("trial", AREAS),
    "api-export": _targets("export", BY_WHOM),
    "api-export-download": _targets("export", BY_WHOM),
    "export-download": _targets("export", BY_WHOM),
    "api-my-token": [("officer", {"key": ("token", "officer")})],
    "api-user-tokens": _targets("user", AREAS),
    "api-training-module": _targets("module", ("any",)),
    "learn-module": [("any", {"slug": ("module_slug", "any")})],
    "learn-edit": [("any", {"slug": ("module_slug", "any")})],
    "training-image": _targets("image", ("any",)),
    "hotspot-observations": _targets("hotspot", AREAS),
    "notice-open": _targets("notice", ("officer",)),
    "alarm-acknowledge": _targets("alarm", ("camden",)),
    # A street tile over Camden Town (zoom 16): streets are no one's personal data, but
    # still only for signed-in users with a role.
    "street-tile": [("camden", {"z": ("tile", "z"), "x": ("tile", "x"), "y": ("tile", "y")})],
})

# Page forms that act on what their fields name: each is also sent with a real body, so the
# matrix covers the action and not only the empty form. {area} and friends come from the
# world; the row's target is "<place>+<label>".
def _forms(w: Any) -> dict[tuple[str, str], dict[str, Any]]:
    camden, team = w.ids["area"]["camden"], w.ids["team"]["camden"]
    shift, week = w.ids["shift"]["camden"], WEEK.isoformat()
    return {
        ("shifts", "capacity"): capacity_body({(shift, team): "75"}, action="capacity",
                                              area=camden, week=week),
        ("shifts", "pattern"): {"action": "pattern", "area": camden, "name": "Early",
                                "start": "07:00", "hours": "8", "days": ["mon"]},
        ("offence-types", "weight"): {"id": w.ids["offence_type"]["any"],
                                      "harm_weight": "412.5", "include_in_targeting": "on"},
        ("hotspot-run-now", "area"): {"area": camden},
        ("plan-list", "area"): {"area": camden, "week": (WEEK + timedelta(days=7)).isoformat()},
        ("trial-list", "area"): {"area": camden, "name": "t", "design": "parallel",
                                 "lengths": "10", "control": "1",
                                 "start": (WEEK + timedelta(days=35)).isoformat(),
                                 "end": (WEEK + timedelta(days=48)).isoformat()},
        ("problem-solving", "notes"): {"version": w.ids["ps_version"]["camden"],
                                       "scanning": "Repeat burglary, rear gardens"},
        ("hotspot-observations", "mark"): {"visit": w.ids["visit"]["camden"],
                                           "comment": "Reported to the council"},
        ("learn-module", "answers"): {"id": "6f1c1d7e-0000-4000-8000-000000000001",
                                      "version": "1", "q0": "0"},
        ("learn-edit", "save"): {"title": "World", "pass_mark": "75",
                                 "refresher_months": "12", "roles": ["officer"],
                                 "body": "# Lesson: One\nText.\n\n# Check\n## Q: Right?\n"
                                         "- [x] Yes\n- [ ] No\n"},
    }


# (route, method, target) -> status for officer, supervisor, analyst, admin, auditor, norole.
# Anonymous callers get 401 from the API and a redirect to sign in (302) from pages, except
# where the route is public (sign-in, the service worker and the manifest).
MATRIX: dict[tuple[str, str, str], tuple[int, ...]] = {
    #                                        officer supervisor analyst admin auditor norole
    ('admin:index', 'get', '-'): (302, 302, 302, 302, 302, 302),
    ('admin:index', 'post', '-'): (302, 302, 302, 302, 302, 302),
    ('api-areas', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('api-audit', 'get', '-'): (403, 403, 403, 200, 200, 403),
    ('api-compliance', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-crimes', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-device', 'patch', 'camden'): (403, 400, 403, 400, 403, 403),
    ('api-device', 'patch', 'islington'): (403, 404, 403, 400, 403, 403),
    ('api-device-track', 'get', 'camden'): (403, 200, 403, 200, 403, 403),
    ('api-device-track', 'get', 'islington'): (403, 404, 403, 200, 403, 403),
    ('api-devices', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-devices', 'post', '-'): (403, 400, 403, 400, 403, 403),
    ('api-docs', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('api-dosage', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-exclusions', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-exclusions', 'post', '-'): (403, 403, 400, 400, 403, 403),
    ('api-export', 'get', 'analyst'): (403, 404, 200, 404, 403, 403),
    ('api-export', 'get', 'supervisor'): (403, 200, 404, 404, 403, 403),
    ('api-export-download', 'get', 'analyst'): (403, 404, 200, 404, 403, 403),
    ('api-export-download', 'get', 'supervisor'): (403, 200, 404, 404, 403, 403),
    ('api-exports', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-exports', 'post', '-'): (403, 400, 400, 400, 403, 403),
    ('api-hotspot-review', 'post', 'camden'): (403, 403, 400, 400, 403, 403),
    ('api-hotspot-review', 'post', 'islington'): (403, 403, 400, 400, 403, 403),
    # Naming a hot spot is the analyst's, as reviewing it is (an empty body is a 400).
    ('api-hotspot-name', 'put', 'camden'): (403, 403, 400, 400, 403, 403),
    ('api-hotspot-name', 'put', 'islington'): (403, 403, 400, 400, 403, 403),
    ('api-hotspots', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-crime-density', 'get', '-'): (403, 200, 200, 200, 403, 403),
    # Analysts and admins change and remove exclusion areas; an empty change is a 400.
    ('api-exclusion', 'patch', 'camden'): (403, 403, 400, 400, 403, 403),
    ('api-exclusion', 'patch', 'islington'): (403, 403, 400, 400, 403, 403),
    ('api-exclusion', 'delete', 'camden'): (403, 403, 204, 204, 403, 403),
    ('api-exclusion', 'delete', 'islington'): (403, 403, 204, 204, 403, 403),
    # The hot spot map's exclusion forms: a supervisor may see them but not change them
    # (403); in another area, not even see (404). An empty save is refused back to the map.
    ('exclusion-change', 'get', 'camden'): (403, 405, 405, 405, 403, 403),
    ('exclusion-change', 'get', 'islington'): (403, 405, 405, 405, 403, 403),
    ('exclusion-change', 'post', 'camden'): (403, 403, 302, 302, 403, 403),
    ('exclusion-change', 'post', 'islington'): (403, 404, 302, 302, 403, 403),
    ('api-import', 'get', 'admin'): (403, 403, 200, 200, 403, 403),
    ('api-import', 'get', 'analyst'): (403, 403, 200, 200, 403, 403),
    ('api-imports', 'get', '-'): (403, 403, 200, 200, 403, 403),
    ('api-imports', 'post', '-'): (403, 403, 415, 415, 403, 403),
    ('api-live', 'get', '-'): (403, 200, 403, 200, 403, 403),
    ('api-me', 'get', '-'): (200, 200, 200, 200, 200, 200),
    # Everyone signed in lists and revokes their own API tokens, and only their own.
    ('api-my-tokens', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('api-my-tokens', 'delete', '-'): (200, 200, 200, 200, 200, 200),
    ('api-my-token', 'delete', 'officer'): (200, 404, 404, 404, 404, 404),
    ('api-my-tasks', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('api-offence-type', 'get', 'any'): (403, 200, 200, 200, 403, 403),
    ('api-offence-type', 'put', 'any'): (403, 403, 400, 400, 403, 403),
    ('api-offence-types', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-pings', 'post', '-'): (401, 401, 401, 401, 401, 401),
    ('api-plan', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('api-plan', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('api-plan-map', 'get', 'camden'): (403, 400, 400, 400, 403, 403),
    ('api-plan-map', 'get', 'islington'): (403, 404, 400, 400, 403, 403),
    ('api-plan-publish', 'post', 'camden'): (403, 400, 403, 400, 403, 403),
    ('api-plan-publish', 'post', 'islington'): (403, 404, 403, 400, 403, 403),
    ('api-plan-tasks', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('api-plan-tasks', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('api-plan-tasks', 'post', 'camden'): (403, 400, 403, 400, 403, 403),
    ('api-plan-tasks', 'post', 'islington'): (403, 404, 403, 400, 403, 403),
    ('api-plans', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-plans', 'post', '-'): (403, 400, 403, 400, 403, 403),
    ('api-problem-solving', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('api-problem-solving', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('api-problem-solving', 'put', 'camden'): (403, 409, 409, 409, 403, 403),
    ('api-problem-solving', 'put', 'islington'): (403, 404, 409, 409, 403, 403),
    ('api-run', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('api-run', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('api-run-cells', 'get', 'camden'): (403, 409, 409, 409, 403, 403),
    ('api-run-cells', 'get', 'islington'): (403, 404, 409, 409, 403, 403),
    ('api-run-cells-geojson', 'get', 'camden'): (403, 409, 409, 409, 403, 403),
    ('api-run-cells-geojson', 'get', 'islington'): (403, 404, 409, 409, 403, 403),
    ('api-run-cells-gpkg', 'get', 'camden'): (403, 409, 409, 409, 403, 403),
    ('api-run-cells-gpkg', 'get', 'islington'): (403, 404, 409, 409, 403, 403),
    ('api-runs', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-runs', 'post', '-'): (403, 403, 400, 400, 403, 403),
    ('api-schema', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('api-shift-capacity', 'put', 'camden'): (403, 400, 403, 400, 403, 403),
    ('api-shift-capacity', 'put', 'islington'): (403, 404, 403, 400, 403, 403),
    ('api-shift-patterns', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-shift-patterns', 'post', '-'): (403, 400, 403, 400, 403, 403),
    ('api-shifts', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-task', 'delete', 'camden'): (403, 400, 403, 400, 403, 403),
    ('api-task', 'delete', 'islington'): (403, 404, 403, 400, 403, 403),
    ('api-task', 'patch', 'camden'): (403, 400, 403, 400, 403, 403),
    ('api-task', 'patch', 'islington'): (403, 404, 403, 400, 403, 403),
    ('api-teams', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('api-token', 'post', '-'): (400, 400, 400, 400, 400, 400),
    ('api-trial', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('api-trial', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('api-trial-outcome', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('api-trial-outcome', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('api-trial-start', 'post', 'camden'): (403, 403, 200, 200, 403, 403),
    ('api-trial-start', 'post', 'islington'): (403, 403, 200, 200, 403, 403),
    ('api-trials', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('api-user-tokens', 'delete', 'camden'): (403, 403, 403, 200, 403, 403),
    ('api-user-tokens', 'delete', 'islington'): (403, 403, 403, 200, 403, 403),
    ('api-trials', 'post', '-'): (403, 403, 400, 400, 403, 403),
    ('api-visits', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('api-visits', 'post', '-'): (400, 403, 403, 403, 403, 403),
    ('audit', 'get', '-'): (403, 403, 403, 200, 200, 403),
    ('audit', 'post', '-'): (403, 403, 403, 405, 405, 403),
    ('briefing', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('briefing', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('briefing', 'post', 'camden'): (403, 405, 405, 405, 403, 403),
    ('briefing', 'post', 'islington'): (403, 405, 405, 405, 403, 403),
    ('briefing-pdf', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('briefing-pdf', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('briefing-pdf', 'post', 'camden'): (403, 405, 405, 405, 403, 403),
    ('briefing-pdf', 'post', 'islington'): (403, 405, 405, 405, 403, 403),
    ('dashboard', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('dashboard', 'post', '-'): (403, 405, 405, 405, 403, 403),
    ('dosage', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('dosage', 'post', '-'): (403, 405, 405, 405, 403, 403),
    ('export-download', 'get', 'analyst'): (403, 404, 200, 404, 403, 403),
    ('export-download', 'get', 'supervisor'): (403, 200, 404, 404, 403, 403),
    ('export-download', 'post', 'analyst'): (403, 405, 405, 405, 403, 403),
    ('export-download', 'post', 'supervisor'): (403, 405, 405, 405, 403, 403),
    ('funding-return', 'get', '-'): (403, 404, 404, 404, 403, 403),
    ('funding-return', 'post', '-'): (403, 405, 405, 405, 403, 403),
    ('home', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('home', 'post', '-'): (405, 405, 405, 405, 405, 405),
    ('hotspot-map', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('hotspot-map', 'post', '-'): (403, 405, 405, 405, 403, 403),
    ('hotspot-run-now', 'get', '-'): (403, 403, 405, 405, 403, 403),
    ('hotspot-run-now', 'post', '-'): (403, 403, 404, 404, 403, 403),
    ('import-detail', 'get', 'admin'): (403, 403, 200, 200, 403, 403),
    ('import-detail', 'get', 'analyst'): (403, 403, 200, 200, 403, 403),
    ('import-detail', 'post', 'admin'): (403, 403, 405, 405, 403, 403),
    ('import-detail', 'post', 'analyst'): (403, 403, 405, 405, 403, 403),
    ('import-list', 'get', '-'): (403, 403, 200, 200, 403, 403),
    ('import-list', 'post', '-'): (403, 403, 400, 400, 403, 403),
    ('live', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('live', 'post', '-'): (403, 405, 405, 405, 403, 403),
    ('login', 'get', '-'): (302, 302, 302, 302, 302, 302),
    ('login', 'post', '-'): (302, 302, 302, 302, 302, 302),
    ('login', 'put', '-'): (302, 302, 302, 302, 302, 302),
    ('logout', 'get', '-'): (405, 405, 405, 405, 405, 405),
    ('logout', 'post', '-'): (302, 302, 302, 302, 302, 302),
    ('street-tile', 'get', 'camden'): (200, 200, 200, 200, 200, 403),
    ('street-tile', 'post', 'camden'): (405, 405, 405, 405, 405, 403),
    ('my-visits', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('my-visits', 'post', '-'): (405, 405, 405, 405, 403, 403),
    ('neighbourhoods', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('neighbourhoods', 'post', '-'): (403, 405, 405, 405, 403, 403),
    ('offence-types', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('offence-types', 'post', '-'): (403, 403, 404, 404, 403, 403),
    ('patrol', 'get', '-'): (200, 403, 403, 403, 403, 403),
    ('patrol', 'post', '-'): (405, 403, 403, 403, 403, 403),
    ('patrol-manifest', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('patrol-manifest', 'post', '-'): (405, 405, 405, 405, 405, 405),
    ('patrol-sw', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('patrol-sw', 'post', '-'): (405, 405, 405, 405, 405, 405),
    ('plan-detail', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('plan-detail', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('plan-detail', 'post', 'camden'): (403, 405, 405, 405, 403, 403),
    ('plan-detail', 'post', 'islington'): (403, 405, 405, 405, 403, 403),
    ('plan-list', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('plan-list', 'post', '-'): (403, 404, 403, 404, 403, 403),
    ('problem-solving', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('problem-solving', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('problem-solving', 'post', 'camden'): (403, 409, 409, 409, 403, 403),
    ('problem-solving', 'post', 'islington'): (403, 404, 409, 409, 403, 403),
    ('reports', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('reports', 'post', '-'): (403, 400, 400, 400, 403, 403),
    ('second-factor', 'get', '-'): (302, 302, 302, 302, 302, 302),
    ('second-factor', 'post', '-'): (302, 302, 302, 302, 302, 302),
    ('shifts', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('shifts', 'post', '-'): (403, 302, 302, 302, 403, 403),
    ('trial-detail', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('trial-detail', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('trial-detail', 'post', 'camden'): (403, 403, 302, 302, 403, 403),
    ('trial-detail', 'post', 'islington'): (403, 404, 302, 302, 403, 403),
    ('trial-list', 'get', '-'): (403, 200, 200, 200, 403, 403),
    ('trial-list', 'post', '-'): (403, 403, 404, 404, 403, 403),
    # Training (issue 19): everyone who patrols or tasks learns; analysts and admins write
    # modules; supervisors and admins see the matrix; observations are marked by those who
    # solve problems. Modules are the force's, not an area's ("any").
    ('api-training-completions', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('api-training-completions', 'post', '-'): (400, 400, 400, 400, 403, 403),
    ('api-training-matrix', 'get', '-'): (403, 200, 403, 200, 403, 403),
    ('api-training-module', 'get', 'any'): (200, 200, 200, 200, 403, 403),
    ('api-training-modules', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('api-training-progress', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('hotspot-observations', 'get', 'camden'): (403, 200, 200, 200, 403, 403),
    ('hotspot-observations', 'get', 'islington'): (403, 404, 200, 200, 403, 403),
    ('hotspot-observations', 'post', 'camden'): (403, 404, 404, 404, 403, 403),
    ('hotspot-observations', 'post', 'islington'): (403, 404, 404, 404, 403, 403),
    ('learn', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('learn', 'post', '-'): (405, 405, 405, 405, 403, 403),
    ('learn-edit', 'get', 'any'): (403, 403, 200, 200, 403, 403),
    ('learn-edit', 'post', 'any'): (403, 403, 400, 400, 403, 403),
    ('learn-manage', 'get', '-'): (403, 403, 200, 200, 403, 403),
    ('learn-manage', 'post', '-'): (403, 403, 405, 405, 403, 403),
    ('learn-module', 'get', 'any'): (200, 200, 200, 200, 403, 403),
    ('learn-module', 'post', 'any'): (400, 400, 400, 400, 403, 403),
    ('learn-new', 'get', '-'): (403, 403, 200, 200, 403, 403),
    ('learn-new', 'post', '-'): (403, 403, 400, 400, 403, 403),
    ('learn-sw', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('learn-sw', 'post', '-'): (405, 405, 405, 405, 405, 405),
    ('my-patrols', 'get', '-'): (200, 200, 200, 200, 403, 403),
    ('my-patrols', 'post', '-'): (405, 405, 405, 405, 403, 403),
    ('training-image', 'get', 'any'): (200, 200, 200, 200, 403, 403),
    ('training-image', 'post', 'any'): (405, 405, 405, 405, 403, 403),
    ('training-matrix', 'get', '-'): (403, 200, 403, 200, 403, 403),
    ('training-matrix', 'post', '-'): (403, 405, 403, 405, 403, 403),
    # Alarms (issue 20): an officer's arrival clears one (an empty body is a 400);
    # supervisors and admins acknowledge them.
    ('api-arrivals', 'post', '-'): (400, 403, 403, 403, 403, 403),
    ('alarm-acknowledge', 'get', 'camden'): (403, 405, 403, 405, 403, 403),
    ('alarm-acknowledge', 'post', 'camden'): (403, 404, 403, 404, 403, 403),
    # Notices (issue 20): each person's own, whatever their role.
    ('notices', 'get', '-'): (200, 200, 200, 200, 200, 200),
    ('notices', 'post', '-'): (302, 302, 302, 302, 302, 302),
    ('notice-open', 'get', 'officer'): (405, 405, 405, 405, 405, 405),
    ('notice-open', 'post', 'officer'): (302, 404, 404, 404, 404, 404),
    # The page forms sent with a real body (_forms):
    ('hotspot-run-now', 'post', '-+area'): (403, 403, 302, 302, 403, 403),
    ('offence-types', 'post', '-+weight'): (403, 403, 302, 302, 403, 403),
    ('plan-list', 'post', '-+area'): (403, 302, 403, 302, 403, 403),
    ('problem-solving', 'post', 'camden+notes'): (403, 302, 302, 302, 403, 403),
    ('shifts', 'post', '-+capacity'): (403, 302, 403, 302, 403, 403),
    ('shifts', 'post', '-+pattern'): (403, 302, 403, 302, 403, 403),
    ('trial-list', 'post', '-+area'): (403, 403, 302, 302, 403, 403),
    ('hotspot-observations', 'post', 'camden+mark'): (403, 302, 302, 302, 403, 403),
    ('learn-edit', 'post', 'any+save'): (403, 403, 302, 302, 403, 403),
    ('learn-module', 'post', 'any+answers'): (302, 302, 302, 302, 403, 403),
}
PUBLIC: dict[tuple[str, str, str], int] = {
    ('api-token', 'post', '-'): 400,
    ('login', 'get', '-'): 200,
    ('login', 'post', '-'): 200,
    ('login', 'put', '-'): 200,
    ('logout', 'get', '-'): 405,
    ('patrol-manifest', 'get', '-'): 200,
    ('patrol-manifest', 'post', '-'): 405,
    ('patrol-sw', 'get', '-'): 200,
    ('patrol-sw', 'post', '-'): 405,
    ('learn-sw', 'get', '-'): 200,
    ('learn-sw', 'post', '-'): 405,
}


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            namespace = f"{p.namespace}:" if p.namespace else prefix
            if p.namespace == "admin":
                found.append(("admin:index", None))  # Django's own admin: its front door
                continue
            found.extend(_walk(p.url_patterns, namespace))
        elif isinstance(p, URLPattern) and p.name:
            found.append((f"{prefix}{p.name}", p.callback))
    return found


def _methods(callback: Any) -> list[str]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:  # a function view: its methods are what it answers; 405 is recorded
        return ["get", "post"]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]


ROUTES = {name: callback for name, callback in _walk(get_resolver().url_patterns)}


def _call(client: Any, method: str, url: str, api: bool, form: dict[str, Any] | None) -> Any:
    if form is not None:
        return client.post(url, data=form)
    if method in ("post", "put", "patch") and api:
        return getattr(client, method)(url, data={}, content_type="application/json")
    return getattr(client, method)(url)


def _row(client: Any, users: dict[str, Any], method: str, url: str, api: bool,
         form: dict[str, Any] | None) -> list[int]:
    """One request per role, each in a transaction rolled back afterwards; a refusal must
    leave every table as it was."""
    row = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        before = fingerprint()
        with transaction.atomic():
            response = _call(client, method, url, api, form)
            status = response.status_code
            refused = status in REFUSED or (
                status == 302 and response["Location"].startswith("/login/"))
            if refused:
                assert fingerprint() == before, f"{role} {method} {url} changed data"
            transaction.set_rollback(True)
        row.append(status)
    return row


def test_every_route_is_in_the_matrix():
    named = {key[0] for key in MATRIX} | {key[0] for key in PUBLIC}
    assert set(ROUTES) - named == set(), "routes with no row in the access matrix"
    assert named - set(ROUTES) == set(), "rows for routes that no longer exist"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_access(client, users, areas, name):
    world = build_world(users, areas)
    api = name.startswith("api-")
    observed: dict[tuple[str, str, str], list[int]] = {}
    for method in _methods(ROUTES[name]):
        for place, spec in TARGETS.get(name, [("-", {})]):
            kwargs = {k: world.ids[kind][where] for k, (kind, where) in spec.items()}
            kwargs = {k: getattr(v, "pk", v) for k, v in kwargs.items()}
            url = reverse(name, kwargs=kwargs)
            observed[(name, method, place)] = _row(client, users, method, url, api, None)
        if method != "post":
            continue
        for (form_route, label), body in _forms(world).items():
            if form_route != name:
                continue
            place, spec = TARGETS.get(name, [("-", {})])[0]
            kwargs = {k: getattr(world.ids[kind][where], "pk", world.ids[kind][where])
                      for k, (kind, where) in spec.items()}
            observed[(name, method, f"{place}+{label}")] = _row(
                client, users, "post", reverse(name, kwargs=kwargs), False, body)
    mismatches = []
    for key, row in observed.items():
        anonymous, rest = row[0], tuple(row[1:])
        expected_anonymous = PUBLIC.get(key, 401 if api else 302)
        if MATRIX.get(key) != rest or anonymous != expected_anonymous:
            mismatches.append(f"    {key!r}: {rest!r},  # anonymous {anonymous}")
    assert not mismatches, "observed:\n" + "\n".join(mismatches)
