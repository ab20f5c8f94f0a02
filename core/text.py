"""Free text is plain text: notes, names, reasons and recipients never hold HTML.

A tag in a note is never a person's words, so it is refused with a message. "<5 min" and
"2 < 3" are not tags and pass. Spreadsheet formulas are not refused (a note may start
with "-" or "="); the export writers neutralise them instead (reports/writers.py)."""

import re

# "<" then a letter, "/" or "?" and a letter, or "!": an element, end tag, directive or
# comment.
_TAG = re.compile(r"<\s*(?:[/?]?\s*[A-Za-z]|!)")
# Control characters other than tab and line breaks (PostgreSQL cannot store NUL, and the
# rest are invisible or move the cursor), and the bidirectional overrides that make text
# read other than it is stored.
# Also the C1 controls, zero-width spaces and marks, the byte-order mark and the tag
# characters (invisible). Zero-width joiners stay: emoji and some scripts need them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f"
                      "\u202a-\u202e\u2060\u2066-\u2069\ufeff\U000e0000-\U000e007f]")


def markup_problem(field: str, *values: object) -> str | None:
    """A message naming the field when any value holds an HTML tag or a control
    character, else None."""
    for value in values:
        if isinstance(value, str) and _TAG.search(value):
            return (f"{field} cannot contain HTML tags such as <b> or <script>: "
                    "write it as plain text")
        if isinstance(value, str) and _CONTROL.search(value):
            return (f"{field} cannot contain control characters (a character that is "
                    "invisible or reverses the text): write it as plain text")
    return None
