from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from knox.models import AbstractAuthToken


class Area(models.Model):
    """A policing area: force > BCU > neighbourhood, each with its boundary."""

    class Level(models.IntegerChoices):
        FORCE = 1, "Force"
        BCU = 2, "Basic command unit"
        NEIGHBOURHOOD = 3, "Neighbourhood"

    name = models.CharField(max_length=200)
    code = models.CharField(max_length=64, unique=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path "/1/7/42/" so that a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    geom = models.MultiPolygonField(srid=settings.HOTSPOTS_SRID)

    class Meta:
        ordering = ["level", "name"]
        permissions = [("view_all_areas", "Can see data of every area in the force")]
        indexes = [models.Index(fields=["path"], name="area_path_prefix",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"


class AreaPart(models.Model):
    """An area's boundary cut into small pieces (ST_Subdivide) for fast point-in-area joins.

    A leaf area's parts cover it whole. An area with children has parts only where its
    children leave it uncovered (often nowhere): those are the places whose most specific
    area is the parent itself.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="parts")
    level = models.PositiveSmallIntegerField()
    # An area with no children: a point takes the leaf area that covers it.
    is_leaf = models.BooleanField(default=True)
    geom = models.PolygonField(srid=settings.HOTSPOTS_SRID)


class Team(models.Model):
    name = models.CharField(max_length=120)
    callsign = models.CharField(max_length=32, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="teams")

    class Meta:
        ordering = ["area__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="team_unique_name_in_area")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person using the product. Their role is their group; their area scopes what they see."""

    class Rank(models.TextChoices):
        PC = "pc", "Police constable"
        PCSO = "pcso", "PCSO"
        SPECIAL = "special", "Special constable"
        SERGEANT = "sergeant", "Sergeant"
        INSPECTOR = "inspector", "Inspector"
        STAFF = "staff", "Police staff"

    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    rank = models.CharField(max_length=16, choices=Rank.choices, default=Rank.STAFF)
    collar_number = models.CharField(max_length=32, blank=True)


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox: only its SHA-512 digest is stored). It lives for a
    fixed time, is new at every sign-in, and is bound to the password it was issued under:
    a password change revokes it (docs/adr/0011)."""

    # HMAC of the user's password hash at issue (Django's session auth hash).
    auth_hash: "models.CharField[str, str]" = models.CharField(max_length=128)
    # Whether a TOTP code was checked at issue: a token made with the password alone (an
    # officer's) stops working if its person's role comes to need a second factor.
    with_second_factor: "models.BooleanField[bool, bool]" = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"


class SecondFactorEnrolment(models.Model):
    """A one-time enrolment code an admin issued, without which a staff account that has no
    authenticator yet is shown no QR code: the password alone must not let its holder enrol
    their own phone (issue 15, item 10). Only a digest of the code is kept."""

    user = models.OneToOneField(User, on_delete=models.CASCADE,
                                related_name="second_factor_enrolment")
    code_digest = models.CharField(max_length=64)
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
