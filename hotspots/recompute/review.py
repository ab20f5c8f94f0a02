"""An analyst's review of a hot spot: approve, suppress or retire."""

from typing import TYPE_CHECKING

from django.db import transaction

from audit.services import audit_record
from core.text import markup_problem

from ..models import Hotspot
from .params import RunInputError

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic
def hotspot_review(*, hotspot: Hotspot, actor: "User | None", action: str,
                   note: str = "") -> Hotspot:
    """An analyst approves, suppresses or retires a hot spot; audited."""
    target = {"approve": Hotspot.Status.APPROVED, "suppress": Hotspot.Status.SUPPRESSED,
              "retire": Hotspot.Status.RETIRED}.get(action)
    if target is None:
        raise RunInputError("action must be approve, suppress or retire")
    if problem := markup_problem("the note", note):
        raise RunInputError(problem)
    locked = Hotspot.objects.select_for_update().get(pk=hotspot.pk)
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=f"hotspot.{action}", target=locked,
                 detail={"before": before, "after": target, "note": note[:500]})
    return locked


MAX_NAME = 120


@transaction.atomic
def hotspot_rename(*, hotspot: Hotspot, actor: "User | None", name: str) -> Hotspot:
    """An analyst names a hot spot as people know it; later runs keep the name. An empty
    name hands naming back to the runs (the next one names it from its crimes). Audited."""
    name = " ".join(str(name).split())
    if len(name) > MAX_NAME:
        raise RunInputError(f"a name is at most {MAX_NAME} characters")
    if problem := markup_problem("the name", name):
        raise RunInputError(problem)
    locked = Hotspot.objects.select_for_update().get(pk=hotspot.pk)
    # One name, one place: two "Monmouth Street, Camden" on a phone list cannot be told
    # apart (the runs number theirs; an analyst picks another).
    if name and Hotspot.objects.filter(run_area_id=locked.run_area_id, name=name,
                                       dropped_by_run__isnull=True).exclude(
                                           pk=locked.pk).exclude(status="retired").exists():
        raise RunInputError(f"another hot spot in this area is already called {name!r}: "
                            "add what tells them apart (a landmark, a corner)")
    before = locked.name
    locked.name = name
    locked.named_by = Hotspot.NamedBy.ANALYST if name else Hotspot.NamedBy.NONE
    locked.save(update_fields=["name", "named_by", "updated_at"])
    audit_record(actor=actor, action="hotspot.rename", target=locked,
                 detail={"before": before, "after": name})
    return locked
