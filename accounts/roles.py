"""Roles are Django groups with explicit permissions; this module is their single definition."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction

OFFICER = "officer"
SUPERVISOR = "supervisor"
ANALYST = "analyst"
ADMIN = "admin"
AUDITOR = "auditor"
ROLES = (OFFICER, SUPERVISOR, ANALYST, ADMIN, AUDITOR)
# Roles that see many people's data sign in with a TOTP code after their password. Officers
# see only their own tasks and sign in on shared patrol phones, so a password is theirs.
SECOND_FACTOR_ROLES = (SUPERVISOR, ANALYST, ADMIN, AUDITOR)

# app_label.codename for each role. Later apps add theirs here, in one place.
# Streets are drawn under every map: a force's own street layer, not personal data.
_SEE_AREAS = {"accounts.view_area", "accounts.view_team", "streets.view_street"}
_SEE_CRIME = {"hotspots.view_crime", "hotspots.view_offencetype", "hotspots.view_hotspot",
              "hotspots.view_hotspotrun", "hotspots.view_exclusionarea"}
_ANALYSE = {"accounts.view_all_areas", "hotspots.change_offencetype",
            "hotspots.view_importjob", "hotspots.add_importjob", "hotspots.add_hotspotrun",
            "hotspots.review_hotspot", "hotspots.add_exclusionarea",
            "hotspots.change_exclusionarea", "hotspots.delete_exclusionarea"}
_SEE_OWN_TASKS = {"tasking.view_patroltask"}
_SEE_PLANS = {"tasking.view_shiftpattern", "tasking.view_shift", "tasking.view_taskingplan",
              "tasking.view_patroltask", "tasking.view_problemsolving"}
_PROBLEM_SOLVE = {"tasking.change_problemsolving"}
_TASK = {"tasking.add_shiftpattern", "tasking.change_shiftpattern",
         "tasking.change_shiftcapacity", "tasking.add_taskingplan",
         "tasking.publish_taskingplan", "tasking.add_patroltask", "tasking.change_patroltask",
         "tasking.delete_patroltask"}
_LOG_VISITS = {"patrols.add_visit", "patrols.view_visit"}
_SEE_DOSAGE = {"patrols.view_presence", "patrols.view_visit", "patrols.view_all_visits",
               "patrols.view_device"}
_TRACK = {"patrols.view_track", "patrols.add_device", "patrols.change_device",
          "patrols.export_visit_identities"}
_SEE_TRIALS = {"evaluation.view_trial"}
_RUN_TRIALS = {"evaluation.add_trial", "evaluation.change_trial", "evaluation.start_trial"}
# Training (issue 19): everyone who patrols or tasks learns; analysts and admins write the
# modules; supervisors and admins see who is ready.
_LEARN = {"training.view_module", "training.add_completion"}
_WRITE_TRAINING = {"training.add_module", "training.change_module", "training.add_moduleimage"}
_TRAINING_MATRIX = {"training.view_training_matrix"}
# Officers' notes at a visit are read on the hot spot's problem-solving page and marked used.
_ACT_ON_OBSERVATIONS = {"patrols.act_on_observation"}
# Alarms for unpatrolled hot spots (issue 20): supervisors and admins acknowledge them.
_ACKNOWLEDGE_ALARMS = {"patrols.acknowledge_alarm"}
_EXPORT = {"reports.add_exportjob", "reports.view_exportjob"}
_ADMINISTER = {"accounts.add_area", "accounts.change_area", "accounts.add_team",
               "accounts.change_team", "accounts.view_user", "accounts.add_user",
               "accounts.change_user", "accounts.view_apitoken", "accounts.delete_apitoken",
               "streets.view_streetlayer", "streets.add_streetlayer",
               "streets.delete_streetlayer"}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    OFFICER: _SEE_AREAS | _SEE_OWN_TASKS | _LOG_VISITS | _LEARN,
    SUPERVISOR: (_SEE_AREAS | _SEE_CRIME | _SEE_PLANS | _PROBLEM_SOLVE | _TASK | _SEE_DOSAGE
                 | _TRACK | _SEE_TRIALS | _EXPORT | _LEARN | _TRAINING_MATRIX
                 | _ACT_ON_OBSERVATIONS | _ACKNOWLEDGE_ALARMS),
    ANALYST: (_SEE_AREAS | _SEE_CRIME | _ANALYSE | _SEE_PLANS | _PROBLEM_SOLVE | _SEE_DOSAGE
              | _SEE_TRIALS | _RUN_TRIALS | _EXPORT | _LEARN | _WRITE_TRAINING
              | _ACT_ON_OBSERVATIONS),
    ADMIN: (_SEE_AREAS | _SEE_CRIME | _ANALYSE | _ADMINISTER | _SEE_PLANS | _PROBLEM_SOLVE
            | _TASK | _SEE_DOSAGE | _TRACK | _SEE_TRIALS | _RUN_TRIALS | _EXPORT
            | _LEARN | _WRITE_TRAINING | _TRAINING_MATRIX | _ACT_ON_OBSERVATIONS
            | _ACKNOWLEDGE_ALARMS | {"audit.view_auditevent"}),
    AUDITOR: {"accounts.view_all_areas", "audit.view_auditevent", "streets.view_street"},
}


def _permissions(codes: set[str]) -> list[Permission]:
    found: list[Permission] = []
    for code in sorted(codes):
        app_label, codename = code.split(".", 1)
        perm = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if perm is None:
            raise LookupError(f"Role permission {code} does not exist; is its app migrated?")
        found.append(perm)
    return found


@transaction.atomic
def roles_sync() -> None:
    """Create the role groups and set each group's permissions to exactly its definition."""
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions(ROLE_PERMISSIONS[role]))


def roles_sync_on_migrate(app_config: Any = None, **kwargs: Any) -> None:
    # post_migrate fires once per app, in INSTALLED_APPS order, and each app's permissions
    # are created by its own signal: sync only after the last app has had its turn.
    from django.apps import apps

    if app_config is not list(apps.get_app_configs())[-1]:
        return
    roles_sync()


def user_role(user: Any) -> str | None:
    """The user's role name, or None; superusers count as admin."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ADMIN
    names = {g.name for g in user.groups.all()}
    for role in (ADMIN, ANALYST, SUPERVISOR, AUDITOR, OFFICER):
        if role in names:
            return role
    return None


def needs_second_factor(user: Any) -> bool:
    """True when the user must confirm a TOTP code after the password (superusers too)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser
                or user.groups.filter(name__in=SECOND_FACTOR_ROLES).exists())
