"""The street layer's vector tiles, for the maps of every page."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

from . import selectors

# Private: tiles need a signed-in user; an hour, then checked against the ETag. Sent on a
# 304 too, or the site's no-store default would tell the browser to keep nothing.
CACHE_CONTROL = "private, max-age=3600"


@login_required
@permission_required("streets.view_street", raise_exception=True)
@require_safe
def tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """GET /tiles/streets/<z>/<x>/<y>.mvt: one Mapbox vector tile (layer "streets" with
    name and rank); empty when no layer is loaded or nothing is drawn at this zoom."""
    if z > selectors.MAX_ZOOM or x >= 2**z or y >= 2**z:  # before any cache answer
        raise Http404("No such tile.")
    layer = selectors.current_layer()
    # A new import is a new layer id, so a browser's kept tiles are checked and replaced.
    etag = f'"streets-{layer.pk}"' if layer else '"streets-none"'
    if etag in parse_etags(request.META.get("HTTP_IF_NONE_MATCH", "")):
        response: HttpResponse = HttpResponseNotModified()
    else:
        body = selectors.tile(layer_id=layer.pk, z=z, x=x, y=y) if layer else b""
        response = HttpResponse(body, content_type="application/vnd.mapbox-vector-tile")
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
