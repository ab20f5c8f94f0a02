"""A module is one Markdown document: lessons, then a knowledge check. One grammar for the
modules the project ships (training/content/*.md, with front matter) and for what editors
write in the app:

    # Lesson: Crime gathers in a few places
    Markdown ...
    # Check
    ## Q: Where does most crime happen?
    - [ ] Evenly across a town
    - [x] In a few small places
"""

import re
from dataclasses import dataclass, field

from core.errors import InputError

LESSON = re.compile(r"^# Lesson:\s*(.*)$")
CHECK = re.compile(r"^# Check\s*$")
QUESTION = re.compile(r"^## Q:\s*(.*)$")
CHOICE = re.compile(r"^[-*] \[( |x|X)\]\s*(.*)$")
MAX_QUESTIONS = 20


class TrainingInputError(InputError):
    """A module's document, a picture or a sitting's answers cannot be taken as sent."""


@dataclass
class Question:
    text: str
    choices: list[str]
    answer: int


@dataclass
class Document:
    lessons: list[tuple[str, str]] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    def answer_key(self) -> list[tuple[int, int]]:
        """What makes a change material whatever the editor ticks: the number of questions,
        their number of choices and which one is right."""
        return [(len(q.choices), q.answer) for q in self.questions]


def parse_document(text: str) -> Document:
    """The lessons and questions of a module's body, or a TrainingInputError that names the
    line to put right."""
    doc = Document()
    section: str | None = None
    lesson_title = ""
    lesson_lines: list[str] = []
    question: Question | None = None
    question_line = 0

    def close_lesson() -> None:
        if section == "lesson":
            body = "\n".join(lesson_lines).strip()
            if not body:
                raise TrainingInputError(f"the lesson '{lesson_title}' has no text")
            doc.lessons.append((lesson_title, body))

    def close_question() -> None:
        if question is None:
            return
        marked = [i for i, _ in enumerate(question.choices) if i in _marked]
        if not 2 <= len(question.choices) <= 6 or len(marked) != 1:
            raise TrainingInputError(
                f"line {question_line}: a question needs 2 to 6 choices ('- [ ] ...'), "
                "exactly one of them marked right ('- [x] ...')")
        question.answer = marked[0]
        doc.questions.append(question)

    _marked: set[int] = set()
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.rstrip()
        if m := LESSON.match(line):
            if section == "check":
                raise TrainingInputError(
                    f"line {number}: lessons come before '# Check', which is the last section")
            close_lesson()
            section, lesson_title, lesson_lines = "lesson", m.group(1).strip(), []
            if not lesson_title:
                raise TrainingInputError(f"line {number}: give the lesson a title")
            if len(lesson_title) > 200:
                raise TrainingInputError(f"line {number}: a lesson title is at most 200 "
                                         "characters")
        elif CHECK.match(line):
            if section == "check":
                raise TrainingInputError(f"line {number}: there is one '# Check'")
            close_lesson()
            section = "check"
        elif section == "lesson":
            if line.startswith("# "):
                raise TrainingInputError(
                    f"line {number}: a single '#' heading starts a section ('# Lesson: ...' "
                    "or '# Check'); use '##' inside a lesson")
            lesson_lines.append(raw)
        elif section == "check":
            if m := QUESTION.match(line):
                close_question()
                question, question_line, _marked = Question(m.group(1).strip(), [], -1), \
                    number, set()
                if not question.text:
                    raise TrainingInputError(f"line {number}: the question has no text")
            elif m := CHOICE.match(line):
                if question is None:
                    raise TrainingInputError(f"line {number}: a choice comes after '## Q: ...'")
                if m.group(1) in "xX":
                    _marked.add(len(question.choices))
                if not m.group(2).strip():
                    raise TrainingInputError(f"line {number}: the choice has no text")
                question.choices.append(m.group(2).strip())
            elif line.strip():
                raise TrainingInputError(
                    f"line {number}: in the check each line is '## Q: ...' or a choice "
                    "'- [ ] ...' / '- [x] ...'")
        elif line.strip():
            raise TrainingInputError(f"line {number}: start with '# Lesson: <title>'")
    close_lesson()
    close_question()
    if not doc.lessons:
        raise TrainingInputError("a module needs at least one lesson ('# Lesson: <title>')")
    if not doc.questions:
        raise TrainingInputError("a module needs a knowledge check: '# Check' then at least "
                                 "one '## Q: ...' with its choices")
    if len(doc.questions) > MAX_QUESTIONS:
        raise TrainingInputError(f"a check has at most {MAX_QUESTIONS} questions")
    return doc


FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def parse_file(text: str) -> tuple[dict[str, str], str]:
    """A shipped module file: its front matter (key: value lines) and its body."""
    m = FRONT.match(text.replace("\r\n", "\n"))
    if m is None:
        raise TrainingInputError("a module file starts with front matter between '---' lines")
    meta: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        if line.strip():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    return meta, text.replace("\r\n", "\n")[m.end():]
