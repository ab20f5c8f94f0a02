from typing import Any

from .models import AuditEvent


def audit_record(*, actor: Any, action: str, target: Any = None,
                 detail: dict[str, Any] | None = None) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records."""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail or {},
    )
