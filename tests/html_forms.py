"""What a browser would send from a page's form as shown: each field's current value."""

from collections.abc import Mapping
from html.parser import HTMLParser


class _Form(HTMLParser):
    def __init__(self, form_id: str | None) -> None:
        super().__init__()
        self.form_id, self.inside, self.done = form_id, False, False
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._first: str | None = None
        self._chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and a.get("method", "").lower() == "post" and (
                self.form_id is None or a.get("id") == self.form_id):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select, self._first, self._chosen = name, None, False
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a and not self._chosen:
                self.values.setdefault(self._select, []).append(a.get("value", ""))
                self._chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, []).append("")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._chosen and self._first is not None:
                self.values.setdefault(self._select, []).append(self._first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_values(html: str | bytes, form_id: str | None = None) -> dict[str, list[str]]:
    """The first POST form (or the one with this id): name -> the values it would send."""
    parser = _Form(form_id)
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.values


def form_fields(html: str | bytes, form_id: str) -> dict[str, list[str]]:
    """The fields of a form as a browser would send them, without the CSRF token."""
    values = form_values(html, form_id)
    values.pop("csrfmiddlewaretoken", None)
    return values


def as_sent(data: Mapping[str, object]) -> dict[str, list[str]]:
    """A test client's form data in form_fields' shape."""
    return {k: [str(x) for x in v] if isinstance(v, list) else [str(v)]
            for k, v in data.items()}
