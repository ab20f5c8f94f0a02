"""Forms for accounts' pages and admin."""

from typing import Any

from core.forms import PlainTextModelForm

from .models import Area


class AreaAdminForm(PlainTextModelForm):
    """An area sits only under an area of a higher level (force > BCU > neighbourhood), and
    its children only under it: levels then fall strictly along every path, so no area can
    become its own ancestor (a loop would drop the loop's areas out of every path, and so
    out of everyone's area scope)."""

    class Meta:
        model = Area
        fields = ("name", "code", "level", "parent", "geom")
        # The column's name is no word for the people who draw it.
        labels = {"geom": "Boundary"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        level, parent = data.get("level"), data.get("parent")
        if level is None:
            return data
        if parent is not None and parent.level >= level:
            self.add_error("parent", f"{parent} is not above a "
                           f"{Area.Level(level).label.lower()}: choose a higher-level area")
        if self.instance.pk is not None:
            low = self.instance.children.filter(level__lte=level).first()
            if low is not None:
                self.add_error("level", f"{low} sits under this area, so it must stay above a "
                               f"{low.get_level_display().lower()}")
        return data
