from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hotspots.selectors import area_crime_counts, crimes_total


@login_required
def home(request: HttpRequest) -> HttpResponse:
    can_see_crime = request.user.has_perm("hotspots.view_crime")
    context = {
        "area_rows": area_crime_counts(user=request.user) if can_see_crime else [],
        "crime_total": crimes_total(user=request.user) if can_see_crime else None,
        "can_see_crime": can_see_crime,
    }
    return render(request, "accounts/home.html", context)
