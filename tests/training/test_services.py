"""Saving modules (revisions and versions) and sittings of their checks: marked once,
never changed, superseded by the next."""

import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from training.document import TrainingInputError
from training.models import Completion, Module, ModuleRevision
from training.services import (
    TrainingConflict,
    completion_record,
    defaults_load,
    module_save,
)

from .conftest import BODY, sit

pytestmark = pytest.mark.django_db


def _save(module, body, **kw):
    return module_save(module=module, actor=None, title=module.title, body=body,
                       required_roles=module.required_roles, pass_mark=kw.pop("pass_mark",
                                                                               module.pass_mark),
                       **kw)


def test_a_typo_fix_is_a_revision_and_a_material_change_a_version(small_module):
    fixed = _save(small_module, BODY.replace("**few**", "**few small**"))
    assert (fixed.version, fixed.revision) == (1, 2)
    material = _save(fixed, BODY, material=True)
    assert (material.version, material.revision) == (2, 3)
    assert list(ModuleRevision.objects.filter(module=small_module).order_by("revision")
                .values_list("revision", "version", "material")) == [
        (1, 1, True), (2, 1, False), (3, 2, True)]
    assert AuditEvent.objects.filter(action="training.module_saved").count() == 3


def test_changing_a_right_answer_or_the_pass_mark_is_always_material(small_module):
    moved = BODY.replace("- [x] About 15 minutes\n- [ ] Two hours",
                         "- [ ] About 15 minutes\n- [x] Two hours")
    assert _save(small_module, moved).version == 2
    module = Module.objects.get(pk=small_module.pk)
    assert _save(module, moved, pass_mark=80).version == 3


def test_the_shipped_modules_load_once_and_a_forces_edit_is_kept(db):
    assert defaults_load() == ["in-a-hot-spot", "patrol-page", "supervisors", "targeting",
                               "why-hot-spots"]
    why = Module.objects.get(slug="why-hot-spots")
    _save(why, why.body.replace("# Lesson: ", "# Lesson: Ours: ", 1))
    assert defaults_load() == []
    why.refresh_from_db()
    assert why.body.startswith("# Lesson: Ours: ")
    assert why.required_roles == ["officer", "supervisor", "analyst", "admin"]
    assert why.pass_mark == 75


def test_a_sitting_is_marked_and_stored_once_whatever_the_retries(users, small_module):
    sitting = uuid.uuid4()
    body = {"id": str(sitting), "answers": [1, 1]}
    kwargs = {"user": users["officer"], "module": small_module, "completion_id": sitting,
              "version": 1, "answers": [1, 1], "answered_at": timezone.now(), "body": body}
    first, created = completion_record(**kwargs)
    again, created_again = completion_record(**kwargs)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and Completion.objects.count() == 1
    assert (first.correct, first.questions, first.score, first.passed) == (1, 2, 50, True)
    with pytest.raises(TrainingConflict):
        completion_record(**{**kwargs, "answers": [1, 0], "body": {**body, "answers": [1, 0]}})
    with pytest.raises(TrainingConflict):
        completion_record(**{**kwargs, "user": users["supervisor"]})
    assert Completion.objects.count() == 1
    assert AuditEvent.objects.filter(action="training.completed").count() == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"answers": [1]}, "answer all 2 questions (got 1)"),
    ({"answers": [1, 2]}, "question 2 has choices 0 to 1"),
    ({"version": 2}, "this module has no version 2"),
    ({"answered_at": timedelta(minutes=10)}, "answered_at is in the future"),
    ({"answered_at": -timedelta(days=31)}, "these answers are more than 30 days old"),
])
def test_answers_that_cannot_be_marked_are_refused_and_nothing_is_stored(
        users, small_module, change, message):
    kwargs = {"user": users["officer"], "module": small_module, "completion_id": uuid.uuid4(),
              "version": 1, "answers": [1, 0], "answered_at": timezone.now(), "body": {}}
    if "answered_at" in change:
        change = {"answered_at": timezone.now() + change["answered_at"]}
    with pytest.raises(TrainingInputError) as caught:
        completion_record(**{**kwargs, **change})
    assert str(caught.value).startswith(message)
    assert Completion.objects.count() == 0 and not AuditEvent.objects.filter(
        action="training.completed").exists()


def test_a_sitting_dated_before_its_version_existed_is_refused(users, small_module):
    from training.models import ModuleRevision

    ModuleRevision.objects.update(saved_at=timezone.now() - timedelta(days=2))
    kwargs = {"user": users["officer"], "module": small_module, "completion_id": uuid.uuid4(),
              "version": 1, "answers": [1, 0], "body": {}}
    with pytest.raises(TrainingInputError) as caught:
        completion_record(**kwargs, answered_at=timezone.now() - timedelta(days=3))
    assert str(caught.value).startswith("answered_at is before this version")
    assert Completion.objects.count() == 0
    completion_record(**kwargs, answered_at=timezone.now() - timedelta(days=1))
    assert Completion.objects.count() == 1


def test_answers_to_an_older_version_are_marked_against_the_questions_seen(users,
                                                                          small_module):
    moved = BODY.replace("- [x] About 15 minutes\n- [ ] Two hours",
                         "- [ ] About 15 minutes\n- [x] Two hours")
    _save(small_module, moved)
    module = Module.objects.get(pk=small_module.pk)
    old = sit(users["officer"], module, answers=[1, 0], version=1)
    new = sit(users["officer"], module, answers=[1, 0], version=2)
    assert (old.module_version, old.correct, new.module_version, new.correct) == (1, 2, 2, 1)


def test_each_sitting_supersedes_the_last_and_none_can_be_changed(users, small_module):
    a = sit(users["officer"], small_module, days_ago=2)
    b = sit(users["officer"], small_module, days_ago=1, answers=[0, 1])
    c = sit(users["officer"], small_module)
    assert (a.supersedes_id, b.supersedes_id, c.supersedes_id) == (None, a.pk, b.pk)
    for attempt in (lambda: Completion.objects.filter(pk=a.pk).update(score=0),
                    lambda: Completion.objects.filter(pk=a.pk).delete()):
        # Refused by privilege for the application's role, by the trigger for the owner.
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert Completion.objects.get(pk=a.pk).score == 100 and Completion.objects.count() == 3


def test_a_module_that_does_not_parse_is_not_saved(small_module):
    with pytest.raises(TrainingInputError):
        _save(small_module, "# Lesson: A\ntext\n")
    with pytest.raises(TrainingInputError) as caught:
        _save(small_module, BODY + "\n")  # fine body, but an HTML title below
        module_save(module=small_module, actor=None, title="<b>x</b>", body=BODY)
    assert "HTML tags" in str(caught.value)
    small_module.refresh_from_db()
    assert (small_module.revision, small_module.title) == (2, "Small")
