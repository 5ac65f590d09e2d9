"""People and organisation: the org-unit tree, rank levels, the user (person) and roles."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class Sector(models.Model):
    """A field of government work (财政, 住房和城乡建设, 教育 …): units belong to one, cases
    are classified by one, so a cadre sees the cases of their own field first."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True, allow_unicode=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class OrgUnit(MP_Node):
    """A node of the organisation tree (bureau → department → section).

    A right granted on a unit covers its whole subtree; the materialised ``path`` makes a
    subtree one ``path__startswith`` filter.
    """

    code = models.CharField(
        _("unit code"),
        max_length=32,
        unique=True,
        help_text=_("Short code used in imports, e.g. CZJ-YSK. Letters, digits and hyphens."),
    )
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("sector"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="units",
        help_text=_("Leave empty to inherit the parent unit's sector."),
    )

    node_order_by: ClassVar[list[str]] = ["code"]

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def effective_sector(self) -> Sector | None:
        """The unit's sector, or the nearest ancestor's."""
        if self.sector_id:
            return self.sector
        ancestor = self.get_ancestors().filter(sector__isnull=False).select_related("sector").last()
        return ancestor.sector if ancestor else None

    @property
    def indented_name(self) -> str:
        return "\u3000" * (self.depth - 1) + self.name


class RankLevel(models.Model):
    """An ordered, configurable rank level (职级) such as 科员 … 正厅级."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(
        _("order"), unique=True, help_text=_("Higher numbers are higher ranks.")
    )
    is_leading = models.BooleanField(
        _("leading cadre level"),
        default=False,
        help_text=_("People at this rank level are leading cadres (领导干部)."),
    )

    class Meta:
        verbose_name = _("rank level")
        verbose_name_plural = _("rank levels")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_superuser"] = True
        extra["is_staff"] = True
        extra.setdefault("full_name", email.split("@")[0])
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: the login (e-mail) and the cadre profile in one row."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=60)
    employee_number = models.CharField(
        _("employee number"),
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Unique staff number; imports update people by it."),
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
    )
    position_title = models.CharField(_("position"), max_length=120, blank=True)
    rank_level = models.ForeignKey(
        RankLevel,
        verbose_name=_("rank level"),
        on_delete=models.PROTECT,
        related_name="people",
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("Not used by Qinglian's own pages; roles decide what a person may do."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    language = models.CharField(
        _("language for e-mails and notifications"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to use the site's default language."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(Lower("email"), name="people_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    language__in=["", *(code for code, _name in settings.LANGUAGES)]
                ),
                name="people_user_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name

    @property
    def is_leading_cadre(self) -> bool:
        """Derived from the rank level, never stored."""
        return bool(self.rank_level and self.rank_level.is_leading)


class Role(models.TextChoices):
    LEARNER = "learner", _("Learner")
    TRAINER = "trainer", _("Trainer")
    UNIT_ADMIN = "unit_admin", _("Unit admin")
    DISCIPLINE_OFFICER = "discipline_officer", _("Discipline officer")
    AUDITOR = "auditor", _("Auditor")
    # 单位主要负责人: answerable for the unit's clean-government work ("one post, two
    # responsibilities"); reads the unit's compliance dashboard, changes nothing.
    UNIT_LEADER = "unit_leader", _("Unit leader")


STAFF_ROLES = frozenset({Role.TRAINER, Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER, Role.AUDITOR})
# Roles that read other people's records and so must sign in with a second factor. A unit
# leader is not staff (no admin) but reads the names behind the dashboard's figures.
MFA_ROLES = STAFF_ROLES | {Role.UNIT_LEADER}


class RoleAssignment(models.Model):
    """(user, role, unit): the role holds on ``unit`` and its whole subtree."""

    user = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("granted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"], name="people_roleassignment_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    role__in=[
                        "learner",
                        "trainer",
                        "unit_admin",
                        "discipline_officer",
                        "auditor",
                        "unit_leader",
                    ]
                ),
                name="people_roleassignment_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class ImportJob(models.Model):
    """One bulk import of people: parsed and previewed first, then applied all-or-nothing."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Previewed")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    created_by = models.ForeignKey(
        User, verbose_name=_("imported by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PREVIEW
    )
    rows = models.JSONField(_("parsed rows"), default=list, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    class Meta:
        verbose_name = _("people import")
        verbose_name_plural = _("people imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
