"""Lessons from Markdown to safe HTML: Python-Markdown renders, nh3 (the Rust ammonia
sanitiser) keeps only the tags a lesson needs, so what an editor types can never run in a
reader's browser. Pictures are named `image:<id>` and must belong to the module; figures
are filled in for the reader after sanitising, as escaped text."""

import re
from typing import Any

import markdown  # type: ignore[import-untyped,unused-ignore]
import nh3
from django.urls import reverse
from django.utils import formats
from django.utils.html import escape

from .figures import TOKEN, figure, reader_area

TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "img", "blockquote",
        "code", "pre", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
IMAGE = re.compile(r"\]\(image:(\d+)\)")
MARK = "FIGUREMARK{}X"


def render_lesson(body: str, *, image_ids: set[int], user: Any,
                  figures: bool = True) -> str:
    """A lesson's HTML. `image_ids`: the module's pictures (any other is dropped)."""
    found: list[str] = []

    def keep(m: re.Match[str]) -> str:
        found.append(m.group(1))
        return MARK.format(len(found) - 1)

    text = TOKEN.sub(keep, body)

    def picture(m: re.Match[str]) -> str:
        pk = int(m.group(1))
        return f"]({reverse('training-image', args=[pk])})" if pk in image_ids else "]()"

    text = IMAGE.sub(picture, text)
    html = markdown.markdown(text, extensions=["sane_lists", "tables"],
                             output_format="html")
    html = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"https", "mailto"},
                     link_rel="noopener noreferrer")
    area = reader_area(user) if found and figures else None
    for i, name in enumerate(found):
        mark = MARK.format(i)
        if not figures:
            html = html.replace(mark, f"[figure: {escape(name)}]")
            continue
        value = figure(name, area=area, user=user)
        when = (f' <span class="text-secondary small">(computed '
                f'{formats.date_format(value.computed, "j M Y")})</span>'
                if value.computed else "")
        html = html.replace(f"<p>{mark}</p>",
                            f'<p class="local-figure" data-figure="{escape(name)}">'
                            f"{escape(value.text)}{when}</p>").replace(mark, escape(value.text))
    return html
