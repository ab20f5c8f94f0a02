"""{% street_layer %}: what a page's maps need to draw the force's street layer."""

from django import template
from django.urls import reverse
from django.utils.html import json_script
from django.utils.safestring import SafeString

from ..selectors import MAX_DATA_ZOOM, current_layer

register = template.Library()


@register.simple_tag
def street_layer() -> SafeString:
    """The tiles' address and the layer's attribution as JSON in the page (read by
    static/js/streets.js), or nothing when no street layer is loaded."""
    layer = current_layer()
    if layer is None:
        return SafeString("")
    url = reverse("street-tile", kwargs={"z": 0, "x": 0, "y": 0}).replace(
        "/0/0/0.mvt", "/{z}/{x}/{y}.mvt")
    return json_script({"url": url, "attribution": layer.attribution,
                        "max_data_zoom": MAX_DATA_ZOOM, "layer": layer.pk}, "street-layer")
