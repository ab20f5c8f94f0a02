"""Filters for the tasking pages."""
from django import template

register = template.Library()


@register.filter
def lower_first(text: str) -> str:
    """The reason for a visit carried on after "...for 15 minutes: " in one sentence."""
    return text[:1].lower() + text[1:] if text else text
