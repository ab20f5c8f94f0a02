"""Writes for training: saving a module (a new revision; a material change a new version),
its pictures, the shipped default modules, and a person's sitting of a knowledge check."""

import hashlib
import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import ROLES
from audit.services import audit_record
from core.errors import Conflict
from core.text import markup_problem

from .document import TrainingInputError, parse_document, parse_file
from .models import Completion, Module, ModuleImage, ModuleRevision

CONTENT_DIR = Path(__file__).resolve().parent / "content"
# Answers given offline arrive late; a sitting older than this is refused, not guessed at.
LATEST_OFFLINE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
# Page addresses beside /learn/<short name>/.
RESERVED_SLUGS = ("manage", "matrix", "images")
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
               b"GIF87a": "image/gif", b"GIF89a": "image/gif"}
IMAGE_MAX_BYTES = 5 * 1024 * 1024


class TrainingConflict(Conflict):
    """A sitting's id was stored with other answers, or by someone else."""


def _check_fields(*, title: str, summary: str, body: str, pass_mark: int,
                  required_roles: list[str], refresher_months: int) -> None:
    if not title.strip():
        raise TrainingInputError("give the module a title")
    problem = (markup_problem("The title", title) or markup_problem("The summary", summary)
               or markup_problem("A lesson", body))
    if problem:
        raise TrainingInputError(problem.replace("plain text", "plain text or Markdown"))
    if not 1 <= pass_mark <= 100:
        raise TrainingInputError("the pass mark is a percentage, 1 to 100")
    if not 1 <= refresher_months <= 60:
        raise TrainingInputError("the refresher interval is 1 to 60 months")
    unknown = sorted(set(required_roles) - set(ROLES))
    if unknown:
        raise TrainingInputError(f"no such role: {', '.join(unknown)}")


@transaction.atomic
def module_save(*, module: Module | None, actor: User | None, title: str, body: str,
                summary: str = "", slug: str = "", order: int = 100, pass_mark: int = 75,
                required_roles: list[str] | None = None, refresher_months: int = 12,
                active: bool = True, material: bool = False) -> Module:
    """Save a module as a new revision. A material change (ticked by the editor, or any
    change to the check's questions, choices or right answers, or to the pass mark) is a
    new version: everyone who took the old one is asked to take it again. A typo fix is
    a revision only."""
    roles = list(dict.fromkeys(required_roles or []))
    _check_fields(title=title, summary=summary, body=body, pass_mark=pass_mark,
                  required_roles=roles, refresher_months=refresher_months)
    doc = parse_document(body)
    if module is None:
        if not SLUG.fullmatch(slug) or slug in RESERVED_SLUGS:
            raise TrainingInputError("the short name is 2 to 80 lower-case letters, digits "
                                     "and hyphens, and not " + ", ".join(RESERVED_SLUGS))
        if Module.objects.filter(slug=slug).exists():
            raise TrainingInputError(f"the short name '{slug}' is taken")
        module = Module(slug=slug, version=1, revision=0)
        material = True
    else:
        module = Module.objects.select_for_update().get(pk=module.pk)
        before = parse_document(module.body)
        if before.answer_key() != doc.answer_key() or module.pass_mark != pass_mark:
            material = True
        if material:
            module.version += 1
    module.revision += 1
    module.title, module.summary, module.body = title.strip(), summary.strip(), body
    module.order, module.pass_mark, module.active = order, pass_mark, active
    module.required_roles, module.refresher_months = roles, refresher_months
    module.updated_by = actor
    module.save()
    ModuleRevision.objects.create(module=module, revision=module.revision,
                                  version=module.version, title=module.title, body=body,
                                  pass_mark=pass_mark, material=material, saved_by=actor)
    audit_record(actor=actor, action="training.module_saved", target=module,
                 detail={"title": module.title, "version": module.version,
                         "revision": module.revision, "material": material,
                         "required_roles": roles, "refresher_months": refresher_months})
    return module


def defaults_load(*, actor: User | None = None) -> list[str]:
    """Create the modules the project ships (training/content/*.md) that are not here yet,
    by short name: a force's edits to a shipped module are never overwritten."""
    made = []
    for path in sorted(CONTENT_DIR.glob("*.md")):
        meta, body = parse_file(path.read_text(encoding="utf-8"))
        if Module.objects.filter(slug=meta["slug"]).exists():
            continue
        module_save(module=None, actor=actor, slug=meta["slug"], title=meta["title"],
                    summary=meta.get("summary", ""), body=body,
                    order=int(meta.get("order", 100)),
                    pass_mark=int(meta.get("pass_mark", 75)),
                    required_roles=[r.strip() for r in meta.get("roles", "").split(",")
                                    if r.strip()])
        made.append(meta["slug"])
    return made


