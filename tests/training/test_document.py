"""The module grammar: the shipped modules parse, and a mistake names its line."""

from pathlib import Path

import pytest

from training.document import TrainingInputError, parse_document, parse_file
from training.services import CONTENT_DIR

from .conftest import BODY


def test_the_shipped_modules_parse_with_their_lessons_and_checks():
    found = {}
    for path in sorted(CONTENT_DIR.glob("*.md")):
        meta, body = parse_file(path.read_text(encoding="utf-8"))
        doc = parse_document(body)
        found[meta["slug"]] = (len(doc.lessons), len(doc.questions), meta["roles"])
        assert Path(path).stem == meta["slug"]
        for q in doc.questions:
            assert 3 <= len(q.choices) <= 4 and 0 <= q.answer < len(q.choices)
    assert found == {
        "why-hot-spots": (4, 5, "officer, supervisor, analyst, admin"),
        "in-a-hot-spot": (4, 5, "officer, supervisor"),
        "targeting": (4, 5, "officer, supervisor, analyst"),
        "patrol-page": (4, 5, "officer"),
        "supervisors": (4, 5, "supervisor, admin"),
    }


def test_a_module_document_gives_its_lessons_and_answers():
    doc = parse_document(BODY)
    assert doc.lessons == [("Crime gathers", "Most crime happens in a **few** places.")]
    assert [(q.text, q.choices, q.answer) for q in doc.questions] == [
        ("Where does most crime happen?",
         ["Everywhere alike", "In a few small places", "Only at night"], 1),
        ("How long is a visit?", ["About 15 minutes", "Two hours"], 0)]
    assert doc.answer_key() == [(3, 1), (2, 0)]


@pytest.mark.parametrize(("text", "message"), [
    ("Hello", "line 1: start with '# Lesson: <title>'"),
    ("# Lesson: A\ntext\n# Check\n## Q: Q?\n- [ ] a\n- [ ] b\n",
     "line 4: a question needs 2 to 6 choices ('- [ ] ...'), exactly one of them marked "
     "right ('- [x] ...')"),
    ("# Lesson: A\ntext\n# Check\n## Q: Q?\n- [x] a\n- [x] b\n",
     "line 4: a question needs 2 to 6 choices"),
    ("# Lesson: A\ntext\n", "a module needs a knowledge check"),
    ("# Lesson: A\n\n# Check\n## Q: Q?\n- [x] a\n- [ ] b\n", "the lesson 'A' has no text"),
    ("# Lesson: A\ntext\n# Title\n", "line 3: a single '#' heading starts a section"),
    ("# Lesson: A\ntext\n# Check\n## Q: Q?\n- [x] a\n- [ ] b\n# Lesson: B\nx\n",
     "line 7: lessons come before '# Check'"),
    ("# Lesson: A\ntext\n# Check\nWhat?\n", "line 4: in the check each line is"),
])
def test_a_mistake_is_refused_naming_its_line(text, message):
    with pytest.raises(TrainingInputError) as caught:
        parse_document(text)
    assert str(caught.value).startswith(message)
