"""Certificates (证书): templates edited in the Wagtail admin, issued certificates, and ZIP
batches of them.

* A :class:`Certificate` is created by ``services.issuing.issue_certificate`` inside the
  transaction that recorded the achievement; one *current* certificate per person and
  achievement key, by a partial unique constraint. Its PDF is rendered by a Celery task
  enqueued on commit, which claims the row with a conditional UPDATE (pending → rendering)
  and writes ``certificates/<serial>.pdf`` (a deterministic name, overwritten on retry).
* Reissuing (after a template fix) makes a new current certificate and marks the old one
  superseded; revoking keeps the row and records who, when and why.
* The verification code is random (80 bits, Crockford base32); the serial
  (``QL-2026-000123``) is for people to read and is not a secret.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable, PreviewableMixin

from .achievements import AchievementKind


def private_storage() -> Storage:
    """Certificates are personal documents: served only through views that check scope."""
    return storages["private"]


class TemplateLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", _("Chinese")
    EN = "en", _("English")
    BILINGUAL = "bilingual", _("Chinese and English")


class Orientation(models.TextChoices):
    LANDSCAPE = "landscape", _("Landscape")
    PORTRAIT = "portrait", _("Portrait")


class CertificateTemplate(PreviewableMixin, ClusterableModel):
    """The look and wording of certificates, edited by trainers in the Wagtail admin.

    ``body`` and ``body_en`` are plain text with placeholders ``{name}``,
    ``{achievement}``, ``{date}``, ``{hours}`` and ``{serial}``; they are escaped when
    rendered, never parsed as HTML. Images come from Wagtail's image library only (the
    seal must be PNG or JPEG)."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Shown in the admin only."))
    kinds = models.JSONField(
        _("achievements it serves"),
        default=list,
        blank=True,
        help_text=_("The kinds of achievement this template is used for."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=TemplateLanguage.choices, default="zh-hans"
    )
    orientation = models.CharField(
        _("orientation"), max_length=10, choices=Orientation.choices, default="landscape"
    )
    title = models.CharField(_("title"), max_length=60, default="结业证书")
    body = models.TextField(_("body text"), blank=True)
    title_en = models.CharField(_("English title"), max_length=80, blank=True)
    body_en = models.TextField(_("English body text"), blank=True)
    issuer = models.CharField(
        _("issuer"),
        max_length=120,
        blank=True,
        help_text=_("The body that issues the certificate; the site's organisation if empty."),
    )
    background = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("background image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    seal = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("seal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("PNG or JPEG."),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for certificates that do not expire."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("certificate template")
        verbose_name_plural = _("certificate templates")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    # The wording fields, checked by ``certificates.pdf.template_text_problems``.
    TEXT_FIELDS = ("title", "body", "title_en", "body_en", "issuer")

    def clean(self) -> None:
        """Plain text with known placeholders only; PNG or JPEG images; known kinds."""
        from .pdf import CertificateImageError, image_read, template_text_problems

        super().clean()
        errors: dict[str, list[str]] = {}
        for name in self.TEXT_FIELDS:
            value = getattr(self, name) or ""
            problems = template_text_problems(value)
            if name == "issuer" and ("{" in value or "}" in value):
                problems.append(gettext("Placeholders cannot be used here."))
            if problems:
                errors[name] = problems
        kinds = self.kinds if isinstance(self.kinds, list) else None
        if kinds is None or any(k not in AchievementKind.values for k in kinds):
            errors["kinds"] = [gettext("Choose among the kinds of achievement listed.")]
        for name in ("seal", "background"):
            image = getattr(self, name)
            if image is None:
                continue
            try:
                image_read(image, label=name)
            except CertificateImageError:
                errors[name] = [gettext("Choose a PNG or JPEG image.")]
        if errors:
            raise ValidationError(errors)

    # Preview in the admin: the PDF for a sample person (张三丰, QL-2026-000000).
    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        from qinglian.pdf import PDFRenderError

        from .pdf import template_preview_pdf

        try:
            rendered = template_preview_pdf(self)
        except PDFRenderError as exc:
            message = gettext("The preview could not be made: %(error)s") % {"error": exc}
            return HttpResponse(message, content_type="text/plain; charset=utf-8")
        response = HttpResponse(rendered.data, content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="certificate-preview.pdf"'
        return response


class Signatory(Orderable):
    template = ParentalKey(
        CertificateTemplate, related_name="signatories", on_delete=models.CASCADE
    )
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=100, help_text=_("e.g. 主任"))
    signature = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("signature image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(Orderable.Meta):
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")

    def __str__(self) -> str:
        return f"{self.title} {self.name}"


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    RENDERING = "rendering", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


def certificate_upload_to(instance: Certificate, filename: str) -> str:
    return f"certificates/{instance.serial}.pdf"


class Certificate(models.Model):
    wagtail_reference_index_ignore = True

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    holder_name = models.CharField(_("holder's name"), max_length=60)
    kind = models.CharField(_("achievement kind"), max_length=16, choices=AchievementKind.choices)
    achievement_key = models.CharField(_("achievement key"), max_length=64)
    achievement_title = models.CharField(_("achievement"), max_length=255)
    achievement_title_en = models.CharField(_("achievement (English)"), max_length=255, blank=True)
    achieved_on = models.DateField(_("achieved on"))
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=1, null=True, blank=True)
    source_id = models.BigIntegerField(_("source id"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    template = models.ForeignKey(
        CertificateTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    language = models.CharField(
        _("language"), max_length=10, choices=TemplateLanguage.choices, default="zh-hans"
    )
    issuer = models.CharField(_("issuer"), max_length=120, blank=True)
    # NULL until the row has its id (the serial is built from it); unique when set.
    serial = models.CharField(_("serial number"), max_length=20, unique=True, null=True)  # noqa: DJ001
    code = models.CharField(_("verification code"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    # Rendering
    status = models.CharField(
        _("status"), max_length=10, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(_("render attempts"), default=0)
    rendered_at = models.DateTimeField(_("rendered"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(
        _("PDF"),
        upload_to=certificate_upload_to,
        storage=private_storage,
        blank=True,
        max_length=255,
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    notified_at = models.DateTimeField(_("holder notified"), null=True, blank=True)

    # Life cycle
    is_current = models.BooleanField(_("current"), default=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supersedes",
    )
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "achievement_key"],
                condition=Q(is_current=True),
                name="certificates_one_current_per_achievement",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "source_id"], name="certificates_kind_source"),
            models.Index(fields=["status", "issued_at"], name="certificates_status_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.serial or '—'} · {self.holder_name} · {self.achievement_title}"


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def batch_upload_to(instance: CertificateBatch, filename: str) -> str:
    return f"certificate-batches/{instance.pk}.zip"


class CertificateBatch(models.Model):
    """A ZIP of the certificates of one course or campaign within the requester's scope,
    built by a Celery task that reports progress."""

    wagtail_reference_index_ignore = True

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="certificate_batches",
    )
    kind = models.CharField(_("achievement kind"), max_length=16, choices=AchievementKind.choices)
    source_id = models.BigIntegerField(_("source id"))
    title = models.CharField(_("title"), max_length=255)
    scope_paths = models.JSONField(_("scope"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total = models.PositiveIntegerField(_("certificates"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    file = models.FileField(
        _("ZIP"), upload_to=batch_upload_to, storage=private_storage, blank=True, max_length=255
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate batch")
        verbose_name_plural = _("certificate batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        if self.status == BatchStatus.DONE:
            return 100
        return 100 * self.done // self.total if self.total else 0