@transaction.atomic
def image_add(*, module: Module, upload: UploadedFile, alt: str,
              actor: User | None) -> ModuleImage:
    """A picture for the module's lessons: PNG, JPEG or GIF by its first bytes (not its
    name), at most 5 MB, with words for those who cannot see it."""
    if not alt.strip() or len(alt) > 200:
        raise TrainingInputError("describe the picture in words (1 to 200 characters): "
                                 "officers reading on a slow signal, and screen readers, "
                                 "see the words")
    problem = markup_problem("The description", alt)
    if problem:
        raise TrainingInputError(problem)
    if upload.size is None or upload.size > IMAGE_MAX_BYTES:
        raise TrainingInputError("a picture is at most 5 MB")
    head = upload.read(8)
    upload.seek(0)
    kind = next((t for magic, t in IMAGE_TYPES.items() if head.startswith(magic)), None)
    if kind is None:
        raise TrainingInputError("upload a PNG, JPEG or GIF picture")
    # Stored under a name of ours with the extension of what it is: never the uploader's
    # "a.html" or "a.svg", should the media folder ever be served directly.
    upload.name = f"{uuid.uuid4().hex}.{kind.split('/')[1].replace('jpeg', 'jpg')}"
    image = ModuleImage.objects.create(module=module, image=upload, content_type=kind,
                                       alt=alt.strip(), uploaded_by=actor)
    audit_record(actor=actor, action="training.image_added", target=module,
                 detail={"image": image.pk, "alt": image.alt})
    return image


def _revision_for(module: Module, version: int) -> ModuleRevision:
    found = (ModuleRevision.objects.filter(module=module, version=version)
             .order_by("-revision").first())
    if found is None:
        raise TrainingInputError(f"this module has no version {version}")
    return found


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def completion_record(*, user: User, module: Module, completion_id: UUID, version: int,
                      answers: list[int], answered_at: datetime,
                      body: dict[str, Any], from_records: bool = False
                      ) -> tuple[Completion, bool]:
    """Mark a sitting of the module's check and store it once: the phone makes the id, so
    answers sent again (a retry after a lost reply, offline answers sent on reconnecting)
    give back the first result. The same id with other answers is a conflict. Marked
    against the questions of the version the person saw. `from_records`: a past sitting
    entered from the force's own records (the demo seeds some), which the 30-day limit on
    answers sent from a phone does not apply to."""
    digest = body_hash(body)
    # One sitting at a time per person: the supersedes chain stays a line.
    User.objects.select_for_update().filter(pk=user.pk).first()
    existing = Completion.objects.filter(pk=completion_id).first()
    if existing is not None:
        if existing.user_id != user.pk or existing.body_hash != digest:
            raise TrainingConflict("these answers' id was already used for other answers")
        return existing, False
    now = timezone.now()
    if answered_at > now + CLOCK_SKEW:
        raise TrainingInputError("answered_at is in the future: check the phone's clock")
    if answered_at < now - LATEST_OFFLINE and not from_records:
        raise TrainingInputError("these answers are more than 30 days old: take the "
                                 "module again")
    if not 1 <= version <= module.version:
        raise TrainingInputError(f"this module has no version {version}")
    revision = _revision_for(module, version)
    began = (ModuleRevision.objects.filter(module=module, version=version)
             .order_by("revision").values_list("saved_at", flat=True).first())
    if not from_records and began is not None and answered_at < began - CLOCK_SKEW:
        # A pass dated before its version existed would change a month already reported.
        raise TrainingInputError("answered_at is before this version of the module was "
                                 "written: check the phone's clock")
    questions = parse_document(revision.body).questions
    if len(answers) != len(questions):
        raise TrainingInputError(f"answer all {len(questions)} questions (got {len(answers)})")
    for n, (given, q) in enumerate(zip(answers, questions, strict=True), 1):
        if not 0 <= given < len(q.choices):
            raise TrainingInputError(f"question {n} has choices 0 to {len(q.choices) - 1}")
    correct = sum(given == q.answer for given, q in zip(answers, questions, strict=True))
    score = round(100 * correct / len(questions))
    previous = (Completion.objects.filter(user=user, module=module,
                                          superseded_by__isnull=True).first())
    try:
        with transaction.atomic():
            done = Completion.objects.create(
                id=completion_id, user=user, module=module, module_version=version,
                module_revision=revision.revision, answers=answers, correct=correct,
                questions=len(questions), score=score, passed=score >= revision.pass_mark,
                answered_at=answered_at, supersedes=previous, body_hash=digest)
    except IntegrityError:
        # The same id sent at the same moment by someone else (the person lock covers one
        # person only): the first stored wins, the other is told. Anything else is a bug.
        if not Completion.objects.filter(pk=completion_id).exists():
            raise
        raise TrainingConflict("these answers' id was already used for other answers") \
            from None
    audit_record(actor=user, action="training.completed", target=module,
                 detail={"completion": str(done.pk), "version": version, "score": score,
                         "passed": done.passed, "title": module.title,
                         "supersedes": str(previous.pk) if previous else None})
    return done, True
