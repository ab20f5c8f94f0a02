"""Reads about areas and who may see what."""

import json
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ApiToken, Area, Team, User


def area_scope_ids(*, user: Any) -> list[int] | None:
    """Ids of the areas the user may see, or None when the user sees the whole force.

    A user with no area and no force-wide permission sees nothing, never everything.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser or user.has_perm("accounts.view_all_areas"):
        return None
    if user.area_id is None:
        return []
    home = Area.objects.only("path").get(pk=user.area_id)
    return list(Area.objects.filter(path__startswith=home.path).values_list("id", flat=True))


def area_scope_q(*, user: Any, field: str = "area") -> Q:
    """A filter limiting rows with an area foreign key (named `field`) to the user's scope."""
    ids = area_scope_ids(user=user)
    if ids is None:
        return Q()
    return Q(**{f"{field}__in": ids})


def areas_visible(*, user: Any) -> QuerySet[Area]:
    return Area.objects.filter(area_scope_q(user=user, field="id"))


def teams_visible(*, user: Any) -> QuerySet[Team]:
    return Team.objects.filter(area_scope_q(user=user)).select_related("area")


def area_outlines(*, area_ids: list[int]) -> dict[str, Any]:
    """The areas' boundaries as WGS84 GeoJSON, simplified to 10 m: drawn on every map, so
    a map with no tile server still shows where it is (issue 18, item 8). Small enough to
    embed in a page (a borough is a few kilobytes)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT id, name, level, ST_AsGeoJSON(ST_Transform(
                       ST_SimplifyPreserveTopology(geom, 10), 4326), 5)
            FROM accounts_area WHERE id = ANY(%s) ORDER BY level, id""", [area_ids])
        rows = cur.fetchall()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": pk, "name": name, "level": level},
         "geometry": json.loads(geom)} for pk, name, level, geom in rows]}


def area_subtree_ids(*, area: Area) -> list[int]:
    return list(Area.objects.filter(path__startswith=area.path).values_list("id", flat=True))


def users_visible(*, user: Any) -> QuerySet[User]:
    """People in the user's areas (the whole force for force-wide roles)."""
    return User.objects.filter(area_scope_q(user=user))


def tokens_of(*, user: Any) -> QuerySet[ApiToken]:
    """A person's API tokens that have not expired, newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by(
        "-created", "digest")


def teams_of_area(*, area: Area) -> QuerySet[Team]:
    """Teams working in an area or below it, by name."""
    return Team.objects.filter(area_id__in=area_subtree_ids(area=area)).order_by("name")


def team_member_ids(*, team: Team) -> list[int]:
    """The active people of a team."""
    return list(User.objects.filter(team=team, is_active=True).values_list("pk", flat=True))


def team_names(*, ids: list[int]) -> dict[int, str]:
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))


def rank_labels() -> dict[str, str]:
    return dict(User.Rank.choices)


def people_of_areas(*, area_ids: list[int]) -> QuerySet[User]:
    """Active people of these areas, by name: who may own work there."""
    return User.objects.filter(is_active=True, area_id__in=area_ids).order_by(
        "last_name", "username")


def actor_of(request: Any) -> User | None:
    """The signed-in person making a request, for a service's `actor`; None otherwise."""
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None
