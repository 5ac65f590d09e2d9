"""Every view declares its access rule.

A view is marked with one of the decorators (function views) or mixins (class-based
views) below; each sets ``access_rule`` on the view. ``tests/people/test_access_rules.py``
walks every URL pattern and fails on a view that declares nothing.

The rules:

``public``         anyone, including anonymous visitors;
``logged-in``      any authenticated person (their own records only);
``role-in-scope``  a person holding one of the named roles; object-level checks go through
                   ``people.selectors`` so a record outside the viewer's subtree is a 404;
``staff``          superusers only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

PUBLIC = "public"
LOGGED_IN = "logged-in"
ROLE_IN_SCOPE = "role-in-scope"
STAFF = "staff"
RULES = (PUBLIC, LOGGED_IN, ROLE_IN_SCOPE, STAFF)

V = TypeVar("V", bound=Callable[..., HttpResponse])


def _mark(view: Any, rule: str, roles: Iterable[str] = ()) -> Any:
    view.access_rule = rule
    view.access_roles = tuple(roles)
    return view


def public(view: V) -> V:
    """Open to anyone."""
    return _mark(view, PUBLIC)


def login_required(view: V) -> V:
    """Any logged-in person; the view shows only their own records."""
    return _mark(django_login_required(view), LOGGED_IN)


def role_required(*roles: str) -> Callable[[V], V]:
    """A logged-in person holding one of ``roles`` somewhere (or a superuser).

    The view must still limit every object it reads to the viewer's scope via
    ``people.selectors``.
    """

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from .selectors import user_has_role

            if not user_has_role(user=request.user, roles=roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return _mark(django_login_required(wrapped), ROLE_IN_SCOPE, roles)

    return decorator


def staff_required(view: V) -> V:
    """Superusers only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return _mark(django_login_required(wrapped), STAFF)


class PublicMixin:
    access_rule = PUBLIC
    access_roles: tuple[str, ...] = ()


class LoginRequiredMixin(AccessMixin):
    access_rule = LOGGED_IN
    access_roles: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class RoleRequiredMixin(AccessMixin):
    """Class-based form of :func:`role_required`; set ``access_roles``."""

    access_rule = ROLE_IN_SCOPE
    access_roles: tuple[str, ...] = ()
    raise_exception = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from .selectors import user_has_role

        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_has_role(user=request.user, roles=self.access_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def rule_of(callback: Any) -> str | None:
    """The access rule a URL callback declares, or ``None``."""
    for obj in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        rule = getattr(obj, "access_rule", None)
        if rule in RULES:
            return rule
    return None
