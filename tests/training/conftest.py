import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from training.document import parse_document
from training.models import Module
from training.services import completion_record, defaults_load, module_save

BODY = """# Lesson: Crime gathers
Most crime happens in a **few** places.

# Check
## Q: Where does most crime happen?
- [ ] Everywhere alike
- [x] In a few small places
- [ ] Only at night
## Q: How long is a visit?
- [x] About 15 minutes
- [ ] Two hours
"""


@pytest.fixture
def shipped(db):
    """The modules the project ships, by short name."""
    defaults_load()
    return {m.slug: m for m in Module.objects.all()}


@pytest.fixture
def small_module(db):
    """One lesson and two questions (right answers 1, 0), required of officers."""
    return module_save(module=None, actor=None, slug="small", title="Small", body=BODY,
                       required_roles=["officer"], pass_mark=50)


def right_answers(module: Module) -> list[int]:
    return [q.answer for q in parse_document(module.body).questions]


def sit(user, module, *, days_ago: float = 0, answers=None, version=None, from_records=True):
    """A sitting of the module's check (all right unless `answers`), `days_ago` days ago."""
    answers = right_answers(module) if answers is None else answers
    sitting = uuid.uuid4()
    done, _ = completion_record(
        user=user, module=module, completion_id=sitting,
        version=version or module.version, answers=answers,
        answered_at=timezone.now() - timedelta(days=days_ago),
        body={"id": str(sitting), "answers": answers}, from_records=from_records)
    return done
