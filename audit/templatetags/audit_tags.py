"""The audit page's detail column in words: each change as "field: before → after", each
other fact as "key: value", instead of a Python dict (issue 18, item 16)."""

from typing import Any

from django import template

register = template.Library()

NOTHING = "(none)"


def _text(value: Any) -> str:
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or NOTHING
    if isinstance(value, dict):
        return "; ".join(f"{k} {_text(v)}" for k, v in value.items()) or NOTHING
    return str(value)


def _label(key: str) -> str:
    return key.replace("_", " ")


def _named(key: str, value: Any, names: dict[str, str]) -> str:
    """An id as the name it had when recorded ("team: Camden Town SNT", not "team: 2"),
    where the event recorded one under "names" as {"team:2": "Camden Town SNT"}."""
    if value is not None and f"{key}:{value}" in names:
        return names[f"{key}:{value}"]
    return _text(value)


@register.filter
def detail_lines(detail: Any) -> list[str]:
    """One line per fact. Three shapes of change are read: {"before": {...}, "after": {...}}
    (a record's fields), {"before": x, "after": y} (one value, such as a status), and
    {"field": {"before": x, "after": y}, ...} (a field each)."""
    if not isinstance(detail, dict):
        return [] if detail in (None, "", {}) else [_text(detail)]
    lines: list[str] = []
    recorded = detail.get("names")
    names: dict[str, str] = recorded if isinstance(recorded, dict) else {}
    before, after = detail.get("before", ...), detail.get("after", ...)
    rest = {k: v for k, v in detail.items() if k not in ("before", "after", "names")}
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        for key in list(dict.fromkeys([*old, *new])):
            lines.append(f"{_label(key)}: {_named(key, old.get(key), names)} → "
                         f"{_named(key, new.get(key), names)}")
    elif before is not ... or after is not ...:
        lines.append(f"{_text(None if before is ... else before)} → "
                     f"{_text(None if after is ... else after)}")
    for key, value in rest.items():
        if isinstance(value, dict) and set(value) == {"before", "after"}:
            lines.append(f"{_label(key)}: {_text(value['before'])} → {_text(value['after'])}")
        else:
            lines.append(f"{_label(key)}: {_named(key, value, names)}")
    return lines
