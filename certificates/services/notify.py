"""Telling the holder that a certificate is ready (in-app notification + e-mail, once)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.services import notification_send, user_language

from ..models import Certificate, RenderStatus


def certificate_verification_url(certificate: Certificate) -> str:
    """The absolute public verification URL of ``certificate`` (what its QR code holds)."""
    from ..pdf import verification_url

    return verification_url(certificate)


def certificate_notify_holder(*, certificate: Certificate) -> bool:
    """Send the holder a notification, e-mailed after commit, with the link to "My
    certificates" and the verification URL: once per certificate (a conditional UPDATE on
    ``notified_at``, and the notification key ``certificate:<id>``). Only a ready, current,
    unrevoked certificate is announced. Returns whether this call sent it."""
    if certificate.status != RenderStatus.READY or not certificate.is_current:
        return False
    if certificate.revoked_at is not None:
        return False
    with transaction.atomic():
        claimed = Certificate.objects.filter(
            pk=certificate.pk, notified_at__isnull=True, is_current=True
        ).update(notified_at=timezone.now())
        if not claimed:
            return False
        holder = certificate.user
        with translation.override(user_language(user=holder)):
            title = _("Your certificate is ready: %(achievement)s") % {
                "achievement": certificate.achievement_title
            }
            body = _(
                "Serial number %(serial)s. Download it under “My certificates”. "
                "Anyone can check it at %(verify)s"
            ) % {
                "serial": certificate.serial or "",
                "verify": certificate_verification_url(certificate),
            }
            url = reverse("my_certificates:list")
        notification_send(
            user=holder,
            key=f"certificate:{certificate.pk}",
            kind="certificate",
            title=title,
            body=body,
            url=url,
        )
    return True
