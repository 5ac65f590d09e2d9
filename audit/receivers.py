"""Signal receivers of the audit app: logins, failed logins and logouts.

allauth logs people in through ``django.contrib.auth.login`` (→ ``user_logged_in``) and
checks passwords through ``django.contrib.auth.authenticate``, which sends
``user_login_failed`` with the credentials already cleansed; only the login tried (the
e-mail address) is kept, never anything that looks like a password.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .models import AuditAction
from .services import audit_record

#: Credential keys that may name the login tried, in order of preference.
LOGIN_KEYS = ("email", "login", "username")
SECRET = re.compile(r"api|token|key|secret|password|signature|code", re.IGNORECASE)


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(
        action=AuditAction.LOGIN,
        actor=user,
        request=request,
        object_type="people.user",
        object_id=user.pk,
        subject=user,
    )


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return  # a logout without a session: nothing to say about anyone
    audit_record(
        action=AuditAction.LOGOUT,
        actor=user,
        request=request,
        object_type="people.user",
        object_id=user.pk,
        subject=user,
    )


def attempted_login(credentials: dict[str, Any] | None) -> str:
    """The login tried (e-mail or user name) from ``credentials``; never a secret."""
    for key in LOGIN_KEYS:
        value = (credentials or {}).get(key)
        if isinstance(value, str) and value.strip() and not SECRET.search(key):
            return value.strip()[:200]
    return ""


def on_login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any
) -> None:
    login = attempted_login(credentials)
    person = None
    if login:
        person = (
            get_user_model()
            .objects.select_related("unit")
            .filter(email__iexact=login)
            .order_by("pk")
            .first()
        )
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor=None,
        actor_label=login or "?",
        request=request,
        object_type="people.user" if person is not None else "",
        object_id=person.pk if person is not None else "",
        subject=person,
    )


def connect() -> None:
    """Connect the receivers (called once from ``AuditConfig.ready``)."""
    user_logged_in.connect(on_logged_in, dispatch_uid="audit.login")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit.login_failed")
