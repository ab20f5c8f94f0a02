"""The street layer's vector tiles, for the maps of every page."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import condition, require_safe

from . import selectors


def _etag(request: HttpRequest, z: int, x: int, y: int) -> str | None:
    # A new import is a new layer id, so a browser's kept tiles are checked and replaced.
    layer = selectors.current_layer()
    return f"streets-{layer.pk}" if layer else "streets-none"


@login_required
@permission_required("streets.view_street", raise_exception=True)
@require_safe
@condition(etag_func=_etag)
def tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """GET /tiles/streets/<z>/<x>/<y>.mvt: one Mapbox vector tile (layer "streets" with
    name and rank); empty when no layer is loaded or nothing is drawn at this zoom."""
    if z > selectors.MAX_ZOOM or x >= 2**z or y >= 2**z:
        raise Http404("No such tile.")
    layer = selectors.current_layer()
    body = selectors.tile(layer_id=layer.pk, z=z, x=x, y=y) if layer else b""
    response = HttpResponse(body, content_type="application/vnd.mapbox-vector-tile")
    # Private: tiles need a signed-in user; an hour, then checked against the ETag.
    response["Cache-Control"] = "private, max-age=3600"
    return response
